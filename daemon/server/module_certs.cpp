#include "daemon/server/module_certs.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <cstdio>
#include <ctime>

#include "certd/x509/pem.hpp"
#include "common/http/client.hpp"

namespace edgesec::identityd {
namespace {

using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, void (*)(GENERAL_NAMES*)>;

void FreeGeneralNames(GENERAL_NAMES* g) {
  GENERAL_NAMES_free(g);
}

bool IsDnsName(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_' &&
        c != '*')
      return false;
  return true;
}

Expected<EvpPkeyPtr> GenerateKey(const std::string& alg) {
  EVP_PKEY* key = nullptr;
  if (alg == "ec-p256")
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  else if (alg == "ec-p384")
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  else if (alg.rfind("rsa-", 0) == 0)
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(std::stoi(alg.substr(4))));
  if (key == nullptr) return OpenSslError("cannot generate a " + alg + " key for a module cert");
  return EvpPkeyPtr(key);
}

// Adds one DNS or IP entry; false when OpenSSL refuses.
bool AddSan(GENERAL_NAMES* names, const std::string& san) {
  GENERAL_NAME* gen = GENERAL_NAME_new();
  if (gen == nullptr) return false;
  if (san.rfind("IP:", 0) == 0) {
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(san.c_str() + 3);
    if (ip == nullptr) {
      GENERAL_NAME_free(gen);
      return false;
    }
    GENERAL_NAME_set0_value(gen, GEN_IPADD, ip);
  } else {
    ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
    if (dns == nullptr ||
        !ASN1_STRING_set(dns, san.c_str() + 4, static_cast<int>(san.size() - 4))) {
      ASN1_IA5STRING_free(dns);
      GENERAL_NAME_free(gen);
      return false;
    }
    GENERAL_NAME_set0_value(gen, GEN_DNS, dns);
  }
  if (!sk_GENERAL_NAME_push(names, gen)) {
    GENERAL_NAME_free(gen);
    return false;
  }
  return true;
}

Expected<std::string> BuildCsr(EVP_PKEY* key, const std::string& cn,
                               const std::vector<std::string>& sans) {
  X509ReqPtr req(X509_REQ_new());
  if (!req || !X509_REQ_set_version(req.get(), 0) || !X509_REQ_set_pubkey(req.get(), key))
    return OpenSslError("cannot build a module CSR");
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  if (!X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                  reinterpret_cast<const unsigned char*>(cn.c_str()),
                                  static_cast<int>(cn.size()), -1, 0))
    return OpenSslError("cannot set the module CSR's common name");
  if (!sans.empty()) {
    GeneralNamesPtr names(GENERAL_NAMES_new(), FreeGeneralNames);
    for (const auto& s : sans)
      if (!names || !AddSan(names.get(), s))
        return OpenSslError("cannot add subjectAltName '" + s + "' to a module CSR");
    X509_EXTENSION* ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get());
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    bool ok = ext != nullptr && exts != nullptr && sk_X509_EXTENSION_push(exts, ext) &&
              X509_REQ_add_extensions(req.get(), exts);
    if (!ok) X509_EXTENSION_free(ext);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    if (!ok) return OpenSslError("cannot add the module CSR's extensions");
  }
  if (X509_REQ_sign(req.get(), key, EVP_sha256()) <= 0)
    return OpenSslError("cannot sign a module CSR");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_X509_REQ(bio.get(), req.get()))
    return OpenSslError("cannot encode a module CSR");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string CertIdFor(const ModuleCertSpec& spec) {
  std::string id = "module:" + spec.module_id + (spec.server ? ":server" : ":identity");
  return id.size() <= 128 ? id : id.substr(0, 128);
}

}  // namespace

std::string ModuleDnsName(const std::string& module_id) {
  std::string out;
  for (char c : module_id) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '-') out += l;
  }
  return out.substr(0, 63);
}

std::vector<std::string> ServerSans(const std::string& common_name, const std::string& module_id) {
  std::vector<std::string> sans;
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(common_name.c_str());
  if (ip != nullptr) {
    ASN1_OCTET_STRING_free(ip);
    sans.push_back("IP:" + common_name);
  } else if (IsDnsName(common_name)) {
    sans.push_back("DNS:" + common_name);
  }
  std::string dns = ModuleDnsName(module_id);
  if (!dns.empty() && "DNS:" + dns != (sans.empty() ? "" : sans.front()))
    sans.push_back("DNS:" + dns);
  return sans;
}

Expected<int64_t> ParseRfc3339(const std::string& text) {
  int y, mo, d, h, mi, s, n = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%*[Tt]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) !=
          6 ||
      n == 0)
    return InvalidParameter("'" + text + "' is not an RFC 3339 time (2026-12-31T23:59:59Z)");
  size_t i = static_cast<size_t>(n);
  if (i < text.size() && text[i] == '.')
    for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]));) ++i;
  int64_t offset = 0;
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
    ++i;
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    int oh, om, m = 0;
    if (std::sscanf(text.c_str() + i + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5)
      return InvalidParameter("'" + text + "' has a malformed UTC offset");
    offset = (text[i] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    i += 6;
  } else {
    return InvalidParameter("'" + text + "' has no time zone (Z or ±hh:mm)");
  }
  if (i != text.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
    return InvalidParameter("'" + text + "' is not an RFC 3339 time (2026-12-31T23:59:59Z)");
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(::timegm(&tm)) - offset;
}

Expected<api::IssuedCert> IssueModuleCert(certd::CertdClient& certd, const ModuleCertPolicy& policy,
                                          const ModuleCertSpec& spec, int64_t now) {
  const std::string& cn = spec.common_name;
  if (cn.empty() || cn.size() > 64)
    return InvalidParameter("parameter 'commonName' must be 1 to 64 characters");
  for (char c : cn)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return InvalidParameter("parameter 'commonName' contains a control character");
  EDGESEC_ASSIGN_OR_RETURN(EvpPkeyPtr key, GenerateKey(policy.key_algorithm));
  std::vector<std::string> sans;
  if (spec.server) sans = ServerSans(cn, spec.module_id);
  EDGESEC_ASSIGN_OR_RETURN(std::string csr, BuildCsr(key.get(), cn, sans));
  int64_t not_after = now + int64_t{policy.validity_days} * 86400;
  if (spec.not_after && *spec.not_after < not_after) not_after = *spec.not_after;
  if (not_after <= now) return InvalidParameter("parameter 'expiration' is in the past");
  Json request{{"certId", CertIdFor(spec)},
               {"csr", csr},
               {"issuer", {{"certId", policy.edge_ca_cert}}},
               {"profile", spec.server ? "module-server" : "module-client"},
               {"notAfter", certd::x509::Rfc3339(not_after)},
               {"store", false}};
  EDGESEC_ASSIGN_OR_RETURN(
      Json answer,
      certd.http().CallJson("POST", std::string("/certificates?api-version=2020-09-01"), request));
  auto pem = answer.find("pem");
  if (pem == answer.end() || !pem->is_string()) return Internal("certd answered without 'pem'");
  EDGESEC_ASSIGN_OR_RETURN(auto chain, certd::x509::ParsePemChain(pem->get<std::string>()));
  if (X509_check_private_key(chain.front().get(), key.get()) != 1)
    return Internal("certd returned a module cert that does not match the key sent in the CSR",
                    DrainOpenSslErrors());
  EDGESEC_ASSIGN_OR_RETURN(int64_t expires,
                           certd::x509::ToEpoch(X509_get0_notAfter(chain.front().get())));
  api::IssuedCert out;
  EDGESEC_ASSIGN_OR_RETURN(out.private_key_pem, PrivateKeyToPkcs8Pem(key.get()));
  out.certificate = pem->get<std::string>();
  out.expiration = certd::x509::Rfc3339(expires);
  return out;
}

}  // namespace edgesec::identityd
