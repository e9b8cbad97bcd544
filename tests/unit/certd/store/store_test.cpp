// certd/store: one PEM per id with its "edgesec-cert-id:" line, atomic writes with mode 0644, the
// FORMAT file, and a stored cert taking precedence over a preloaded file that is never written or
// deleted.
#include "certd/store/store.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "tests/support/temp_root.hpp"

using namespace edgesec;
using certd::store::CertStore;

namespace {

const std::string kPem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

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
  REQUIRE((*store)->Put("device/id", kPem));
  std::string path = dir.path() + "/state/certs/" + FileNameForId("device/id") + ".pem";
  CHECK(Read(path) == "edgesec-cert-id: device/id\n" + kPem);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  REQUIRE((*store)->Put("device/id", kPem + kPem));  // replaced atomically
  CHECK(Read(path) == "edgesec-cert-id: device/id\n" + kPem + kPem);
  auto files = fs::ListFiles(dir.path() + "/state/certs");
  REQUIRE(files);
  CHECK(files->size() == 1);
  auto got = (*store)->Get("device/id");
  REQUIRE(got);
  REQUIRE(got->has_value());
  CHECK((*got)->pem == kPem + kPem);
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

TEST_CASE("a file whose id line names another id is an error, not another cert") {
  testing::TempDir dir;
  auto store = CertStore::Open(dir.path() + "/state", {});
  REQUIRE(store);
  std::string path = dir.path() + "/state/certs/" + FileNameForId("a") + ".pem";
  REQUIRE(fs::AtomicWriteFile(path, "edgesec-cert-id: b\n" + kPem, 0644));
  auto got = (*store)->Get("a");
  REQUIRE_FALSE(got);
  CHECK_THAT(got.error().message, Catch::Contains("does not record id 'a'"));
}

TEST_CASE(
    "a stored cert takes precedence over a preloaded one, whose file is never written or deleted") {
  testing::TempDir dir;
  std::string file = dir.path() + "/pre.pem";
  REQUIRE(fs::AtomicWriteFile(file, kPem, 0644));
  auto store = CertStore::Open(dir.path() + "/state", {{"pre", file}});
  REQUIRE(store);
  CHECK((*store)->IsPreloaded("pre"));
  auto got = (*store)->Get("pre");
  REQUIRE(got->has_value());
  CHECK((*got)->preloaded);
  CHECK((*got)->path == file);

  REQUIRE((*store)->Put("pre", kPem + kPem));
  got = (*store)->Get("pre");
  CHECK_FALSE((*got)->preloaded);
  CHECK((*got)->pem == kPem + kPem);
  CHECK(Read(file) == kPem);
  CHECK(*(*store)->Ids() == std::vector<std::string>{"pre"});  // no duplicate

  CHECK(*(*store)->Remove("pre"));
  CHECK(Read(file) == kPem);
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
