// `edgectl config apply`, after the services read their new files: the Edge CA follows its
// configured source (issue 11, trap 2). A stored `edge-ca` cert outlives a change of source — from
// quickstart to files, to another method or key engine — and would stay in charge; here the served
// Edge CA is compared with the config, and a stale one is replaced: the stored override of a CA
// from files is deleted (the file is served), a managed one is renewed from its new source. The
// previous Edge CA stays in identityd's trust bundle until it expires, as after a renewal.
#include <cstdlib>
#include <optional>

#include "certd/client/certd_client.hpp"
#include "cli/config_commands.hpp"
#include "common/fs.hpp"
#include "common/reload_ack.hpp"
#include "common/x509/csr.hpp"
#include "common/x509/details.hpp"
#include "common/x509/pem.hpp"
#include "config/super/values.hpp"

namespace edgesec::cli {
namespace {

namespace super = config::super;
constexpr const char* kEdgeCa = "edge-ca";

bool SelfIssued(X509* cert) {
  return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0 &&
         X509_check_issued(cert, cert) == X509_V_OK;
}

// Why the served Edge CA does not follow the config; nullopt when it does. A throwaway leaf
// (store: false) proves that the CA's key is the one keyd holds for it.
// *fixable: whether deleting the stored cert (files) or renewing (managed) can help; a CA from
// files that is the configured one but cannot issue is the integrator's to replace.
Expected<std::optional<std::string>> Misfit(certd::CertdClient& certd, const super::EdgeCa& e,
                                            X509* served, bool* fixable) {
  *fixable = true;
  std::string fp = x509::Sha256Fingerprint(served);
  if (e.mode == super::EdgeCa::Mode::kFiles) {
    std::string path = super::PathOf(e.cert);
    auto pem = fs::ReadFile(path);
    if (!pem) return pem.error().Context("reading the Edge CA cert '" + path + "'");
    EDGESEC_ASSIGN_OR_RETURN(auto chain, x509::ParsePemChain(*pem));
    if (chain.empty() || x509::Sha256Fingerprint(chain[0].get()) != fp)
      return std::optional<std::string>("certd serves a stored Edge CA (" + fp +
                                        ") instead of the configured file '" + path + "'");
  } else if (bool quickstart = e.mode == super::EdgeCa::Mode::kQuickstart ||
                               e.issued.method == certd::IssuanceMethod::kSelfSigned;
             quickstart != SelfIssued(served)) {
    return std::optional<std::string>(
        quickstart
            ? "the stored Edge CA (" + fp + ") is not self-signed, but the config makes it so"
            : "the stored Edge CA (" + fp + ") is self-signed, but the config has it issued");
  }
  EDGESEC_ASSIGN_OR_RETURN(auto key, x509::GenerateKeyFor(nullptr));
  x509::CsrSpec spec;
  spec.subject = {{"CN", "edgectl config apply probe"}};
  spec.key = key.get();
  EDGESEC_ASSIGN_OR_RETURN(auto csr, x509::BuildCsr(spec));
  certd::api::CreateCertRequest probe;
  probe.cert_id = "edgectl-apply-probe";
  EDGESEC_ASSIGN_OR_RETURN(probe.csr, x509::CsrToPem(csr.get()));
  probe.issuer = certd::api::Issuer{kEdgeCa, ""};
  probe.store = false;
  if (auto issued = certd.Issue(probe); !issued) {
    *fixable = e.mode != super::EdgeCa::Mode::kFiles;
    return std::optional<std::string>("the Edge CA (" + fp +
                                      ") cannot issue: " + issued.error().message);
  }
  return std::optional<std::string>();
}

Expected<X509Ptr> Served(certd::CertdClient& certd) {
  EDGESEC_ASSIGN_OR_RETURN(std::string pem, certd.Get(kEdgeCa));
  EDGESEC_ASSIGN_OR_RETURN(auto chain, x509::ParsePemChain(pem));
  if (chain.empty()) return MakeError(ErrorKind::kInternal, "certd serves an empty Edge CA");
  return std::move(chain[0]);
}

}  // namespace

std::string ServedEdgeCaFingerprint(const Layout& layout) {
  // Only from a certd that runs now: a connection would socket-activate a stopped one on its old
  // file, and on a fresh install that certd would start issuing a quickstart Edge CA which could be
  // stored after the new config (an Edge CA from files) is in place.
  std::string ack = ReadReloadAck(layout, "certd");
  long pid = std::atol(ack.c_str());
  auto cmdline = fs::ReadFile("/proc/" + std::to_string(pid) + "/cmdline", 65536);
  if (pid <= 0 || !cmdline || cmdline->find("edgesec-certd") == std::string::npos) return {};
  certd::CertdClient certd(layout.Socket("certd"));
  auto served = Served(certd);
  return served ? x509::Sha256Fingerprint(served->get()) : std::string();
}

Expected<std::string> SettleEdgeCa(const Layout& layout, const super::SuperConfig& config,
                                   const std::string& before) {
  certd::CertdClient certd(layout.Socket("certd"));
  auto first = Served(certd);
  if (!first && first.error().kind != ErrorKind::kNotFound) return std::string();  // not running
  X509Ptr served = first ? std::move(*first) : nullptr;
  std::optional<std::string> why = "certd has no Edge CA";
  bool fixable = true;
  if (served) {
    EDGESEC_ASSIGN_OR_RETURN(why, Misfit(certd, config.edge_ca, served.get(), &fixable));
  }
  auto unfit = [&] {
    return MakeError(
        fixable ? ErrorKind::kInternal : ErrorKind::kInvalidParameter,
        fixable ? "the Edge CA does not follow the config: " + *why + "; see `edgectl check`"
                : *why + "; replace the files [edge_ca] names (see `edgectl check`)");
  };
  if (why && !fixable) return unfit();
  std::string text;
  if (why) {
    text = "Edge CA: " + *why + "; ";
    if (config.edge_ca.mode == super::EdgeCa::Mode::kFiles) {
      EDGESEC_TRY(certd.Delete(kEdgeCa));
      text += "deleted the stored one: the configured file is served now\n";
    } else if (auto renewed = certd.Renew(kEdgeCa, std::nullopt, false, "source-changed");
               !renewed) {
      return renewed.error().Context("renewing the Edge CA from its configured source");
    } else {
      text += "renewed it from the configured source\n";
    }
    EDGESEC_ASSIGN_OR_RETURN(served, Served(certd));
    EDGESEC_ASSIGN_OR_RETURN(why, Misfit(certd, config.edge_ca, served.get(), &fixable));
    if (why) return unfit();
  }
  std::string now = x509::Sha256Fingerprint(served.get());
  if (!before.empty() && now != before)
    text += "Edge CA: now " + now + "; the previous one (" + before +
            ") stays in the trust bundle until it expires, and modules get certs from the new "
            "one\n";
  return text;
}

}  // namespace edgesec::cli
