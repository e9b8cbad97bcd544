#include "config/certd/profile_config.hpp"

#include "config/field_table.hpp"

namespace edgesec::certd {
namespace {

using config::FieldTable;
using config::Reader;
using config::TomlWriter;

template <class T, std::optional<T> ProfileFile::*member>
void WriteOptional(TomlWriter& w, const char* key, const ProfileFile& p) {
  const auto& v = p.*member;
  if (!v) return;
  if constexpr (std::is_same_v<T, int64_t>)
    w.Integer(key, *v);
  else if constexpr (std::is_same_v<T, bool>)
    w.Boolean(key, *v);
  else if constexpr (std::is_same_v<T, std::string>)
    w.String(key, *v);
  else
    w.Strings(key, *v);
}

template <std::optional<std::vector<std::string>> ProfileFile::*member>
config::Field<ProfileFile> StringsField(const char* key) {
  return {key,
          [](Reader& r, const char* k, ProfileFile* p) -> Status {
            EDGESEC_ASSIGN_OR_RETURN(p->*member, r.StringArray(k));
            return {};
          },
          WriteOptional<std::vector<std::string>, member>};
}

const FieldTable<ProfileFile>& ProfileFields() {
  static const FieldTable<ProfileFile> t = {
      {"validity_days",
       [](Reader& r, const char* k, ProfileFile* p) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(p->validity_days, r.Integer(k));
         if (p->validity_days && (*p->validity_days < 1 || *p->validity_days > 36500))
           return r.ErrorAt(k, "must be between 1 and 36500");
         return {};
       },
       WriteOptional<int64_t, &ProfileFile::validity_days>},
      StringsField<&ProfileFile::key_usage>("key_usage"),
      StringsField<&ProfileFile::extended_key_usage>("extended_key_usage"),
      {"san",
       [](Reader& r, const char* k, ProfileFile* p) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(p->san, r.String(k));
         if (p->san && *p->san != "copy" && *p->san != "none")
           return r.ErrorAt(k, "must be \"copy\" (the CSR's SANs) or \"none\"");
         return {};
       },
       WriteOptional<std::string, &ProfileFile::san>},
      {"ca",
       [](Reader& r, const char* k, ProfileFile* p) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(p->ca, r.Boolean(k));
         return {};
       },
       WriteOptional<bool, &ProfileFile::ca>},
      {"pathlen",
       [](Reader& r, const char* k, ProfileFile* p) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(p->pathlen, r.Integer(k));
         return {};
       },
       WriteOptional<int64_t, &ProfileFile::pathlen>},
  };
  return t;
}

void ApplyProfileFile(const ProfileFile& f, x509::Profile* p) {
  if (f.validity_days) p->validity_days = static_cast<int>(*f.validity_days);
  if (f.key_usage) p->key_usage = *f.key_usage;
  if (f.extended_key_usage) p->extended_key_usage = *f.extended_key_usage;
  if (f.san)
    p->san_policy = *f.san == "none" ? x509::SanPolicy::kNone : x509::SanPolicy::kCopyFromCsr;
  if (f.ca) p->ca = *f.ca;
  if (f.pathlen) p->pathlen = static_cast<int>(*f.pathlen);
}

}  // namespace

Status ReadProfileTables(Reader& r, const char* key,
                         std::map<std::string, x509::Profile>* profiles) {
  EDGESEC_ASSIGN_OR_RETURN(auto tables, r.Table(key));
  if (!tables) return {};
  for (const std::string& name : tables->Keys()) {
    EDGESEC_ASSIGN_OR_RETURN(auto t, tables->Table(name));
    ProfileFile file;
    EDGESEC_TRY(config::ReadFields(*t, ProfileFields(), &file));
    x509::Profile p = profiles->count(name) ? (*profiles)[name] : x509::DefaultLeafProfile();
    p.name = name;
    ApplyProfileFile(file, &p);
    std::string field;
    if (Status st = x509::ValidateProfile(p, &field); !st)
      return t->ErrorAt(field, st.error().message);
    EDGESEC_TRY(t->Finish());
    (*profiles)[name] = std::move(p);
  }
  return {};
}

void WriteProfileTables(TomlWriter& w, const char* key, const ProfileFiles& profiles) {
  for (const auto& [name, file] : profiles) {
    w.Table(std::string(key) + "." + name);
    config::WriteFields(w, ProfileFields(), file);
  }
}

}  // namespace edgesec::certd
