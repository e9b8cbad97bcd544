#include "config/certd/credential_config.hpp"

#include <algorithm>

#include "common/ids.hpp"
#include "config/certd/config.hpp"
#include "config/field_table.hpp"

namespace edgesec::certd {
namespace {

using config::Field;
using config::FieldTable;
using config::Reader;
using config::TomlWriter;

constexpr const char* kMethod = "method";
constexpr const char* kCommonName = "common_name";

template <std::string CredentialFile::*member>
Field<CredentialFile> StringField(const char* key) {
  return {key,
          [](Reader& r, const char* k, CredentialFile* c) {
            return config::ReadString(r, k, &(c->*member));
          },
          [](TomlWriter& w, const char* k, const CredentialFile& c) {
            config::WriteString(w, k, c.*member);
          }};
}

// cert_id (required) and key_id (default: the cert id).
template <std::string CredentialFile::*member>
Field<CredentialFile> IdField(const char* key) {
  Field<CredentialFile> f = StringField<member>(key);
  f.read = [](Reader& r, const char* k, CredentialFile* c) -> Status {
    const bool cert = member == &CredentialFile::cert_id;
    EDGESEC_ASSIGN_OR_RETURN(auto id, r.String(k));
    if (!id && cert) return r.ErrorAt(k, std::string("a credential needs '") + k + "'");
    if (!id) return {};
    if (!IsValidId(*id))
      return r.ErrorAt(k, ValidateId(*id, cert ? "cert id" : "key id").error().message);
    c->*member = *id;
    return {};
  };
  return f;
}

Status ReadMethod(Reader& r, const char* k, CredentialFile* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto method, r.String(k));
  if (!method) return {};
  c->method = ParseIssuanceMethod(*method);
  if (!c->method)
    return r.ErrorAt(k, "must be \"self_signed\", \"local_ca\", \"est\" or \"preloaded\"");
  return {};
}

Status ReadSubject(Reader& r, const char* k, CredentialFile* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto subject, r.Table(k));
  if (!subject) return {};
  bool cn = !c->subject.empty();  // common_name, read before
  for (const std::string& key : subject->Keys()) {
    EDGESEC_ASSIGN_OR_RETURN(auto v, subject->String(key));
    if (key == "CN" && cn)
      return subject->ErrorAt(
          key, std::string("give the common name once: '") + kCommonName + "' or subject.CN");
    c->subject.emplace_back(key, *v);
  }
  return {};
}

// certd puts common_name first and the rest of the subject, an inline table, after it.
void WriteSubject(TomlWriter& w, const char* k, const CredentialFile& c) {
  std::string rest;
  for (const auto& [key, v] : c.subject)
    if (key != "CN")
      rest +=
          (rest.empty() ? "{ " : ", ") + config::TomlString(key) + " = " + config::TomlString(v);
  if (!rest.empty()) w.Raw(k, rest + " }");
}

Status ReadAlgorithm(Reader& r, const char* k, CredentialFile* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto algorithm, r.String(k));
  if (!algorithm) return {};
  static const char* kAlgorithms[] = {"ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"};
  if (std::find(std::begin(kAlgorithms), std::end(kAlgorithms), *algorithm) ==
      std::end(kAlgorithms))
    return r.ErrorAt(k,
                     "must be \"ec-p256\", \"ec-p384\", \"rsa-2048\", \"rsa-3072\" or "
                     "\"rsa-4096\" (certd signs with the key through keyd)");
  c->algorithm = *algorithm;
  return {};
}

// The EST keys (EstCredentialFields), asked only when the method is est.
template <size_t I>
Field<CredentialFile> EstField() {
  return {EstCredentialFields()[I].key,
          [](Reader& r, const char* k, CredentialFile* c) -> Status {
            if (c->method != IssuanceMethod::kEst) return {};
            return EstCredentialFields()[I].read(r, k, &c->est);
          },
          [](TomlWriter& w, const char* k, const CredentialFile& c) {
            EstCredentialFields()[I].write(w, k, c.est);
          }};
}

template <std::optional<renewal::Span> CredentialFile::*member>
Field<CredentialFile> SpanField(const char* key) {
  return {key,
          [](Reader& r, const char* k, CredentialFile* c) -> Status {
            EDGESEC_ASSIGN_OR_RETURN(c->*member, ReadSpan(r, k, true));
            return {};
          },
          [](TomlWriter& w, const char* k, const CredentialFile& c) {
            if (c.*member) w.String(k, (c.*member)->text);
          }};
}

template <std::optional<bool> CredentialFile::*member>
Field<CredentialFile> BoolField(const char* key) {
  return {key,
          [](Reader& r, const char* k, CredentialFile* c) -> Status {
            EDGESEC_ASSIGN_OR_RETURN(c->*member, r.Boolean(k));
            return {};
          },
          [](TomlWriter& w, const char* k, const CredentialFile& c) {
            if (c.*member) w.Boolean(k, *(c.*member));
          }};
}

Status ReadWarnings(Reader& r, const char* k, CredentialFile* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto warnings, r.StringArray(k));
  if (!warnings) return {};
  c->expiry_warnings.emplace();
  for (const std::string& text : *warnings) {
    auto span = renewal::ParseSpan(text, false);
    if (!span) return r.ErrorAt(k, span.error().message);
    c->expiry_warnings->push_back(*span);
  }
  return {};
}

void WriteWarnings(TomlWriter& w, const char* k, const CredentialFile& c) {
  if (!c.expiry_warnings) return;
  std::vector<std::string> texts;
  for (const auto& span : *c.expiry_warnings) texts.push_back(span.text);
  w.Strings(k, texts);
}

FieldTable<CredentialFile> MakeCredentialFields() {
  FieldTable<CredentialFile> t = {
      IdField<&CredentialFile::cert_id>("cert_id"),
      IdField<&CredentialFile::key_id>("key_id"),
      {kMethod, ReadMethod,
       [](TomlWriter& w, const char* k, const CredentialFile& c) {
         if (c.method) w.String(k, IssuanceMethodName(*c.method));
       }},
      StringField<&CredentialFile::profile>("profile"),
      StringField<&CredentialFile::issuer_cert>("issuer_cert"),
      StringField<&CredentialFile::issuer_key>("issuer_key"),
      {kCommonName,
       [](Reader& r, const char* k, CredentialFile* c) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(auto cn, r.String(k));
         if (cn) c->subject.insert(c->subject.begin(), {"CN", *cn});
         return {};
       },
       [](TomlWriter& w, const char* k, const CredentialFile& c) {
         for (const auto& [key, v] : c.subject)
           if (key == "CN") w.String(k, v);
       }},
      {"subject", ReadSubject, WriteSubject},
      {"sans",
       [](Reader& r, const char* k, CredentialFile* c) -> Status {
         EDGESEC_ASSIGN_OR_RETURN(auto sans, r.StringArray(k));
         if (sans) c->sans = *sans;
         return {};
       },
       [](TomlWriter& w, const char* k, const CredentialFile& c) {
         config::WriteStrings(w, k, c.sans);
       }},
      {"algorithm", ReadAlgorithm,
       [](TomlWriter& w, const char* k, const CredentialFile& c) {
         config::WriteString(w, k, c.algorithm);
       }},
      EstField<0>(),
      EstField<1>(),
      EstField<2>(),
      EstField<3>(),
      EstField<4>(),
      SpanField<&CredentialFile::threshold>("threshold"),
      SpanField<&CredentialFile::retry>("retry"),
      BoolField<&CredentialFile::rotate_key>("rotate_key"),
      BoolField<&CredentialFile::auto_renew>("auto_renew"),
      {"expiry_warnings", ReadWarnings, WriteWarnings},
  };
  return t;
}

const FieldTable<CredentialFile>& CredentialFields() {
  static const FieldTable<CredentialFile> t = MakeCredentialFields();
  return t;
}

Credential Derive(CredentialFile f) {
  Credential cred;
  cred.cert_id = f.cert_id;
  cred.key_id = f.key_id.empty() ? f.cert_id : f.key_id;
  cred.method = f.method.value_or(IssuanceMethod::kLocalCa);
  cred.profile = f.profile;
  cred.issuer_cert = f.issuer_cert;
  cred.issuer_key = f.issuer_key;
  cred.subject = std::move(f.subject);
  cred.sans = std::move(f.sans);
  cred.algorithm = f.algorithm;
  if (f.threshold) cred.policy.threshold = *f.threshold;
  if (f.retry) cred.policy.retry = *f.retry;
  if (f.rotate_key) cred.policy.rotate_key = *f.rotate_key;
  if (f.auto_renew) cred.policy.auto_renew = *f.auto_renew;
  if (f.expiry_warnings) cred.policy.expiry_warnings = *f.expiry_warnings;
  if (cred.method == IssuanceMethod::kPreloaded)
    cred.policy.auto_renew = false;  // nothing to renew it with
  cred.est = std::move(f.est);
  return cred;
}

}  // namespace

Expected<std::optional<renewal::Span>> ReadSpan(Reader& t, const char* key, bool allow_percent,
                                                bool allow_seconds) {
  EDGESEC_ASSIGN_OR_RETURN(auto text, t.String(key));
  if (!text) return std::optional<renewal::Span>();
  auto span = renewal::ParseSpan(*text, allow_percent, allow_seconds);
  if (!span) return t.ErrorAt(key, span.error().message);
  return std::optional<renewal::Span>(*span);
}

Status ReadCredentialTables(Reader& r, const char* key, CertdConfig* c) {
  EDGESEC_ASSIGN_OR_RETURN(auto tables, r.TableArray(key));
  for (auto& t : tables) {
    CredentialFile f;
    EDGESEC_TRY(config::ReadFields(t, CredentialFields(), &f));
    if (f.method == IssuanceMethod::kEst) EDGESEC_TRY(CheckEstCredential(t, kMethod, &f.est));
    EDGESEC_TRY(t.Finish());
    Credential cred = Derive(std::move(f));
    c->credentials[cred.cert_id] = std::move(cred);
  }
  return {};
}

void WriteCredentialTables(TomlWriter& w, const char* key,
                           const std::vector<CredentialFile>& credentials) {
  for (const auto& c : credentials) {
    w.ArrayTable(key);
    config::WriteFields(w, CredentialFields(), c);
  }
}

}  // namespace edgesec::certd
