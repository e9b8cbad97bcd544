#include "tests/integration/certd_harness.hpp"

#include <openssl/pem.h>

#include <ctime>
#include <fstream>

#include "common/fs.hpp"

namespace edgesec::testing {

CertdStack::CertdStack(const std::string& config) {
  if (!config.empty()) {
    MUST(fs::MakeDirs(dir.path() + "/etc/edgesec/certd", 0755));
    WriteText(dir.path() + "/etc/edgesec/certd/config.toml", config);
  }
  keyd = std::make_unique<DaemonProcess>(BinaryFromEnv("EDGESEC_KEYD"), dir.path(), dir.path() + "/run/edgesec/keyd.sock");
  keyd_client = std::make_unique<keyd::KeydClient>(dir.path() + "/run/edgesec/keyd.sock");
  StartCertd();
}

void CertdStack::StartCertd() {
  certd.reset();
  certd = std::make_unique<DaemonProcess>(BinaryFromEnv("EDGESEC_CERTD"), dir.path(), certd_socket());
  client = std::make_unique<certd::CertdClient>(certd_socket());
}

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

X509Ptr MakeCert(const CertSpec& spec) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), static_cast<long>(std::time(nullptr) & 0xffffff) + 1);
  time_t now = std::time(nullptr);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), now + spec.not_before);
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), now + spec.not_after);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), spec.issuer ? X509_get_subject_name(spec.issuer) : name);
  X509_set_pubkey(cert.get(), spec.key);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, spec.issuer ? spec.issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  auto add = [&](int nid, const std::string& value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    REQUIRE(ext != nullptr);
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  };
  add(NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (!spec.key_usage.empty()) add(NID_key_usage, spec.key_usage);
  add(NID_subject_key_identifier, "hash");
  EVP_PKEY* signer = spec.issuer_key ? spec.issuer_key : spec.key;
  int base = EVP_PKEY_get_base_id(signer);
  REQUIRE(X509_sign(cert.get(), signer, base == EVP_PKEY_ED25519 ? nullptr : EVP_sha256()) > 0);
  return cert;
}

std::string Pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string MakeCsr(EVP_PKEY* key, const std::string& cn, EVP_PKEY* signer) {
  X509ReqPtr req(X509_REQ_new());
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(req.get(), key);
  STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
  sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, ("DNS:" + cn + ".example").c_str()));
  X509_REQ_add_extensions(req.get(), exts);
  sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
  REQUIRE(X509_REQ_sign(req.get(), signer ? signer : key, EVP_sha256()) > 0);
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

CaInKeyd MakeCaInKeyd(CertdStack& s, const std::string& id, int64_t not_after) {
  CaInKeyd ca;
  ca.key = GenerateKey("ec-p256");
  ca.cert = MakeCert({.cn = id, .not_after = not_after, .ca = true, .key_usage = "critical,keyCertSign,cRLSign",
                      .key = ca.key.get()});
  ca.handle = MUST(s.keyd_client->ImportKeyPair(id, MUST(PrivateKeyToPkcs8Der(ca.key.get()))));
  MUST(s.client->Import(id, Pem(ca.cert.get())));
  return ca;
}

}  // namespace edgesec::testing
