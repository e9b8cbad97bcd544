// The super config reader's sections about callers and modules: [[principal]], [module_certs],
// [aziot_max_requests] / [iotedge_max_requests] (how many requests one caller may have at once),
// and [revocation] (certd's revocation checking).
#include <algorithm>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "config/super/peer_only.hpp"
#include "config/super/reader_internal.hpp"
#include "config/super/super.hpp"
#include "config/super/values.hpp"
#include "config/toml_reader.hpp"

namespace edgesec::config::super::reader {

Status PrincipalSections(Ctx& ctx, Reader& r) {
  EDGESEC_ASSIGN_OR_RETURN(auto tables, r.TableArray("principal"));
  for (auto& t : tables) {
    Principal p;
    p.position = Where(t, "");
    p.position = p.position.substr(0, p.position.rfind(": '"));
    EDGESEC_TRY(Int(t, "uid", &p.uid, 0, 0x7fffffff));
    EDGESEC_TRY(Str(t, "name", &p.name));
    if (p.uid.has_value() == !p.name.empty())
      return t.ErrorAt(p.uid ? "name" : "uid", "give either 'uid' or 'name' (a user), not both");
    EDGESEC_ASSIGN_OR_RETURN(auto keys, t.StringArray("keys"));
    EDGESEC_ASSIGN_OR_RETURN(auto certs, t.StringArray("certs"));
    EDGESEC_ASSIGN_OR_RETURN(auto modules, t.StringArray("modules"));
    p.keys = keys.value_or(std::vector<std::string>{});
    p.certs = certs.value_or(std::vector<std::string>{});
    p.modules = modules.value_or(std::vector<std::string>{});
    for (const auto& m : p.modules)
      if (!IsValidId(m)) return t.ErrorAt("modules", "'" + m + "' is not a module id");
    EDGESEC_TRY(Str(t, "idtype", &p.idtype));
    if (!p.idtype.empty() && p.idtype != "device" && p.idtype != "module")
      return t.ErrorAt("idtype", "must be \"device\" or \"module\"");
    if (p.idtype == "module" && p.modules.empty())
      return t.ErrorAt("idtype", "a module principal needs 'modules'");
    if (p.keys.empty() && p.certs.empty() && p.modules.empty() && p.idtype != "device")
      return t.ErrorAt("keys",
                       "a principal needs 'keys', 'certs', 'modules' or idtype = "
                       "\"device\" (what it may use)");
    EDGESEC_TRY(t.Finish());
    ctx.c->principals.push_back(std::move(p));
  }
  return {};
}

Status ModuleCertsSection(Ctx& ctx, Reader& r) {
  EDGESEC_ASSIGN_OR_RETURN(auto t, r.Table("module_certs"));
  if (!t) return {};
  EDGESEC_TRY(Int(*t, "validity_days", &ctx.c->module_certs.validity_days, 1, 3650));
  EDGESEC_TRY(Str(*t, "algorithm", &ctx.c->module_certs.algorithm));
  if (!ctx.c->module_certs.algorithm.empty() && !IsKeyAlgorithm(ctx.c->module_certs.algorithm))
    return t->ErrorAt("algorithm", "must be ec-p256, ec-p384, rsa-2048, rsa-3072 or rsa-4096");
  return t->Finish();
}

namespace {

// A per-socket limit: the connections one uid may hold at once (common/http/uid_limit.hpp).
Status MaxRequests(Reader& t, std::string_view key, std::optional<int64_t>* out) {
  EDGESEC_ASSIGN_OR_RETURN(auto v, t.Integer(key));
  if (!v) return {};
  if (*v < 1 || *v > 0x7fffffff)
    return t.ErrorAt(key,
                     "must be a positive integer: the requests one caller (uid) may have at once "
                     "on the socket, e.g. 10");
  *out = *v;
  return {};
}

// A key of the peer's table for a socket edgesec does not have: checked, then ignored.
Status IgnoredMaxRequests(Ctx& ctx, Reader& t, std::string_view key, const std::string& why) {
  std::optional<int64_t> ignored;
  EDGESEC_TRY(MaxRequests(t, key, &ignored));
  if (ignored) Warn(ctx, t, key, why + "; edgesec ignores it");
  return {};
}

}  // namespace

Status MaxRequestsSections(Ctx& ctx, Reader& r) {
  MaxRequestLimits& m = ctx.c->max_requests;
  EDGESEC_ASSIGN_OR_RETURN(auto aziot, r.Table("aziot_max_requests"));
  if (aziot) {
    EDGESEC_TRY(MaxRequests(*aziot, "keyd", &m.keyd));
    EDGESEC_TRY(MaxRequests(*aziot, "certd", &m.certd));
    EDGESEC_TRY(MaxRequests(*aziot, "identityd", &m.identityd));
    EDGESEC_TRY(IgnoredMaxRequests(ctx, *aziot, "tpmd",
                                   "edgesec has no TPM service (keyd's tpm engine uses the TPM)"));
    EDGESEC_TRY(aziot->Finish());
  }
  EDGESEC_ASSIGN_OR_RETURN(auto iotedge, r.Table("iotedge_max_requests"));
  if (iotedge) {
    EDGESEC_TRY(MaxRequests(*iotedge, "workload", &m.workload));
    EDGESEC_TRY(IgnoredMaxRequests(
        ctx, *iotedge, "management",
        "the management API is IoT Edge's module runtime, which edgesec does not serve"));
    EDGESEC_TRY(iotedge->Finish());
  }
  return {};
}

Status RevocationSection(Ctx& ctx, Reader& r) {
  EDGESEC_ASSIGN_OR_RETURN(auto t, r.Table("revocation"));
  if (!t) return {};
  RevocationSettings& rv = ctx.c->revocation;
  EDGESEC_ASSIGN_OR_RETURN(rv.check, t->Boolean("check"));
  EDGESEC_TRY(Span(*t, "refresh", false, &rv.refresh));
  return t->Finish();
}

}  // namespace edgesec::config::super::reader
