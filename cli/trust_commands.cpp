// edgectl trust install|remove (the trust bundle in the OS store, common/trust_store.hpp) and
// edgectl ca export --downstream (the root a downstream device trusts to verify edgeHub's chain).
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "common/fs.hpp"
#include "common/systemd.hpp"
#include "common/trust_store.hpp"
#include "common/x509/details.hpp"
#include "common/x509/pem.hpp"
#include "daemon/client/identityd_client.hpp"

namespace edgesec::cli {
namespace {

const char* kUpdateTool = "update-ca-certificates";

std::string FindUpdateTool() {
  for (const char* dir : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
    std::string p = std::string(dir) + "/" + kUpdateTool;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

// Runs update-ca-certificates (its output to ours unless `quiet`); an error says what to do.
Status RunUpdateTool(bool quiet) {
  std::string tool = FindUpdateTool();
  if (tool.empty())
    return MakeError(ErrorKind::kIo, std::string(kUpdateTool) +
                                         " is not installed (Debian package ca-certificates)");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (quiet) posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  char* argv[] = {tool.data(), nullptr};
  std::vector<std::string> env = systemd::ChildEnvironment();
  std::vector<char*> envp = systemd::EnvPointers(env);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, tool.c_str(), &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return IoError("cannot run '" + tool + "'", rc);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  return MakeError(ErrorKind::kIo,
                   "'" + tool + "' failed (exit status " +
                       std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
}

// Debian's update-ca-certificates leaves the links of a removed local certificate dangling in
// /etc/ssl/certs when nothing was added (it removes orphans only when the set changed): removes
// the dangling links into edgesec's folder, then the dangling hash links to those. Links of
// anything else are left alone.
void RemoveOrphanLinks(const std::string& store_dir) {
  const std::string certs = "/etc/ssl/certs";
  auto pass = [&](auto&& is_ours) {
    std::set<std::string> gone;
    DIR* d = ::opendir(certs.c_str());
    if (d == nullptr) return gone;
    while (struct dirent* e = ::readdir(d)) {
      std::string path = certs + "/" + e->d_name;
      char target[4096];
      ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
      struct stat st {};
      if (n <= 0 || ::stat(path.c_str(), &st) == 0) continue;  // not a link, or not dangling
      target[n] = '\0';
      if (is_ours(std::string(target)) && ::unlink(path.c_str()) == 0) gone.insert(e->d_name);
    }
    ::closedir(d);
    return gone;
  };
  auto named = pass([&](const std::string& t) { return t.rfind(store_dir + "/", 0) == 0; });
  if (!named.empty()) pass([&](const std::string& t) { return named.count(t) != 0; });
}

// Refuses early, with what to do, when the store folder (or the nearest folder above it that
// exists) is not writable: outside --root that needs root.
Status CheckWritable(const std::string& dir) {
  std::string existing = dir;
  while (existing.size() > 1 && !fs::Exists(existing)) existing = fs::DirName(existing);
  if (::access(existing.c_str(), W_OK) == 0) return {};
  return MakeError(ErrorKind::kIo, "cannot write '" + existing + "' (" + std::strerror(errno) +
                                       "): changing the OS trust store needs root; run it as "
                                       "root (sudo), or give --root DIR to write under DIR");
}

std::string List(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += "  " + n + "\n";
  return s;
}

int TrustInstall(Context& ctx) {
  std::string dir = trust::StoreDir(ctx.layout);
  if (Status st = CheckWritable(dir); !st) return Fail(st.error().message);
  identityd::IdentitydClient client(ctx.layout.Socket("identityd"));
  auto bundle = client.TrustBundle();
  if (!bundle) {
    std::string hint = bundle.error().kind == ErrorKind::kUnavailable
                           ? "; is identityd running? (systemctl start edgesec-identityd, or "
                             "edgectl --root DIR up)"
                           : "";
    return Fail("cannot get the trust bundle from identityd: " + bundle.error().message + hint);
  }
  auto written = trust::Write(dir, *bundle);
  if (!written) {
    if (written.error().kind == ErrorKind::kInvalidParameter)
      return Fail("identityd's trust bundle is empty; nothing installed (" +
                  written.error().message + ")");
    return Fail(written.error().Describe());
  }
  bool ran = !ctx.layout.is_rooted();
  if (ran) {
    if (Status st = RunUpdateTool(ctx.Has("--quiet") || ctx.json); !st)
      return Fail("the certificates are in '" + dir + "', but " + st.error().message +
                  "; run update-ca-certificates as root");
    RemoveOrphanLinks(dir);
  }
  if (ctx.Has("--quiet") && !ctx.json) return kOk;
  Json j{{"dir", dir},
         {"files", written->files},
         {"added", written->added},
         {"removed", written->removed},
         {"updateCaCertificates", ran}};
  std::string text =
      std::to_string(written->files.size()) + " certificate(s) of the trust bundle in '" + dir +
      "' (" + std::to_string(written->added.size()) + " written, " +
      std::to_string(written->removed.size()) + " removed):\n" + List(written->files);
  text += ran ? "update-ca-certificates ran: the OS trust store has them\n"
              : "under --root: files only, update-ca-certificates was not run\n";
  ctx.Print(j, text);
  return kOk;
}

int TrustRemove(Context& ctx) {
  std::string dir = trust::StoreDir(ctx.layout);
  if (Status st = CheckWritable(dir); !st) return Fail(st.error().message);
  auto removed = trust::Remove(dir);
  if (!removed) return Fail(removed.error().Describe());
  bool ran = !ctx.layout.is_rooted();
  if (ran) {
    if (Status st = RunUpdateTool(ctx.Has("--quiet") || ctx.json); !st)
      return Fail("the certificates are gone from '" + dir + "', but " + st.error().message +
                  "; run update-ca-certificates as root");
    RemoveOrphanLinks(dir);
  }
  if (ctx.Has("--quiet") && !ctx.json) return kOk;
  std::string text = removed->empty() ? "nothing installed in '" + dir + "'\n"
                                      : "removed '" + dir + "':\n" + List(*removed);
  text += ran ? "update-ca-certificates ran\n"
              : "under --root: files only, update-ca-certificates was not run\n";
  ctx.Print(Json{{"dir", dir}, {"removed", *removed}, {"updateCaCertificates", ran}}, text);
  return kOk;
}

bool SelfSigned(X509* c) {
  return X509_check_issued(c, c) == X509_V_OK && X509_verify(c, X509_get0_pubkey(c)) == 1;
}

// The self-signed root above the Edge CA: up its chain, then through the trust bundle (where the
// PKI's root is when the Edge CA comes from files). A chain that reaches none is an error that says
// which certificate the downstream device needs.
Expected<X509*> FindRoot(const x509::Chain& chain, const x509::Chain& bundle) {
  X509* top = chain.back().get();
  for (int depth = 0; depth < 16; ++depth) {
    if (SelfSigned(top)) return top;
    X509* issuer = nullptr;
    for (const auto* set : {&chain, &bundle})
      for (const auto& c : *set)
        if (!issuer && c.get() != top && X509_check_issued(c.get(), top) == X509_V_OK &&
            X509_verify(top, X509_get0_pubkey(c.get())) == 1)
          issuer = c.get();
    if (!issuer) {
      std::string name = x509::NameText(X509_get_issuer_name(top));
      return InvalidParameter(
          "the Edge CA's chain ends at '" + x509::NameText(X509_get_subject_name(top)) +
          "', which is not self-signed, and the trust bundle holds no certificate that issued it: "
          "give the downstream device the root of your PKI (the CA certificate '" +
          name + "'), or add it to identityd's trust_bundle_cert and export again");
    }
    top = issuer;
  }
  return InvalidParameter("the Edge CA's chain is longer than 16 certificates");
}

int CaExport(Context& ctx) {
  if (!ctx.Has("--downstream")) {
    std::fprintf(stderr, "edgectl ca export: give --downstream FILE; see --help\n");
    return kUsage;
  }
  std::string out = ctx.Option("--downstream");
  identityd::IdentitydClient client(ctx.layout.Socket("identityd"));
  auto ca = client.EdgeCa();
  if (!ca) return Fail("Edge CA: " + ca.error().message);
  auto chain = x509::ParsePemChain(ca->value("pem", ""));
  if (!chain) return Fail("identityd's Edge CA: " + chain.error().message);
  auto bundle_pem = client.TrustBundle();
  if (!bundle_pem) return Fail("trust bundle: " + bundle_pem.error().message);
  auto bundle = x509::ParsePemChain(*bundle_pem);
  x509::Chain none;
  auto root = FindRoot(*chain, bundle ? *bundle : none);
  if (!root) return Fail(root.error().message);
  auto pem = x509::ToPem(*root);
  if (!pem) return Fail(pem.error().Describe());
  if (Status st = fs::AtomicWriteFile(out, *pem, 0644); !st) return Fail(st.error().Describe());
  std::string subject = x509::NameText(X509_get_subject_name(*root));
  std::string sha = x509::Sha256Fingerprint(*root);
  // A self-signed Edge CA (quickstart) is its own root: a renewal replaces it.
  bool is_edge_ca = *root == chain->front().get();
  std::string text = "wrote the root '" + subject + "' (SHA-256 " + sha + ") to '" + out +
                     "': a downstream device trusts it to verify edgeHub's chain";
  if (is_edge_ca)
    text +=
        "\nnote: this root is the self-signed Edge CA itself; when it is renewed, downstream "
        "devices need the new one (export again). A PKI's root does not change.";
  ctx.Print(Json{{"file", out}, {"subject", subject}, {"sha256", sha}, {"isEdgeCa", is_edge_ca}},
            text);
  return kOk;
}

}  // namespace

std::vector<Command> TrustCommands() {
  return {
      {{"trust", "install"},
       "",
       0,
       0,
       "put identityd's trust bundle into the OS trust store (/usr/local/share/ca-certificates/"
       "edgesec, then update-ca-certificates; under --root: the files only); kept in step on Edge "
       "CA rollover",
       {{"--quiet", "", "print nothing on success"}},
       &TrustInstall},
      {{"trust", "remove"},
       "",
       0,
       0,
       "take edgesec's certificates out of the OS trust store",
       {{"--quiet", "", "print nothing on success"}},
       &TrustRemove},
      {{"ca", "export"},
       "",
       0,
       0,
       "write the root a downstream device must trust to verify edgeHub's chain",
       {{"--downstream", "FILE", "the PEM file to write (0644)"}},
       &CaExport},
  };
}

}  // namespace edgesec::cli
