// The trust bundle in the OS trust store (`edgectl trust install`), when it was put there: the
// files of /usr/local/share/ca-certificates/edgesec are those of identityd's trust bundle (an Edge
// CA rollover whose refresh did not run leaves them out of step), and, outside --root,
// update-ca-certificates linked each into /etc/ssl/certs.
#include <set>

#include "cli/check/check.hpp"
#include "common/fs.hpp"
#include "common/trust_store.hpp"
#include "common/x509/pem.hpp"
#include "daemon/client/identityd_client.hpp"

namespace edgesec::cli::check {
namespace {

const char* kId = "trust-store";

std::string Join(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "'" : ", '") + n + "'";
  return s;
}

}  // namespace

void CheckTrustStore(Env& env, Report& report) {
  std::string dir = trust::StoreDir(env.layout);
  if (!trust::Installed(env.layout)) {
    report.Skip(kId,
                "the trust bundle is not in the OS trust store (edgectl trust install puts it "
                "there for programs on the host)");
    return;
  }
  if (!env.Reachable("identityd")) {
    report.Skip(kId,
                "identityd is not reachable: the OS trust store was not compared with its "
                "trust bundle",
                env.StartHint("identityd"));
    return;
  }
  identityd::IdentitydClient client(env.layout.Socket("identityd"));
  auto bundle = client.TrustBundle();
  auto chain = bundle ? edgesec::x509::ParsePemChain(*bundle)
                      : Expected<edgesec::x509::Chain>(bundle.error());
  if (!chain) {
    report.Skip(kId, "cannot read identityd's trust bundle: " + chain.error().message);
    return;
  }
  std::set<std::string> want;
  for (const auto& c : *chain) want.insert(trust::FileNameFor(c.get()));
  std::vector<std::string> missing, stale, unlinked;
  std::set<std::string> have;
  if (auto files = fs::ListFiles(dir))
    for (const auto& f : *files)
      if (f.size() > 4 && f.compare(f.size() - 4, 4, ".crt") == 0) have.insert(f);
  for (const auto& w : want) {
    if (!have.count(w))
      missing.push_back(w);
    else if (!env.layout.is_rooted() &&
             !fs::Exists("/etc/ssl/certs/" + w.substr(0, w.size() - 4) + ".pem"))
      unlinked.push_back(w);
  }
  for (const auto& h : have)
    if (!want.count(h)) stale.push_back(h);
  std::string fix = env.layout.is_rooted()
                        ? "edgectl trust install"
                        : "sudo edgectl trust install (after an Edge CA rollover "
                          "identityd starts edgesec-trust.service: see "
                          "journalctl -u edgesec-identityd -u edgesec-trust)";
  if (!missing.empty() || !stale.empty()) {
    report.Warn(kId,
                "'" + dir + "' is out of step with identityd's trust bundle" +
                    (missing.empty() ? "" : "; missing " + Join(missing)) +
                    (stale.empty() ? "" : "; no longer in the bundle " + Join(stale)),
                fix);
    return;
  }
  if (!unlinked.empty()) {
    report.Warn(kId,
                "update-ca-certificates has not linked " + Join(unlinked) + " into /etc/ssl/certs",
                fix);
    return;
  }
  report.Pass(kId, "'" + dir + "' holds identityd's trust bundle (" + std::to_string(want.size()) +
                       " certificate(s))");
}

}  // namespace edgesec::cli::check
