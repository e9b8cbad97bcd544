#include "common/x509/details.hpp"

#include <openssl/core_names.h>

#include <cstdio>

namespace edgesec::x509 {
namespace {

std::string GeneralName(const GENERAL_NAME* n) {
  auto text = [](const ASN1_STRING* s) {
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       ASN1_STRING_length(s));
  };
  switch (n->type) {
    case GEN_DNS:
      return "DNS:" + text(n->d.dNSName);
    case GEN_URI:
      return "URI:" + text(n->d.uniformResourceIdentifier);
    case GEN_EMAIL:
      return "email:" + text(n->d.rfc822Name);
    case GEN_IPADD: {
      const ASN1_OCTET_STRING* ip = n->d.iPAddress;
      char buf[64] = {};
      const unsigned char* b = ASN1_STRING_get0_data(ip);
      if (ASN1_STRING_length(ip) == 4) {
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
      } else if (ASN1_STRING_length(ip) == 16) {
        std::string s;
        for (int i = 0; i < 16; i += 2) {
          char part[8];
          std::snprintf(part, sizeof part, "%s%x", i ? ":" : "", (b[i] << 8) | b[i + 1]);
          s += part;
        }
        return "IP:" + s;
      }
      return std::string("IP:") + buf;
    }
    default:
      return "other";
  }
}

}  // namespace

std::string NameText(X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

namespace {
std::string ColonHex(const unsigned char* md, unsigned len) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(len * 3);
  for (unsigned i = 0; i < len; ++i) {
    if (i) out += ':';
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}
}  // namespace

std::string Sha256Fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  return ColonHex(md, len);
}

std::string Sha256FingerprintOfDer(const Bytes& der) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(der.data(), der.size(), md, &len, EVP_sha256(), nullptr);
  return ColonHex(md, len);
}

Expected<Details> Describe(X509* cert, int64_t now) {
  Details d;
  d.subject = NameText(X509_get_subject_name(cert));
  d.issuer = NameText(X509_get_issuer_name(cert));
  EDGESEC_ASSIGN_OR_RETURN(d.not_before, ToEpoch(X509_get0_notBefore(cert)));
  EDGESEC_ASSIGN_OR_RETURN(d.not_after, ToEpoch(X509_get0_notAfter(cert)));
  int64_t left = d.not_after - now;
  d.days_left = left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
  d.sha256 = Sha256Fingerprint(cert);
  if (BignumPtr bn{ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)}) {
    char* hex = BN_bn2hex(bn.get());
    d.serial = hex;
    OPENSSL_free(hex);
  }
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i)
    d.sans.push_back(GeneralName(sk_GENERAL_NAME_value(sans, i)));
  GENERAL_NAMES_free(sans);
  if (EVP_PKEY* key = X509_get0_pubkey(cert)) {
    d.key_bits = EVP_PKEY_get_bits(key);
    switch (EVP_PKEY_get_base_id(key)) {
      case EVP_PKEY_RSA:
      case EVP_PKEY_RSA_PSS:
        d.key_type = "RSA";
        break;
      case EVP_PKEY_EC: {
        d.key_type = "EC";
        char curve[64] = {};
        size_t len = 0;
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve,
                                           &len))
          d.curve = curve;
        break;
      }
      case EVP_PKEY_ED25519:
        d.key_type = "Ed25519";
        break;
      case EVP_PKEY_ED448:
        d.key_type = "Ed448";
        break;
      default:
        d.key_type = "unknown";
    }
  }
  d.is_ca = (X509_get_extension_flags(cert) & EXFLAG_CA) != 0;
  DrainOpenSslErrors();
  return d;
}

Json DetailsJson(const Details& d) {
  return Json{{"subject", d.subject},
              {"issuer", d.issuer},
              {"sans", d.sans},
              {"notBefore", Rfc3339(d.not_before)},
              {"notAfter", Rfc3339(d.not_after)},
              {"daysLeft", d.days_left},
              {"sha256", d.sha256},
              {"serial", d.serial},
              {"keyType", d.key_type},
              {"keyBits", d.key_bits},
              {"curve", d.curve},
              {"isCa", d.is_ca},
              {"keyId", d.key_id},
              {"engine", d.engine}};
}

std::string DetailsText(const Details& d) {
  std::string sans;
  for (const auto& s : d.sans) sans += (sans.empty() ? "" : ", ") + s;
  std::string key = d.key_type + " " + std::to_string(d.key_bits) + " bits" +
                    (d.curve.empty() ? "" : " (" + d.curve + ")");
  if (!d.key_id.empty())
    key += ", keyd key '" + d.key_id + "'" +
           (d.engine.empty() ? "" : " in the " + d.engine + " engine");
  std::string left = d.days_left >= 0 ? std::to_string(d.days_left) + " days left"
                                      : "EXPIRED " + std::to_string(-d.days_left) + " days ago";
  return "subject:     " + d.subject + "\nissuer:      " + d.issuer +
         "\nSANs:        " + (sans.empty() ? "none" : sans) +
         "\nvalid from:  " + Rfc3339(d.not_before) + "\nvalid until: " + Rfc3339(d.not_after) +
         " (" + left + ")" + "\nSHA-256:     " + d.sha256 + "\nserial:      " + d.serial +
         "\nkey:         " + key + "\nCA:          " + (d.is_ca ? "yes" : "no") + "\n";
}

}  // namespace edgesec::x509
