// certd/store/lifecycle: status, type and CA level of real certificates made with OpenSSL here —
// a root, an intermediate, an issuing CA and a leaf, chains with and without their root, certs not
// yet valid and expired — and the history file reader against damaged inputs.
#include "certd/store/lifecycle.hpp"

#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <ctime>

#include "certd/store/history.hpp"
#include "common/fs.hpp"
#include "common/ossl.hpp"
#include "common/x509/details.hpp"
#include "tests/support/temp_root.hpp"
#include "tests/support/test_cert.hpp"

using namespace edgesec;
using namespace edgesec::certd::store;

namespace {

const int64_t kNow = std::time(nullptr);

using Made = testing::TestCert;

// A cert for CN `cn`, valid [now + from, now + to], a CA when `ca`, signed by `issuer` (null:
// self-signed).
Made Make(const std::string& cn, bool ca, const Made* issuer, long from = -3600, long to = 86400,
          long serial = 7) {
  return testing::MakeTestCert({cn, issuer, ca, serial, from, to, {}});
}

x509::Chain ChainOf(std::initializer_list<const Made*> certs) {
  x509::Chain chain;
  for (const Made* m : certs) {
    X509_up_ref(m->cert.get());
    chain.emplace_back(m->cert.get());
  }
  return chain;
}

CertFacts Facts(std::initializer_list<const Made*> certs) {
  auto f = FactsOf(ChainOf(certs));
  REQUIRE(f);
  return *f;
}

}  // namespace

TEST_CASE("CA level from the chain, with and without its root") {
  Made root = Make("root", true, nullptr);
  Made inter = Make("intermediate", true, &root);
  Made issuing = Make("issuing", true, &inter);
  Made leaf = Make("leaf", false, &issuing);
  struct Case {
    const char* what;
    CertFacts facts;
    std::optional<int> issuer_level, level;
  };
  Case cases[] = {
      {"a self-signed root", Facts({&root}), {}, 0},
      {"intermediate with its root", Facts({&inter, &root}), {}, 1},
      {"intermediate without its root (the absent root is level 0)", Facts({&inter}), {}, 1},
      {"issuing CA with its whole chain", Facts({&issuing, &inter, &root}), {}, 2},
      {"issuing CA under an intermediate, root absent", Facts({&issuing, &inter}), {}, 2},
      {"issuing CA alone, its issuer (level 1) known to certd", Facts({&issuing}), 1, 2},
      {"issuing CA alone, issuer unknown: placed one below an absent root",
       Facts({&issuing}),
       {},
       1},
      {"a leaf has no level", Facts({&leaf, &issuing, &inter, &root}), {}, std::nullopt},
      {"a leaf has no level, issuer known", Facts({&leaf}), 2, std::nullopt},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK(LevelOf(c.facts, c.issuer_level) == c.level);
  }
  CHECK(Facts({&root}).top_self_issued);
  CHECK_FALSE(Facts({&issuing, &inter}).top_self_issued);
  CHECK(Facts({&issuing, &inter}).chain_length == 2);
}

TEST_CASE("status: revoked, expired, inactive (not yet valid or retired), active") {
  Made valid = Make("valid", false, nullptr);
  Made future = Make("future", false, nullptr, 3600, 7200);
  Made expired = Make("expired", false, nullptr, -7200, -3600);
  struct Case {
    const char* what;
    const Made* cert;
    int64_t now;
    bool revoked, retired;
    CertStatus status;
  };
  Case cases[] = {
      {"valid now", &valid, kNow, false, false, CertStatus::kActive},
      {"not yet valid", &future, kNow, false, false, CertStatus::kInactive},
      {"valid once the clock reaches notBefore", &future, kNow + 3700, false, false,
       CertStatus::kActive},
      {"expired", &expired, kNow, false, false, CertStatus::kExpired},
      {"valid cert, clock moved past notAfter", &valid, kNow + 2 * 86400, false, false,
       CertStatus::kExpired},
      {"retired by a renewal", &valid, kNow, false, true, CertStatus::kInactive},
      {"retired and expired: expired", &expired, kNow, false, true, CertStatus::kExpired},
      {"revoked beats everything", &expired, kNow, true, true, CertStatus::kRevoked},
      {"revoked and valid", &valid, kNow, true, false, CertStatus::kRevoked},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK(StatusAt(Facts({c.cert}), c.now, c.revoked, c.retired) == c.status);
  }
  CHECK(std::string(StatusName(CertStatus::kInactive)) == "inactive");
}

TEST_CASE("facts: serial and fingerprints as openssl prints them, the public key's hash") {
  Made a = Make("a", false, nullptr, -3600, 86400, 0x1234abcd);
  CertFacts f = Facts({&a});
  CHECK(f.serial == "1234ABCD");
  CHECK(f.sha256 == x509::Sha256Fingerprint(a.cert.get()));
  CHECK(f.public_key_sha256.size() == 64);
  CHECK_FALSE(f.is_ca);
  Made b = Make("b", false, nullptr);
  CHECK(Facts({&b}).public_key_sha256 != f.public_key_sha256);
  CHECK_FALSE(FactsOf(x509::Chain{}));
}

TEST_CASE("type: managed, imported with key, imported without key") {
  CHECK(TypeOf({true, false, false}) == CertType::kManaged);
  CHECK(TypeOf({false, true, false}) == CertType::kManaged);
  CHECK(TypeOf({false, false, true}) == CertType::kImportedWithKey);
  CHECK(TypeOf({false, false, false}) == CertType::kImportedWithoutKey);
  CHECK(std::string(TypeName(CertType::kImportedWithKey)) == "imported-with-key");
}

namespace {

Generation Gen(const std::string& serial, char fp) {
  Generation g;
  g.serial = serial;
  g.sha256 = std::string(95, fp);
  g.public_key_sha256 = std::string(64, 'a');
  g.not_before = 1000;
  g.not_after = 2000;
  g.origin = "issued";
  g.reason = "threshold";
  g.reissued_at = 1500;
  return g;
}

}  // namespace

TEST_CASE("history file: written, read back, capped with generation 1 kept") {
  HistoryDoc doc{"edge-ca", 0, {}};
  Generation first = Gen("01", 'A');
  first.reason = "initial";
  AppendGeneration(&doc, first);
  for (int i = 0; i < 1200; ++i) AppendGeneration(&doc, Gen("0" + std::to_string(i), 'B'));
  REQUIRE(doc.generations.size() == kMaxGenerations);
  CHECK(doc.generations.front().number == 1);
  CHECK(doc.generations.front().reason == "initial");
  CHECK(doc.generations.back().number == 1201);
  CHECK(doc.dropped == 201);
  auto back = ParseHistory(SerializeHistory(doc), "edge-ca");
  REQUIRE(back);
  CHECK(back->generations.size() == kMaxGenerations);
  CHECK(back->dropped == 201);
  CHECK(back->generations[1].number == 203);  // 2..202 dropped
}

TEST_CASE("history file reader names the field of a damaged file") {
  HistoryDoc doc{"c", 0, {}};
  AppendGeneration(&doc, Gen("01", 'A'));
  AppendGeneration(&doc, Gen("02", 'B'));
  std::string good = SerializeHistory(doc);
  REQUIRE(ParseHistory(good, "c"));
  auto edit = [&](const std::function<void(Json&)>& f) {
    Json j = Json::parse(good);
    f(j);
    return j.dump();
  };
  struct Case {
    std::string text, message;
  };
  Case cases[] = {
      {"", "not valid JSON"},
      {"{\"format\":1,", "not valid JSON"},
      {"[]", "not a JSON object"},
      {edit([](Json& j) { j.erase("format"); }), "'format' is missing"},
      {edit([](Json& j) { j["format"] = "1"; }), "'format' must be an integer"},
      {edit([](Json& j) { j["certId"] = "other"; }), "'certId' names another cert"},
      {edit([](Json& j) { j["generations"] = Json::array(); }), "'generations' holds no"},
      {edit([](Json& j) { j["generations"] = 3; }), "'generations' must be an array"},
      {edit([](Json& j) { j["generations"][1]["serial"] = 5; }),
       "'generations[1].serial' must be a string"},
      {edit([](Json& j) { j["generations"][0].erase("sha256"); }),
       "'generations[0].sha256' is missing"},
      {edit([](Json& j) { j["generations"][1]["reason"] = "whim"; }),
       "'generations[1].reason' must be"},
      {edit([](Json& j) { j["generations"][0]["origin"] = 1; }),
       "'generations[0].origin' must be a string"},
      {edit([](Json& j) { j["generations"][1]["generation"] = 1; }),
       "'generations[1].generation' is not after"},
      {edit([](Json& j) { j["generations"][0]["notAfter"] = -5; }),
       "'generations[0].notAfter' must be at least 0"},
      {edit([](Json& j) {
         j["generations"][1]["revoked"] = Json{{"at", "x"}};
       }),
       "'generations[1].revoked.at' must be an integer"},
      {edit([](Json& j) { j["generations"][1]["reissuedFrom"] = "x"; }),
       "'generations[1].reissuedFrom' must be an object"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto parsed = ParseHistory(c.text, "c");
    REQUIRE_FALSE(parsed);
    CHECK_THAT(parsed.error().message, Catch::Contains(c.message));
  }
  auto newer = ParseHistory(edit([](Json& j) { j["format"] = 2; }), "c");
  REQUIRE_FALSE(newer);
  CHECK(newer.error().kind == ErrorKind::kConfig);
}

TEST_CASE(
    "History: records, ignores the same cert twice, marks revoked, keeps a damaged file "
    "aside") {
  testing::TempDir dir;
  auto h = History::Open(dir.path());
  REQUIRE(h);
  Generation g = Gen("01", 'A');
  g.reason = "initial";
  REQUIRE((*h)->Record("c", g));
  REQUIRE((*h)->Record("c", g));  // the same fingerprint: no new generation
  REQUIRE((*h)->Record("c", Gen("02", 'B')));
  auto doc = (*h)->Load("c");
  REQUIRE(doc);
  REQUIRE(doc->generations.size() == 2);
  CHECK(doc->generations[1].number == 2);
  CHECK(doc->generations[1].from_sha256 == std::string(95, 'A'));  // filled in under the lock
  CHECK(doc->generations[1].from_serial == "01");
  // The revocation seam: the status function sees it through IsRevoked.
  CHECK_FALSE((*h)->IsRevoked("c", std::string(95, 'B')));
  REQUIRE((*h)->MarkRevoked("c", std::string(95, 'B'), {1600, "keyCompromise"}));
  CHECK((*h)->IsRevoked("c", std::string(95, 'B')));
  CHECK_FALSE((*h)->IsRevoked("c", std::string(95, 'A')));
  CHECK((*h)->MarkRevoked("c", std::string(95, 'C'), {1600, "x"}).error().kind ==
        ErrorKind::kNotFound);
  // Damaged on disk: kept aside, read as absent, never fatal.
  std::string path = (*h)->PathFor("c");
  REQUIRE(fs::AtomicWriteFile(path,
                              "{\"format\":1,\"certId\":\"c\",\"dropped\":0,"
                              "\"generations\":[{\"generation\":\"x\"}]}",
                              0644));
  CHECK((*h)->Load("c") == nullptr);
  CHECK_FALSE(fs::Exists(path));
  auto names = fs::ListFiles(dir.path() + "/history");
  REQUIRE(names);
  bool kept = false;
  for (const auto& n : *names) kept = kept || n.find(".bad-") != std::string::npos;
  CHECK(kept);
  REQUIRE((*h)->Record("c", Gen("03", 'C')));  // starts again
  CHECK((*h)->Load("c")->generations.size() == 1);
  REQUIRE((*h)->Remove("c"));
  CHECK((*h)->Load("c") == nullptr);
}
