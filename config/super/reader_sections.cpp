// The super config reader's checks across sections: EST identities that must agree, methods that
// need another section, pkcs11: URIs without a library, and the warnings' order.
#include <algorithm>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "config/super/peer_only.hpp"
#include "config/super/reader_internal.hpp"
#include "config/super/super.hpp"
#include "config/super/values.hpp"
#include "config/toml_reader.hpp"

namespace edgesec::config::super::reader {

// certd holds one bootstrap identity and one EST identity: a certificate's own must be the same as
// [cert_issuance.est.auth]'s, or become it when that has none.
Status ResolveIdentities(Ctx& ctx) {
  Est& est = ctx.c->est;
  for (const auto& o : ctx.identity_overrides) {
    std::string* global = o.what == "bootstrap_identity_cert" ? &est.bootstrap_cert
                          : o.what == "bootstrap_identity_pk" ? &est.bootstrap_pk
                          : o.what == "identity_cert"         ? &est.identity_cert
                                                              : &est.identity_pk;
    if (global->empty()) {
      *global = o.value;
    } else if (*global != o.value) {
      return MakeError(ErrorKind::kConfig,
                       o.position + ": edgesec uses one " + o.what +
                           " for every EST request, and '" + *global +
                           "' is already set; make them the same or remove this one");
    }
  }
  return {};
}

Status CrossSection(Ctx& ctx, Reader& r) {
  const SuperConfig& c = *ctx.c;
  auto needs_est = [&](const IssuedCert& cert, const char* where) -> Status {
    if (cert.method == certd::IssuanceMethod::kEst && cert.est.url.empty() && c.est.url.empty())
      return MakeError(ErrorKind::kConfig, cert.position +
                                               ": \"est\" needs the EST server: set 'url' in " +
                                               where + " or [cert_issuance.est.urls] default");
    if (cert.method == certd::IssuanceMethod::kLocalCa && !c.local_ca)
      return MakeError(ErrorKind::kConfig, cert.position +
                                               ": \"local_ca\" needs [cert_issuance.local_ca] with "
                                               "'cert' and 'pk'");
    return {};
  };
  if (c.edge_ca.mode == EdgeCa::Mode::kIssued)
    EDGESEC_TRY(needs_est(c.edge_ca.issued, "[edge_ca]"));
  if (c.device.mode == DeviceIdentity::Mode::kIssued)
    EDGESEC_TRY(needs_est(c.device.issued, "[provisioning.authentication.identity_cert]"));
  // certd has one CA label: a certificate's own URL may not name another one.
  std::string label = !c.est.label.empty() ? c.est.label : EstLabelOf(c.est.url);
  for (const IssuedCert* cert : {&c.edge_ca.issued, &c.device.issued}) {
    std::string own = EstLabelOf(cert->est.url);
    if (own.empty()) continue;
    if (label.empty()) label = own;
    if (own != label)
      return MakeError(ErrorKind::kConfig,
                       cert->est.url_position + ": names CA label '" + own + "', but '" + label +
                           "' is already the label of every EST request; use one label");
  }
  // Engines named by default_engine and rules must exist.
  auto known = [&](const std::string& e) {
    return e == "file" || (e == "pkcs11" && !c.keys.pkcs11_lib_path.empty()) ||
           (e == "tpm" && c.tpm) ||
           std::any_of(c.engines.begin(), c.engines.end(), [&](auto& v) { return v.name == e; });
  };
  if (!c.keys.default_engine.empty() && !known(c.keys.default_engine))
    return MakeError(ErrorKind::kConfig,
                     c.keys.default_engine_position + ": '" + c.keys.default_engine +
                         "' is not \"file\", \"pkcs11\" (with pkcs11_lib_path), \"tpm\" (with "
                         "[tpm] tcti) or an [engines.<name>]");
  for (const auto& rule : c.key_engines)
    if (!known(rule.engine))
      return MakeError(ErrorKind::kConfig,
                       rule.position + ": engine '" + rule.engine +
                           "' is not configured; name \"file\", \"pkcs11\" (with "
                           "pkcs11_lib_path), \"tpm\" (with [tpm] tcti) or an [engines.<name>]");
  (void)r;
  return {};
}

void PkcsWarnings(Ctx& ctx) {
  if (!ctx.c->keys.pkcs11_lib_path.empty()) return;
  for (const auto& where : ctx.pkcs11_uses)
    ctx.warnings->push_back(where +
                            ": a pkcs11: URI with no [aziot_keys] pkcs11_lib_path; keyd "
                            "will load p11-kit's proxy module " EDGESEC_P11KIT_PROXY
                            " (set pkcs11_lib_path to your token's module)");
}

// Warnings in file order: "file:line:col: …".
void SortWarnings(std::vector<std::string>* warnings) {
  auto position = [](const std::string& w) {
    size_t a = w.find(':'), b = w.find(':', a + 1);
    return std::pair(std::atol(w.c_str() + a + 1), std::atol(w.c_str() + b + 1));
  };
  std::stable_sort(warnings->begin(), warnings->end(),
                   [&](const auto& x, const auto& y) { return position(x) < position(y); });
}

}  // namespace edgesec::config::super::reader
