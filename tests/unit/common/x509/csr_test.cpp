// common/x509/csr: the CSR carries its key's SubjectPublicKeyInfo exactly as OpenSSL encodes it,
// whichever way the builder sets it (EC and RSA through their parameters, others the long way), and
// verifies with that key.
#include "common/x509/csr.hpp"

#include <openssl/pem.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/x509/pem.hpp"

using namespace edgesec;

namespace {

std::string Der(int len, unsigned char* der) {
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

TEST_CASE("a CSR carries its key's exact SubjectPublicKeyInfo and verifies, for every key type") {
  std::vector<std::pair<std::string, EvpPkeyPtr>> keys;
  keys.emplace_back("ec-p256", EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")));
  keys.emplace_back("ec-p384", EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384")));
  keys.emplace_back("rsa-2048",
                    EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})));
  keys.emplace_back("ed25519", EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")));
  for (auto& [name, key] : keys) {
    INFO(name);
    REQUIRE(key);
    x509::CsrSpec spec;
    spec.subject = {{"CN", "module-" + name}};
    spec.sans = {"DNS:edgehub"};
    spec.key = key.get();
    auto csr = x509::BuildCsr(spec);
    REQUIRE(csr);
    unsigned char* got = nullptr;
    unsigned char* want = nullptr;
    int got_len = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(csr->get()), &got);
    int want_len = i2d_PUBKEY(key.get(), &want);
    REQUIRE(got_len > 0);
    REQUIRE(want_len > 0);
    CHECK(Der(got_len, got) == Der(want_len, want));
    CHECK(X509_REQ_verify(csr->get(), key.get()) == 1);
    CHECK(EVP_PKEY_eq(X509_REQ_get0_pubkey(csr->get()), key.get()) == 1);
    // As certd reads it: PEM out and back, its own key verifying its signature.
    auto pem = x509::CsrToPem(csr->get());
    REQUIRE(pem);
    BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
    X509ReqPtr parsed(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
    REQUIRE(parsed);
    CHECK(X509_REQ_verify(parsed.get(), X509_REQ_get0_pubkey(parsed.get())) == 1);
    CHECK(EVP_PKEY_eq(X509_REQ_get0_pubkey(parsed.get()), key.get()) == 1);
  }
}
