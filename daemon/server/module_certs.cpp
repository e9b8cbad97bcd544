#include "daemon/server/module_certs.hpp"

#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

#include "common/x509/csr.hpp"
#include "common/x509/keygen.hpp"
#include "common/x509/pem.hpp"
#include "daemon/server/workload_metrics.hpp"

namespace edgesec::identityd {
namespace {

bool IsDnsName(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_' &&
        c != '*')
      return false;
  return true;
}

// The module's CSR: CN and SANs, signed by its fresh key; PEM.
Expected<std::string> ModuleCsr(EVP_PKEY* key, const std::string& cn,
                                const std::vector<std::string>& sans) {
  x509::CsrSpec spec;
  spec.subject = {{"CN", cn}};
  spec.sans = sans;
  spec.key = key;
  EDGESEC_ASSIGN_OR_RETURN(X509ReqPtr req, x509::BuildCsr(spec));
  return x509::CsrToPem(req.get());
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
  out = out.substr(0, 63);
  // A DNS label neither starts nor ends with '-' (RFC 1123): "-" has no DNS name.
  size_t first = out.find_first_not_of('-');
  if (first == std::string::npos) return {};
  return out.substr(first, out.find_last_not_of('-') - first + 1);
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

Expected<api::IssuedCert> IssueModuleCert(certd::CertdClient& certd, const ModuleCertPolicy& policy,
                                          const ModuleCertSpec& spec, int64_t now) {
  const std::string& cn = spec.common_name;
  if (cn.empty() || cn.size() > 64)
    return InvalidParameter("parameter 'commonName' must be 1 to 64 characters");
  for (char c : cn)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return InvalidParameter("parameter 'commonName' contains a control character");
  auto key = x509::GenerateKey(policy.key_algorithm);
  if (!key) return key.error().Context("cannot generate a key for a module cert");
  std::vector<std::string> sans;
  if (spec.server) sans = ServerSans(cn, spec.module_id);
  EDGESEC_ASSIGN_OR_RETURN(std::string csr, ModuleCsr(key->get(), cn, sans));
  int64_t not_after = now + int64_t{policy.validity_days} * 86400;
  if (spec.not_after && *spec.not_after < not_after) not_after = *spec.not_after;
  if (not_after <= now) return InvalidParameter("parameter 'expiration' is in the past");
  certd::api::CreateCertRequest request;
  request.cert_id = CertIdFor(spec);
  request.csr = csr;
  request.issuer = certd::api::Issuer{policy.edge_ca_cert, ""};
  request.profile = spec.server ? "module-server" : "module-client";
  request.not_after = x509::Rfc3339(not_after);
  request.store = false;
  EDGESEC_ASSIGN_OR_RETURN(std::string pem, certd.Issue(request));
  // Only the leaf is read here (the issuer is recognized by EdgeCa::TrustIssuerOf): each parse of a
  // certificate costs OpenSSL 3.0 a key decoder lookup.
  std::vector<x509::PemBlock> blocks = x509::ReadPemBlocks(pem);
  auto leaf = std::find_if(blocks.begin(), blocks.end(),
                           [](const x509::PemBlock& b) { return b.label == "CERTIFICATE"; });
  if (leaf == blocks.end()) return Internal("certd answered a module cert without a certificate");
  EDGESEC_ASSIGN_OR_RETURN(auto chain, x509::ParseDerChain(leaf->der));
  if (X509_check_private_key(chain.front().get(), key->get()) != 1)
    return Internal("certd returned a module cert that does not match the key sent in the CSR",
                    DrainOpenSslErrors());
  EDGESEC_ASSIGN_OR_RETURN(int64_t expires, x509::ToEpoch(X509_get0_notAfter(chain.front().get())));
  api::IssuedCert out;
  EDGESEC_ASSIGN_OR_RETURN(out.private_key_pem, PrivateKeyToPkcs8Pem(key->get()));
  out.certificate = std::move(pem);
  out.expiration = x509::Rfc3339(expires);
  CountWorkloadCert(spec.server);
  return out;
}

}  // namespace edgesec::identityd
