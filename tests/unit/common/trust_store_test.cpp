// common/trust_store: stable file names (subject slug + fingerprint prefix), one certificate per
// .crt file written 0644, a rerun that changes nothing, stale .crt files of the folder removed and
// nothing else touched, an empty bundle refused before anything is written, Remove.
#include "common/trust_store.hpp"

#include <sys/stat.h>

#include <regex>

#include "common/fs.hpp"
#include "common/x509/details.hpp"
#include "common/x509/pem.hpp"
#include "tests/support/temp_root.hpp"
#include "tests/support/x509.hpp"

using namespace edgesec;
using namespace edgesec::certd::testing;
using edgesec::testing::TempDir;

namespace {

std::string Pem(X509* cert) {
  auto pem = edgesec::x509::ToPem(cert);
  REQUIRE(pem);
  return *pem;
}

X509Ptr CaNamed(const std::string& cn) {
  EvpPkeyPtr key = Ec();
  return Issue(key.get(), cn, certd::x509::DefaultCaProfile(), nullptr, key.get());
}

std::string Hex16(X509* cert) {
  std::string hex;
  for (char c : edgesec::x509::Sha256Fingerprint(cert))
    if (c != ':') hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return hex.substr(0, 16);
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("file names: the subject's CN as a slug, then 16 hex digits of the fingerprint") {
  X509Ptr a = CaNamed("edgesec Edge CA My-Host.local");
  CHECK(trust::FileNameFor(a.get()) == "edgesec-edge-ca-my-host-local-" + Hex16(a.get()) + ".crt");
  X509Ptr odd = CaNamed("  ((Contoso))  Root  ");
  CHECK(trust::FileNameFor(odd.get()) == "contoso-root-" + Hex16(odd.get()) + ".crt");
  X509Ptr symbols = CaNamed("***");
  CHECK(trust::FileNameFor(symbols.get()) == "cert-" + Hex16(symbols.get()) + ".crt");
  X509Ptr long_name = CaNamed(std::string(60, 'x'));
  CHECK(std::regex_match(trust::FileNameFor(long_name.get()),
                         std::regex("x{48}-[0-9a-f]{16}\\.crt")));
}

TEST_CASE("Write: one cert per file, 0644, idempotent, stale .crt removed, others kept") {
  TempDir tmp;
  std::string dir = tmp.path() + "/usr/local/share/ca-certificates/edgesec";
  X509Ptr a = CaNamed("Root A"), b = CaNamed("Edge CA B"), c = CaNamed("Edge CA C");
  std::string fa = trust::FileNameFor(a.get()), fb = trust::FileNameFor(b.get()),
              fc = trust::FileNameFor(c.get());

  auto first = trust::Write(dir, Pem(a.get()) + Pem(b.get()) + Pem(a.get()));
  REQUIRE(first);
  CHECK(first->files == std::vector<std::string>{std::min(fa, fb), std::max(fa, fb)});
  CHECK(first->added.size() == 2);
  CHECK(ModeOf(dir) == 0755);
  CHECK(ModeOf(dir + "/" + fa) == 0644);
  CHECK(*fs::ReadFile(dir + "/" + fa) == Pem(a.get()));

  auto again = trust::Write(dir, Pem(b.get()) + Pem(a.get()));
  REQUIRE(again);
  CHECK(again->added.empty());
  CHECK(again->removed.empty());

  REQUIRE(fs::AtomicWriteFile(dir + "/README", "not a cert", 0644));
  auto rolled = trust::Write(dir, Pem(c.get()) + Pem(a.get()));
  REQUIRE(rolled);
  CHECK(rolled->added == std::vector<std::string>{fc});
  CHECK(rolled->removed == std::vector<std::string>{fb});
  CHECK_FALSE(fs::Exists(dir + "/" + fb));
  CHECK(fs::Exists(dir + "/README"));
}

TEST_CASE("Write: a bundle without a certificate is refused and changes nothing") {
  TempDir tmp;
  std::string dir = tmp.path() + "/edgesec";
  auto none = trust::Write(dir, "");
  REQUIRE_FALSE(none);
  CHECK(none.error().kind == ErrorKind::kInvalidParameter);
  CHECK_FALSE(fs::Exists(dir));
}

TEST_CASE("Remove: the folder and its files; a missing folder is no error") {
  TempDir tmp;
  Layout layout = Layout::UnderRoot(tmp.path());
  std::string dir = trust::StoreDir(layout);
  CHECK(dir == tmp.path() + "/usr/local/share/ca-certificates/edgesec");
  CHECK(trust::StoreDir(Layout::System()) == "/usr/local/share/ca-certificates/edgesec");
  CHECK_FALSE(trust::Installed(layout));
  X509Ptr a = CaNamed("Root A");
  REQUIRE(trust::Write(dir, Pem(a.get())));
  CHECK(trust::Installed(layout));
  auto removed = trust::Remove(dir);
  REQUIRE(removed);
  CHECK(*removed == std::vector<std::string>{trust::FileNameFor(a.get())});
  CHECK_FALSE(fs::Exists(dir));
  CHECK_FALSE(trust::Installed(layout));
  auto nothing = trust::Remove(dir);
  REQUIRE(nothing);
  CHECK(nothing->empty());
}
