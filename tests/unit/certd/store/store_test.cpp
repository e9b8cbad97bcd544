// certd/store: one PEM per id with its "edgesec-cert-id:" line, atomic writes with mode 0644, the
// FORMAT file, and a stored cert taking precedence over a preloaded file that is never written or
// deleted.
#include "certd/store/store.hpp"

#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "common/x509/pem.hpp"
#include "tests/support/temp_root.hpp"

using namespace edgesec;
using certd::store::CertStore;

namespace {

// A self-signed certificate: the store keeps aside a file whose PEM chain does not parse.
std::string MakeCertPem() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("store test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  X509_set_pubkey(cert.get(), key.get());
  X509_sign(cert.get(), key.get(), EVP_sha256());
  return x509::ToPem(cert.get()).value();
}
const std::string kPem = MakeCertPem();

// The files of the certs directory whose name starts with `prefix`.
std::vector<std::string> FilesStartingWith(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  auto names = fs::ListFiles(dir);
  REQUIRE(names);
  for (const auto& name : *names)
    if (name.rfind(prefix, 0) == 0) out.push_back(name);
  return out;
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
  for (const char* damaged : {"", "{\"format\":1}\n", "1\n2\n"}) {
    INFO(damaged);
    REQUIRE(fs::AtomicWriteFile(dir.path() + "/state/FORMAT", damaged, 0644));
    auto refused = CertStore::Open(dir.path() + "/state", {});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().kind == ErrorKind::kConfig);
    CHECK_THAT(refused.error().message,
               Catch::Contains("'" + dir.path() + "/state/FORMAT' is damaged") &&
                   Catch::Contains("write '1' into it"));
  }
}

TEST_CASE("a file whose id line names another id is kept aside, never served as another cert") {
  testing::TempDir dir;
  auto store = CertStore::Open(dir.path() + "/state", {});
  REQUIRE(store);
  std::string name = FileNameForId("a") + ".pem";
  std::string path = dir.path() + "/state/certs/" + name;
  REQUIRE(fs::AtomicWriteFile(path, "edgesec-cert-id: b\n" + kPem, 0644));
  auto got = (*store)->Get("a");
  REQUIRE(got);
  CHECK_FALSE(got->has_value());
  CHECK_FALSE(fs::Exists(path));
  auto aside = FilesStartingWith(dir.path() + "/state/certs", name + ".bad-");
  REQUIRE(aside.size() == 1);
  CHECK(Read(dir.path() + "/state/certs/" + aside[0]) == "edgesec-cert-id: b\n" + kPem);
}

TEST_CASE("damaged or foreign cert files are kept aside at open; good ones stay") {
  testing::TempDir dir;
  std::string certs = dir.path() + "/state/certs";
  REQUIRE(CertStore::Open(dir.path() + "/state", {}));
  auto file = [&](const std::string& id) { return certs + "/" + FileNameForId(id) + ".pem"; };
  REQUIRE(fs::AtomicWriteFile(file("good"), "edgesec-cert-id: good\n" + kPem, 0644));
  REQUIRE(fs::AtomicWriteFile(file("cut"), "edgesec-cert-id: cut\n" + kPem.substr(0, 100), 0644));
  REQUIRE(fs::AtomicWriteFile(file("empty"), "", 0644));
  REQUIRE(fs::AtomicWriteFile(file("open"), "edgesec-cert-id: open\n" + kPem, 0666));
  REQUIRE(fs::AtomicWriteFile(file("keyline"), "edgesec-cert-id: keyline\nedgesec-key-id: \n" + kPem, 0644));
  auto store = CertStore::Open(dir.path() + "/state", {});
  REQUIRE(store);
  CHECK(fs::Exists(file("good")));
  for (const char* id : {"cut", "empty", "open", "keyline"}) {
    INFO(id);
    CHECK_FALSE(fs::Exists(file(id)));
    CHECK(FilesStartingWith(certs, FileNameForId(id) + ".pem.bad-").size() == 1);
  }
  CHECK(*(*store)->Ids() == std::vector<std::string>{"good"});
  CHECK((*(*store)->Get("good"))->pem == kPem);
  CHECK_FALSE((*store)->Get("cut")->has_value());
  // Importing again writes a good file next to the one kept aside.
  REQUIRE((*store)->Put("cut", kPem));
  CHECK((*(*store)->Get("cut"))->pem == kPem);
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

// Get serves a file it read before while the file is the same (a stat, not a read and a parse):
// whatever changes the file must be seen by the next Get.
TEST_CASE("a cert read before is read again once its file changes, however it changes") {
  testing::TempDir dir;
  std::string certs = dir.path() + "/state/certs";
  auto store = CertStore::Open(dir.path() + "/state", {});
  REQUIRE(store);
  std::string path = certs + "/" + FileNameForId("issuer") + ".pem";
  const std::string other = MakeCertPem();
  REQUIRE(other != kPem);
  // Put, then Put again (a renewal): the second Get has the new chain and key id.
  REQUIRE((*store)->Put("issuer", kPem, "issuer-v1"));
  REQUIRE((*(*store)->Get("issuer"))->pem == kPem);
  REQUIRE((*store)->Put("issuer", other, "issuer-v2"));
  auto got = *(*store)->Get("issuer");
  CHECK(got->pem == other);
  CHECK(got->key_id == "issuer-v2");
  // Replaced behind the store's back, atomically (a restore from a backup).
  REQUIRE(fs::AtomicWriteFile(path, "edgesec-cert-id: issuer\n" + kPem, 0644));
  got = *(*store)->Get("issuer");
  CHECK(got->pem == kPem);
  CHECK(got->key_id.empty());
  // Edited in place, to a chain of another length.
  ::usleep(20 * 1000);  // past the file system's timestamp granularity
  {
    FILE* f = std::fopen(path.c_str(), "w");
    REQUIRE(f != nullptr);
    std::string text = "edgesec-cert-id: issuer\n" + other + other;
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  CHECK((*(*store)->Get("issuer"))->pem == other + other);
  // Opened to others: refused and kept aside, though its content did not change.
  REQUIRE(::chmod(path.c_str(), 0666) == 0);
  CHECK_FALSE((*store)->Get("issuer")->has_value());
  CHECK(FilesStartingWith(certs, FileNameForId("issuer") + ".pem.bad-").size() == 1);
  // Removed.
  REQUIRE((*store)->Put("issuer", kPem));
  REQUIRE((*(*store)->Get("issuer"))->pem == kPem);
  REQUIRE(*(*store)->Remove("issuer"));
  CHECK_FALSE((*store)->Get("issuer")->has_value());
}

TEST_CASE("a preloaded cert read before is read again once its file is replaced or edited") {
  testing::TempDir dir;
  std::string file = dir.path() + "/edge-ca.pem";
  const std::string other = MakeCertPem();
  REQUIRE(fs::AtomicWriteFile(file, kPem, 0644));
  auto store = CertStore::Open(dir.path() + "/state", {{"edge-ca", file}});
  REQUIRE(store);
  REQUIRE((*(*store)->Get("edge-ca"))->pem == kPem);
  REQUIRE(fs::AtomicWriteFile(file, other, 0644));  // the integrator's new CA, renamed in place
  CHECK((*(*store)->Get("edge-ca"))->pem == other);
  ::usleep(20 * 1000);
  {
    FILE* f = std::fopen(file.c_str(), "w");  // copied over the old one (cp): same inode
    REQUIRE(f != nullptr);
    std::fwrite(kPem.data(), 1, kPem.size(), f);
    std::fclose(f);
  }
  CHECK((*(*store)->Get("edge-ca"))->pem == kPem);
  REQUIRE(::unlink(file.c_str()) == 0);
  CHECK_FALSE((*store)->Get("edge-ca"));  // an error naming the missing file, not the old PEM
}
