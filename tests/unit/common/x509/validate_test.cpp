// common/x509/validate: each import refusal reason, called directly ("expired", "not yet valid" with
// 5 minutes of skew, "key too small", "key does not match", "not a CA", "chain does not link",
// "garbage"), and the v1 root anchor.
#include "common/x509/validate.hpp"

#include "tests/support/x509.hpp"

using namespace edgesec;
using namespace edgesec::certd;
using namespace edgesec::certd::testing;

namespace {

// A certificate valid [now + from, now + until], self-signed unless an issuer is given; `version1`:
// no extensions at all.
X509Ptr Plain(EVP_PKEY* key, int64_t now, int64_t from, int64_t until, bool ca = false,
              const char* ku = nullptr, X509* issuer = nullptr, EVP_PKEY* issuer_key = nullptr,
              bool version1 = false) {
  X509Ptr c(X509_new());
  X509_set_version(c.get(), version1 ? X509_VERSION_1 : X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(c.get()), 7);
  ASN1_TIME_set(X509_getm_notBefore(c.get()), static_cast<time_t>(now + from));
  ASN1_TIME_set(X509_getm_notAfter(c.get()), static_cast<time_t>(now + until));
  X509_NAME_add_entry_by_txt(X509_get_subject_name(c.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(ca ? "ca" : "leaf"), -1, -1, 0);
  X509_set_issuer_name(c.get(),
                       issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(c.get()));
  X509_set_pubkey(c.get(), key);
  if (!version1) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : c.get(), c.get(), nullptr, nullptr, 0);
    X509_EXTENSION* bc = X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints,
                                             ca ? "critical,CA:TRUE" : "CA:FALSE");
    X509_add_ext(c.get(), bc, -1);
    X509_EXTENSION_free(bc);
    if (ku != nullptr) {
      X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, NID_key_usage, ku);
      X509_add_ext(c.get(), e, -1);
      X509_EXTENSION_free(e);
    }
  }
  REQUIRE(X509_sign(c.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0);
  return c;
}

edgesec::x509::Chain ChainOf(X509Ptr a, X509Ptr b = nullptr) {
  edgesec::x509::Chain c;
  c.push_back(std::move(a));
  if (b) c.push_back(std::move(b));
  return c;
}

std::string Reason(const Status& st) {
  REQUIRE_FALSE(st);
  CHECK(st.error().kind == ErrorKind::kInvalidParameter);
  return st.error().message;
}

}  // namespace

TEST_CASE("expired and not yet valid, with 5 minutes of clock skew either way") {
  const int64_t now = 2000000000;  // 2033: past 2038 is covered below
  EvpPkeyPtr k = Ec();
  CHECK_THAT(Reason(edgesec::x509::CheckValidity(Plain(k.get(), now, -7200, -301).get(), now)),
             Catch::StartsWith("expired"));
  CHECK(edgesec::x509::CheckValidity(Plain(k.get(), now, -7200, -299).get(), now));
  CHECK_THAT(Reason(edgesec::x509::CheckValidity(Plain(k.get(), now, 301, 7200).get(), now)),
             Catch::StartsWith("not yet valid"));
  CHECK(edgesec::x509::CheckValidity(Plain(k.get(), now, 299, 7200).get(), now));
  const int64_t far = 4102444800;  // 2100-01-01: GeneralizedTime
  CHECK(edgesec::x509::CheckValidity(Plain(k.get(), far, -60, 60).get(), far));
}

TEST_CASE("key too small: RSA below 2048 and EC below 256 bits") {
  const int64_t now = std::time(nullptr);
  EvpPkeyPtr rsa1024 = Rsa(1024), rsa2048 = Rsa(2048), p224 = Ec("P-224"), p256 = Ec();
  CHECK_THAT(Reason(edgesec::x509::CheckKeyStrength(Plain(rsa1024.get(), now, -60, 3600).get())),
             Catch::StartsWith("key too small"));
  CHECK_THAT(Reason(edgesec::x509::CheckKeyStrength(Plain(p224.get(), now, -60, 3600).get())),
             Catch::StartsWith("key too small"));
  CHECK(edgesec::x509::CheckKeyStrength(Plain(rsa2048.get(), now, -60, 3600).get()));
  CHECK(edgesec::x509::CheckKeyStrength(Plain(p256.get(), now, -60, 3600).get()));
}

TEST_CASE("key does not match, only when a key is given") {
  const int64_t now = std::time(nullptr);
  EvpPkeyPtr k = Ec(), other = Ec();
  CHECK_THAT(
      Reason(edgesec::x509::ValidateForImport(ChainOf(Plain(k.get(), now, -60, 3600)), now, other.get())),
      Catch::StartsWith("key does not match"));
  CHECK(edgesec::x509::ValidateForImport(ChainOf(Plain(k.get(), now, -60, 3600)), now, k.get()));
  CHECK(edgesec::x509::ValidateForImport(ChainOf(Plain(k.get(), now, -60, 3600)), now));
}

TEST_CASE("not a CA: an issuing cert without CA:TRUE or with keyUsage lacking keyCertSign") {
  const int64_t now = std::time(nullptr);
  EvpPkeyPtr ca_key = Ec(), leaf_key = Ec();
  auto chain_with = [&](bool ca, const char* ku) {
    X509Ptr issuer = Plain(ca_key.get(), now, -60, 3600, ca, ku);
    X509Ptr leaf =
        Plain(leaf_key.get(), now, -60, 3600, false, nullptr, issuer.get(), ca_key.get());
    return edgesec::x509::ValidateForImport(ChainOf(std::move(leaf), std::move(issuer)), now);
  };
  CHECK_THAT(Reason(chain_with(false, nullptr)), Catch::StartsWith("not a CA"));
  CHECK_THAT(Reason(chain_with(true, "critical,digitalSignature")), Catch::StartsWith("not a CA"));
  CHECK(chain_with(true, "critical,keyCertSign,cRLSign"));
  CHECK(chain_with(true, nullptr));
  // A v1 self-signed root at the end of the chain is a trust anchor: accepted without extensions.
  X509Ptr v1 = Plain(ca_key.get(), now, -60, 3600, true, nullptr, nullptr, nullptr, true);
  X509Ptr leaf = Plain(leaf_key.get(), now, -60, 3600, false, nullptr, v1.get(), ca_key.get());
  CHECK(edgesec::x509::ValidateForImport(ChainOf(std::move(leaf), std::move(v1)), now));
}

TEST_CASE("garbage: an empty chain or undecodable PEM") {
  CHECK_THAT(Reason(edgesec::x509::ValidateForImport({}, std::time(nullptr))), Catch::StartsWith("garbage"));
  CHECK_FALSE(
      edgesec::x509::ParsePemChain("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"));
  CHECK_FALSE(edgesec::x509::ParsePemChain("hello"));
}

TEST_CASE("every certificate of the chain is checked, not only the leaf") {
  const int64_t now = std::time(nullptr);
  EvpPkeyPtr ca_key = Rsa(1024), leaf_key = Ec();
  X509Ptr issuer = Plain(ca_key.get(), now, -60, 3600, true, "critical,keyCertSign");
  X509Ptr leaf = Plain(leaf_key.get(), now, -60, 3600, false, nullptr, issuer.get(), ca_key.get());
  CHECK_THAT(Reason(edgesec::x509::ValidateForImport(ChainOf(std::move(leaf), std::move(issuer)), now)),
             Catch::StartsWith("key too small"));
}

TEST_CASE("chain does not link: a CA after the leaf that did not issue it") {
  const int64_t now = std::time(nullptr);
  EvpPkeyPtr ca_key = Ec(), other_key = Ec(), leaf_key = Ec();
  X509Ptr issuer = Plain(ca_key.get(), now, -60, 3600, true, "critical,keyCertSign");
  X509Ptr other = Plain(other_key.get(), now, -60, 3600, true, "critical,keyCertSign");
  X509Ptr leaf = Plain(leaf_key.get(), now, -60, 3600, false, nullptr, issuer.get(), ca_key.get());
  auto leaf_copy = [&] { return X509Ptr(X509_dup(leaf.get())); };
  // The right issuer links.
  CHECK(edgesec::x509::ValidateForImport(ChainOf(leaf_copy(), X509Ptr(X509_dup(issuer.get()))), now));
  // Same subject name, another key: the names match, the signature does not verify.
  std::string sig = Reason(edgesec::x509::ValidateForImport(ChainOf(leaf_copy(), std::move(other)), now));
  CHECK_THAT(sig, Catch::StartsWith("chain does not link") && Catch::Contains("signature") &&
                      Catch::Contains("certificate 2 of the chain"));
  // A self-signed leaf followed by an unrelated CA: the names do not match.
  X509Ptr lone = Plain(leaf_key.get(), now, -60, 3600);
  std::string names =
      Reason(edgesec::x509::ValidateForImport(ChainOf(std::move(lone), std::move(issuer)), now));
  CHECK_THAT(names, Catch::StartsWith("chain does not link") && Catch::Contains("did not issue"));
}
