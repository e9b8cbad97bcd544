// certd/store: one PEM per id with its "edgesec-cert-id:" line, atomic writes with mode 0644, the
// FORMAT file, and a stored cert taking precedence over a preloaded file that is never written or
// deleted; a damaged stored file (0 bytes, cut, another file's content, another id's record) kept
// aside and the id served as not stored.
#include "certd/store/store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "common/x509/pem.hpp"
#include "tests/support/temp_root.hpp"
#include "tests/support/x509.hpp"

using namespace edgesec;
using certd::store::CertStore;

namespace {

// A real certificate: the store reads back only what parses as a PEM chain.
// Made at first use: inside a test case, where the helpers' REQUIREs may run.
const std::string& Pem() {
  static const std::string pem = [] {
    certd::testing::Ca ca;
    auto text = x509::ToPem(ca.cert.get());
    REQUIRE(text);
    return *text;
  }();
  return pem;
}

std::string Read(const std::string& path) {
  auto text = fs::ReadFile(path);
  return text ? *text : "<unreadable>";
}

}  // namespace

TEST_CASE(
    "store writes one file per id, starting with its id line, mode 0644, no temp files left") {
  testing::TempDir dir;
  auto store = CertStore::Open(dir.path() + "/state", {});
  REQUIRE(store);
  REQUIRE((*store)->Put("device/id", Pem()));
  std::string path = dir.path() + "/state/certs/" + FileNameForId("device/id") + ".pem";
  CHECK(Read(path) == "edgesec-cert-id: device/id\n" + Pem());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  REQUIRE((*store)->Put("device/id", Pem() + Pem()));  // replaced atomically
  CHECK(Read(path) == "edgesec-cert-id: device/id\n" + Pem() + Pem());
  auto files = fs::ListFiles(dir.path() + "/state/certs");
  REQUIRE(files);
  CHECK(files->size() == 1);
  auto got = (*store)->Get("device/id");
  REQUIRE(got);
  REQUIRE(got->has_value());
  CHECK((*got)->pem == Pem() + Pem());
  CHECK_FALSE((*got)->preloaded);
  CHECK(*(*store)->Ids() == std::vector<std::string>{"device/id"});
  CHECK(*(*store)->Remove("device/id"));
  CHECK_FALSE(*(*store)->Remove("device/id"));
  CHECK_FALSE((*store)->Get("device/id")->has_value());
}

TEST_CASE("store records FORMAT 1 and refuses a newer layout") {
  testing::TempDir dir;
  REQUIRE(CertStore::Open(dir.path() + "/state", {}));
  CHECK(Read(dir.path() + "/state/FORMAT") == "1\n");
  REQUIRE(CertStore::Open(dir.path() + "/state", {}));  // reopening is fine
  REQUIRE(fs::AtomicWriteFile(dir.path() + "/state/FORMAT", "2\n", 0644));
  auto newer = CertStore::Open(dir.path() + "/state", {});
  REQUIRE_FALSE(newer);
  CHECK(newer.error().kind == ErrorKind::kConfig);
  CHECK_THAT(newer.error().message, Catch::Contains("format version 2"));
}

// The files kept aside in `dir` (<file>.bad-<UTC time>).
size_t KeptAside(const std::string& dir) {
  auto files = fs::ListFiles(dir);
  REQUIRE(files);
  return static_cast<size_t>(std::count_if(files->begin(), files->end(), [](const std::string& f) {
    return f.find(".pem.bad-") != std::string::npos;
  }));
}

TEST_CASE("a damaged stored file is kept aside and the id served as not stored, never an error") {
  testing::TempDir dir;
  std::string pre = dir.path() + "/pre.pem";
  REQUIRE(fs::AtomicWriteFile(pre, Pem(), 0644));
  auto store = CertStore::Open(dir.path() + "/state", {{"p", pre}});
  REQUIRE(store);
  std::string certs = dir.path() + "/state/certs";
  std::string record = "edgesec-cert-id: a\nedgesec-key-id: a-v2\n" + Pem() + Pem();
  std::vector<std::pair<std::string, std::string>> damaged = {
      {"0 bytes", ""},
      {"cut in half", record.substr(0, record.size() / 2)},
      {"cut after the id line", "edgesec-cert-id: a\n"},
      {"another id's record", "edgesec-cert-id: b\n" + Pem()},
      {"another file's content", "{\"format\":1,\"credentials\":{}}"},
      {"PEM without the id line", Pem()},
      {"garbage in the PEM",
       "edgesec-cert-id: a\n-----BEGIN CERTIFICATE-----\n!!\n"
       "-----END CERTIFICATE-----\n"}};
  int changes = 0;
  (*store)->SetOnChange([&](const std::string&) { ++changes; });
  size_t n = 0;
  for (const auto& [what, text] : damaged) {
    INFO(what);
    REQUIRE(fs::AtomicWriteFile(certs + "/" + FileNameForId("a") + ".pem", text, 0644));
    auto got = (*store)->Get("a");
    REQUIRE(got);  // not an error: certd's renewal issues a credential's cert again
    CHECK_FALSE(got->has_value());
    CHECK_FALSE(fs::Exists(certs + "/" + FileNameForId("a") + ".pem"));
    CHECK(KeptAside(certs) == ++n);         // each kept, none overwritten
    CHECK(changes == static_cast<int>(n));  // the renewal engine hears of it
    // A stored file of a preloaded id: the preloaded file is served again.
    REQUIRE(fs::AtomicWriteFile(certs + "/" + FileNameForId("p") + ".pem", text, 0644));
    auto p = (*store)->Get("p");
    REQUIRE(p);
    REQUIRE(p->has_value());
    CHECK((*p)->preloaded);
    CHECK(Read(pre) == Pem());
    ++n;
  }
  // A sound record is read back as it was written.
  REQUIRE((*store)->Put("a", Pem(), "a-v3"));
  auto got = (*store)->Get("a");
  REQUIRE(got);
  REQUIRE(got->has_value());
  CHECK((*got)->key_id == "a-v3");
  CHECK((*got)->pem == Pem());
  CHECK(*(*store)->Ids() == std::vector<std::string>{"a", "p"});  // .bad files are no ids
}

TEST_CASE(
    "a stored cert takes precedence over a preloaded one, whose file is never written or deleted") {
  testing::TempDir dir;
  std::string file = dir.path() + "/pre.pem";
  REQUIRE(fs::AtomicWriteFile(file, Pem(), 0644));
  auto store = CertStore::Open(dir.path() + "/state", {{"pre", file}});
  REQUIRE(store);
  CHECK((*store)->IsPreloaded("pre"));
  auto got = (*store)->Get("pre");
  REQUIRE(got->has_value());
  CHECK((*got)->preloaded);
  CHECK((*got)->path == file);

  REQUIRE((*store)->Put("pre", Pem() + Pem()));
  got = (*store)->Get("pre");
  CHECK_FALSE((*got)->preloaded);
  CHECK((*got)->pem == Pem() + Pem());
  CHECK(Read(file) == Pem());
  CHECK(*(*store)->Ids() == std::vector<std::string>{"pre"});  // no duplicate

  CHECK(*(*store)->Remove("pre"));
  CHECK(Read(file) == Pem());
  CHECK((*(*store)->Get("pre"))->preloaded);
  CHECK_FALSE(*(*store)->Remove("pre"));
  CHECK(fs::Exists(file));

  (*store)->SetPreloaded({});
  CHECK_FALSE((*store)->Get("pre")->has_value());
  CHECK_FALSE((*store)->IsPreloaded("pre"));
}

TEST_CASE("a preloaded file that cannot be read is an error naming it") {
  testing::TempDir dir;
  auto store = CertStore::Open(dir.path() + "/state", {{"gone", dir.path() + "/missing.pem"}});
  REQUIRE(store);
  auto got = (*store)->Get("gone");
  REQUIRE_FALSE(got);
  CHECK_THAT(got.error().message, Catch::Contains("missing.pem"));
}
