// Reading the super config: one function per section, each key read once through config::Reader
// (type errors and unknown keys with file:line:col and did-you-mean).
#include <algorithm>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "config/super/peer_only.hpp"
#include "config/super/reader_internal.hpp"
#include "config/super/super.hpp"
#include "config/super/values.hpp"
#include "config/toml_reader.hpp"

namespace edgesec::config::super {

using namespace reader;

Expected<ReadResult> ReadSuperConfig(std::string_view text, const std::string& path) {
  EDGESEC_ASSIGN_OR_RETURN(ParsedFile parsed, ParseToml(text, path));
  ReadResult out;
  PrunePeerOnly(*parsed.table, path, &out.warnings);
  Ctx ctx{&out.config, &out.warnings, {}, {}};
  Reader r(*parsed.table, path);
  SuperConfig& c = out.config;
  EDGESEC_TRY(Str(r, "hostname", &c.hostname));
  if (c.hostname.size() > 255 || c.hostname.find_first_of(" /\t") != std::string::npos)
    return r.ErrorAt("hostname", "must be a host name (no spaces or slashes, at most 255 chars)");
  EDGESEC_TRY(CertUri(ctx, r, "trust_bundle_cert", false, &c.trust_bundle_cert));
  if (!c.trust_bundle_cert.empty()) c.files.back().service = "identityd";
  EDGESEC_TRY(CertUri(ctx, r, "manifest_trust_bundle_cert", false, &c.manifest_trust_bundle_cert));
  if (!c.manifest_trust_bundle_cert.empty()) c.files.back().service = "identityd";
  EDGESEC_ASSIGN_OR_RETURN(auto warnings, r.StringArray("expiry_warnings"));
  for (const auto& w : warnings.value_or(std::vector<std::string>{})) {
    if (auto problem = SpanProblem(w, false)) return r.ErrorAt("expiry_warnings", *problem);
    c.expiry_warnings.push_back(w);
  }
  EDGESEC_ASSIGN_OR_RETURN(auto prov, r.Table("provisioning"));
  if (prov)
    EDGESEC_TRY(
        ProvisioningSection(ctx, *prov, *parsed.table->get_as<toml::table>("provisioning")));
  EDGESEC_ASSIGN_OR_RETURN(auto issuance, r.Table("cert_issuance"));
  if (issuance) EDGESEC_TRY(CertIssuanceSection(ctx, *issuance));
  EDGESEC_ASSIGN_OR_RETURN(auto edge_ca, r.Table("edge_ca"));
  if (edge_ca)
    EDGESEC_TRY(EdgeCaSection(ctx, *edge_ca, *parsed.table->get_as<toml::table>("edge_ca")));
  EDGESEC_ASSIGN_OR_RETURN(auto aziot_keys, r.Table("aziot_keys"));
  EDGESEC_ASSIGN_OR_RETURN(auto keys, r.Table("keys"));
  if (aziot_keys && keys)
    return r.ErrorAt("keys", "[keys] is another name of [aziot_keys]; give one of them");
  if (aziot_keys || keys) EDGESEC_TRY(KeysSection(ctx, aziot_keys ? *aziot_keys : *keys));
  EDGESEC_ASSIGN_OR_RETURN(auto tpm, r.Table("tpm"));
  if (tpm) EDGESEC_TRY(TpmSection(ctx, *tpm));
  EDGESEC_TRY(PreloadedSections(ctx, r));
  EDGESEC_TRY(EngineSections(ctx, r));
  EDGESEC_TRY(PrincipalSections(ctx, r));
  EDGESEC_TRY(ModuleCertsSection(ctx, r));
  EDGESEC_TRY(MaxRequestsSections(ctx, r));
  EDGESEC_TRY(RevocationSection(ctx, r));
  EDGESEC_TRY(r.Finish());
  EDGESEC_TRY(ResolveIdentities(ctx));
  ResolveServerKeygen(ctx);
  EDGESEC_TRY(CrossSection(ctx, r));
  PkcsWarnings(ctx);
  SortWarnings(&out.warnings);
  return out;
}

Expected<ReadResult> LoadSuperConfig(const std::string& path) {
  auto text = fs::ReadFile(path);
  if (!text) return text.error();
  return ReadSuperConfig(*text, path);
}

}  // namespace edgesec::config::super
