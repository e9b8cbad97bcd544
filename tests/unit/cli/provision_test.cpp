// edgectl provision's pure parts: device ids, option checks, the manifest, and the leaf a CA signs
// (extensions, serial, notAfter capped by the CA's).
#include "cli/provision.hpp"

#include <catch2/catch.hpp>
#include <ctime>

#include "certd/x509/issue.hpp"
#include "common/fs.hpp"
#include "common/x509/csr.hpp"
#include "common/x509/keygen.hpp"
#include "common/x509/time.hpp"
#include "common/x509/validate.hpp"
#include "tests/support/temp_root.hpp"

namespace p = edgesec::cli::provision;
using edgesec::cli::Context;

namespace {

Context WithOptions(std::map<std::string, std::string> options) {
  Context ctx;
  ctx.options = std::move(options);
  return ctx;
}

// A self-signed CA of `days` days, with its key.
p::Ca MakeCa(int days) {
  p::Ca ca;
  ca.key = std::move(*edgesec::x509::GenerateKey("ec-p256"));
  edgesec::x509::CsrSpec spec;
  spec.subject = {{"CN", "Factory Intermediate"}};
  spec.key = ca.key.get();
  auto csr = edgesec::x509::BuildCsr(spec);
  REQUIRE(csr);
  auto profile = edgesec::certd::x509::DefaultCaProfile();
  profile.validity_days = days;
  edgesec::certd::x509::IssueInput in;
  in.csr = csr->get();
  in.signing_key = ca.key.get();
  in.profile = &profile;
  in.now = std::time(nullptr);
  auto cert = edgesec::certd::x509::IssueCertificate(in);
  REQUIRE(cert);
  ca.chain.push_back(std::move(*cert));
  ca.chain_pem = *edgesec::x509::ChainToPem(ca.chain);
  return ca;
}

}  // namespace

TEST_CASE("device ids are zero-padded to six digits and parse back only for their prefix") {
  CHECK(p::DeviceId("device", 1) == "device-000001");
  CHECK(p::DeviceId("line2.b", 123456) == "line2.b-123456");
  CHECK(p::DeviceNumber("device", "device-000042") == 42);
  CHECK(p::DeviceNumber("device", p::DeviceId("device", 999999)) == 999999);
  CHECK(p::DeviceNumber("device", "device-42") == 0);
  CHECK(p::DeviceNumber("device", "devices-000042") == 0);
  CHECK(p::DeviceNumber("dev", "device-000042") == 0);
  CHECK(p::DeviceNumber("device", "device-00004x") == 0);
  CHECK(p::DeviceNumber("device", ".tmp-device-000001") == 0);
}

TEST_CASE("prefixes that would make ids ambiguous or paths are refused, naming --prefix") {
  CHECK(p::CheckPrefix("device"));
  CHECK(p::CheckPrefix("gw_2026.line3"));
  for (const char* bad : {"", "a-b", "../x", "a/b", ".hidden", "dev ice", "é"}) {
    auto st = p::CheckPrefix(bad);
    CHECK_FALSE(st);
    if (!st) CHECK(st.error().message.find("--prefix") == 0);
  }
  CHECK_FALSE(p::CheckPrefix(std::string(41, 'a')));
}

TEST_CASE("batch options: required ones named, count and days bounded, defaults") {
  std::map<std::string, std::string> ok = {
      {"--ca", "ca.pem"}, {"--ca-key", "ca.key"}, {"--count", "100"}, {"--out", "batch"}};
  auto a = p::ParseBatchArgs(WithOptions(ok));
  REQUIRE(a);
  CHECK(a->count == 100);
  CHECK(a->manifest == "batch/manifest.csv");
  CHECK(a->engine == "file");
  CHECK(a->prefix == "device");
  CHECK(a->key_type == "ec-p256");
  CHECK(a->days == 365);
  for (const char* missing : {"--ca", "--ca-key", "--count", "--out"}) {
    auto without = ok;
    without.erase(missing);
    auto r = p::ParseBatchArgs(WithOptions(without));
    REQUIRE_FALSE(r);
    CHECK(r.error().message == std::string("missing ") + missing);
  }
  for (const char* count : {"0", "-1", "1000000", "1e3", "ten", ""}) {
    auto bad = ok;
    bad["--count"] = count;
    CHECK_FALSE(p::ParseBatchArgs(WithOptions(bad)));
  }
  auto opts = ok;
  opts["--count"] = "999999";
  opts["--days"] = "3650";
  opts["--engine"] = "pkcs11";
  opts["--key-type"] = "rsa-2048";
  opts["--manifest"] = "/srv/m.csv";
  auto b = p::ParseBatchArgs(WithOptions(opts));
  REQUIRE(b);
  CHECK(b->days == 3650);
  CHECK(b->manifest == "/srv/m.csv");
  for (auto [option, value] : std::vector<std::pair<std::string, std::string>>{
           {"--days", "0"}, {"--days", "36501"}, {"--engine", "soft"}, {"--key-type", "ed25519"}}) {
    auto bad = ok;
    bad[option] = value;
    auto r = p::ParseBatchArgs(WithOptions(bad));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find(option) == 0);
  }
}

TEST_CASE("the manifest lists each device once, in id order, and parses back") {
  std::vector<p::ManifestRow> rows = {{"device-000002", "AA", "01:02", "2027-01-01T00:00:00Z"},
                                      {"device-000001", "BB", "03:04", "2027-01-01T00:00:00Z"},
                                      {"device-000002", "CC", "05:06", "2027-01-02T00:00:00Z"}};
  std::string text = p::ManifestText(rows);
  CHECK(text ==
        "device_id,serial,sha256_fingerprint,not_after\n"
        "device-000001,BB,03:04,2027-01-01T00:00:00Z\n"
        "device-000002,CC,05:06,2027-01-02T00:00:00Z\n");
  auto parsed = p::ParseManifest(text);
  REQUIRE(parsed);
  REQUIRE(parsed->size() == 2);
  CHECK((*parsed)[1].serial == "CC");
  CHECK(p::ManifestText(*parsed) == text);
  CHECK_FALSE(p::ParseManifest(""));
  CHECK_FALSE(p::ParseManifest("id,serial\n"));
  auto short_row = p::ParseManifest(std::string(p::kManifestHeader) + "\ndevice-000001,AA,01\n");
  REQUIRE_FALSE(short_row);
  CHECK(short_row.error().message.find("line 2") != std::string::npos);
}

TEST_CASE("a device leaf: CN, clientAuth, digitalSignature, random serial, capped by the CA") {
  p::Ca ca = MakeCa(10);
  auto key = edgesec::x509::GenerateKey("ec-p256");
  REQUIRE(key);
  int64_t now = std::time(nullptr);
  auto leaf = p::IssueLeaf(ca, {"device-000007", key->get(), 365, now});
  REQUIRE(leaf);
  CHECK(edgesec::x509::CheckIssued(ca.chain[0].get(), leaf->get(), 1));
  CHECK(edgesec::x509::CheckKeyMatches(leaf->get(), key->get()));
  CHECK(X509_check_purpose(leaf->get(), X509_PURPOSE_SSL_CLIENT, 0) == 1);
  CHECK(X509_check_purpose(leaf->get(), X509_PURPOSE_SSL_SERVER, 0) != 1);
  CHECK((X509_get_key_usage(leaf->get()) & KU_DIGITAL_SIGNATURE) != 0);
  CHECK((X509_get_key_usage(leaf->get()) & KU_KEY_CERT_SIGN) == 0);
  CHECK(X509_get0_subject_key_id(leaf->get()) != nullptr);
  CHECK(X509_get0_authority_key_id(leaf->get()) != nullptr);
  auto leaf_end = edgesec::x509::ToEpoch(X509_get0_notAfter(leaf->get()));
  auto ca_end = edgesec::x509::ToEpoch(X509_get0_notAfter(ca.chain[0].get()));
  CHECK(*leaf_end == *ca_end);  // 365 days asked, the CA ends in 10
  auto row = p::RowOf("device-000007", leaf->get());
  REQUIRE(row);
  CHECK(row->serial.size() == 32);  // 128 bits, top bit clear: openssl's uppercase hex
  CHECK(row->serial.find_first_not_of("0123456789ABCDEF") == std::string::npos);
  CHECK(row->sha256.size() == 32 * 3 - 1);
  CHECK(row->not_after == edgesec::x509::Rfc3339(*ca_end));
  auto again = p::IssueLeaf(ca, {"device-000007", key->get(), 365, now});
  REQUIRE(again);
  CHECK(p::RowOf("device-000007", again->get())->serial != row->serial);
}

TEST_CASE("LoadCa refuses an expired CA, a key file open to others and another key, naming files") {
  edgesec::testing::TempDir dir;
  std::string cert = dir.path() + "/ca.pem", key = dir.path() + "/ca.key";
  p::Ca good = MakeCa(10);
  auto write = [&](const p::Ca& ca, mode_t key_mode) {
    REQUIRE(edgesec::fs::AtomicWriteFile(cert, ca.chain_pem, 0644));
    REQUIRE(
        edgesec::fs::AtomicWriteFile(key, *edgesec::PrivateKeyToPkcs8Pem(ca.key.get()), key_mode));
  };
  auto layout = edgesec::Layout::UnderRoot(dir.path());
  write(good, 0600);
  auto loaded = p::LoadCa(cert, key, layout);
  REQUIRE(loaded);
  CHECK(loaded->chain.size() == 1);

  write(good, 0640);
  auto open = p::LoadCa(cert, key, layout);
  REQUIRE_FALSE(open);
  CHECK(open.error().message.find("'" + key + "' is open to group or others (mode 0640)") !=
        std::string::npos);

  p::Ca other = MakeCa(10);
  REQUIRE(edgesec::fs::AtomicWriteFile(cert, good.chain_pem, 0644));
  REQUIRE(edgesec::fs::AtomicWriteFile(key, *edgesec::PrivateKeyToPkcs8Pem(other.key.get()), 0600));
  auto mismatch = p::LoadCa(cert, key, layout);
  REQUIRE_FALSE(mismatch);
  CHECK(mismatch.error().message.find("is not the key of CA certificate '" + cert + "'") !=
        std::string::npos);

  // A CA that ended yesterday: issued 11 days ago for 10 days.
  p::Ca expired;
  expired.key = std::move(*edgesec::x509::GenerateKey("ec-p256"));
  edgesec::x509::CsrSpec spec;
  spec.subject = {{"CN", "Old Intermediate"}};
  spec.key = expired.key.get();
  auto csr = edgesec::x509::BuildCsr(spec);
  REQUIRE(csr);
  auto profile = edgesec::certd::x509::DefaultCaProfile();
  profile.validity_days = 10;
  edgesec::certd::x509::IssueInput in;
  in.csr = csr->get();
  in.signing_key = expired.key.get();
  in.profile = &profile;
  in.now = std::time(nullptr) - 11 * 86400;
  expired.chain.push_back(std::move(*edgesec::certd::x509::IssueCertificate(in)));
  expired.chain_pem = *edgesec::x509::ChainToPem(expired.chain);
  write(expired, 0600);
  auto old = p::LoadCa(cert, key, layout);
  REQUIRE_FALSE(old);
  CHECK(old.error().message.find("CA certificate '" + cert + "': expired") != std::string::npos);
}
