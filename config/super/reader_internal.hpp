#pragma once
// Internal to config/super's reader: the reading context, the field readers every section uses
// (reader_fields.cpp), the section readers (reader_certs.cpp, reader_keys.cpp, reader_access.cpp)
// and the checks across sections (reader_sections.cpp). ReadSuperConfig
// (reader.cpp) runs them in order.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "config/super/model.hpp"
#include "config/toml_reader.hpp"

namespace edgesec::config::super::reader {

struct Ctx {
  SuperConfig* c;
  std::vector<std::string>* warnings;
  // Per-certificate EST identities: certd holds one, so they must agree with [cert_issuance.est].
  struct IdentityOverride {
    std::string what, value, position;
  };
  std::vector<IdentityOverride> identity_overrides;
  std::vector<std::string>
      pkcs11_uses;  // positions of pkcs11: URIs, warned about without a library
};

// Field readers (reader_fields.cpp).
std::string Where(const Reader& r, std::string_view key);
void Warn(Ctx& ctx, const Reader& r, std::string_view key, const std::string& message);
Status Str(Reader& r, std::string_view key, std::string* out);
Status Int(Reader& r, std::string_view key, std::optional<int64_t>* out, int64_t lo, int64_t hi);
Status Path(Ctx& ctx, Reader& r, std::string_view key, const char* service, std::string* out);
Status CertUri(Ctx& ctx, Reader& r, std::string_view key, bool allow_name, std::string* out);
void NotePinFile(Ctx& ctx, const Reader& r, std::string_view key, const std::string& uri);
Status KeyUri(Ctx& ctx, Reader& r, std::string_view key, bool allow_name, std::string* out);
Status Span(Reader& r, std::string_view key, bool allow_percent, std::optional<std::string>* out);
Expected<std::optional<RenewPolicy>> Policy(Reader& parent, std::string_view key,
                                            std::optional<int64_t> lifetime_days);
Status Subject(Reader& r, IssuedCert* cert);
Status EstUrl(Reader& r, std::string_view key, std::string* out, Ctx& ctx);
Status Password(Ctx& ctx, Reader& r, std::string* user, std::optional<std::string>* password,
                std::string* password_file);
Status IdentityOverrides(Ctx& ctx, Reader& r);
Status Issued(Ctx& ctx, Reader& r, IssuedCert* cert);

// Section readers (reader_certs.cpp, reader_keys.cpp, reader_access.cpp) and the checks across
// sections (reader_sections.cpp).
Status EdgeCaSection(Ctx& ctx, Reader& t, const toml::table& raw);
Status ProvisioningSection(Ctx& ctx, Reader& t, const toml::table& raw);
Status EstSection(Ctx& ctx, Reader& t);
Status ProfilesSection(Ctx& ctx, Reader& t);
Status CertIssuanceSection(Ctx& ctx, Reader& t);
Status KeysSection(Ctx& ctx, Reader& t);
Status TpmSection(Ctx& ctx, Reader& t);
Status PreloadedSections(Ctx& ctx, Reader& r);
Status EngineSections(Ctx& ctx, Reader& r);
Status PrincipalSections(Ctx& ctx, Reader& r);
Status ModuleCertsSection(Ctx& ctx, Reader& r);
Status MaxRequestsSections(Ctx& ctx, Reader& r);
Status RevocationSection(Ctx& ctx, Reader& r);  // [revocation] (reader_access.cpp)
Status ResolveIdentities(Ctx& ctx);
void ResolveServerKeygen(Ctx& ctx);
Status CrossSection(Ctx& ctx, Reader& r);
void PkcsWarnings(Ctx& ctx);
void SortWarnings(std::vector<std::string>* warnings);

}  // namespace edgesec::config::super::reader
