// CsrAttrs (RFC 7030 4.5.2):
//   CsrAttrs ::= SEQUENCE SIZE (0..MAX) OF AttrOrOID
//   AttrOrOID ::= CHOICE { oid OBJECT IDENTIFIER, attribute Attribute }
//   Attribute ::= SEQUENCE { type OBJECT IDENTIFIER, values SET SIZE(1..MAX) OF ANY }
// Read with a small bounds-checked DER walker (the input is untrusted and fuzzed).
#include <openssl/err.h>
#include <openssl/objects.h>

#include "certd/est/decode.hpp"

namespace edgesec::certd::est {
namespace {

constexpr unsigned char kSequence = 0x30, kSet = 0x31, kOid = 0x06, kInteger = 0x02;

Error Bad(const std::string& m) {
  return MakeError(ErrorKind::kUnprocessable, "CsrAttrs: " + m);
}

struct Tlv {
  unsigned char tag = 0;
  const unsigned char* value = nullptr;
  size_t len = 0;
  const unsigned char* start = nullptr;  // of the whole TLV
  size_t total = 0;
};

// Reads one TLV from [*p, end); definite lengths only (DER).
bool ReadTlv(const unsigned char** p, const unsigned char* end, Tlv* out) {
  const unsigned char* q = *p;
  if (end - q < 2) return false;
  out->start = q;
  out->tag = *q++;
  if ((out->tag & 0x1f) == 0x1f) return false;  // high tag numbers: not in CsrAttrs
  size_t len = *q++;
  if (len & 0x80) {
    size_t n = len & 0x7f;
    if (n == 0 || n > 4 || static_cast<size_t>(end - q) < n) return false;
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | *q++;
  }
  if (static_cast<size_t>(end - q) < len) return false;
  out->value = q;
  out->len = len;
  out->total = static_cast<size_t>(q - out->start) + len;
  *p = q + len;
  return true;
}

std::string OidText(const Tlv& t) {
  Bytes der(t.start, t.start + t.total);
  const unsigned char* p = der.data();
  UniquePtr<ASN1_OBJECT> obj(d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(der.size())));
  if (!obj) {
    ERR_clear_error();
    return {};
  }
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof buf, obj.get(), 1);
  if (n <= 0 || n >= static_cast<int>(sizeof buf)) return {};
  return buf;
}

int NidOf(const std::string& dotted) {
  return dotted.empty() ? NID_undef : OBJ_txt2nid(dotted.c_str());
}

const char* DigestOfSignatureNid(int nid) {
  switch (nid) {
    case NID_ecdsa_with_SHA256:
    case NID_sha256WithRSAEncryption:
    case NID_sha256:
      return "SHA256";
    case NID_ecdsa_with_SHA384:
    case NID_sha384WithRSAEncryption:
    case NID_sha384:
      return "SHA384";
    case NID_ecdsa_with_SHA512:
    case NID_sha512WithRSAEncryption:
    case NID_sha512:
      return "SHA512";
    default:
      return nullptr;
  }
}

bool IsCurve(int nid) {
  return nid == NID_X9_62_prime256v1 || nid == NID_secp384r1 || nid == NID_secp521r1;
}

// A bare OID: a key type, a curve, a signature/digest algorithm, challengePassword, or other.
void ApplyOid(const std::string& dotted, CsrAttrs* out) {
  int nid = NidOf(dotted);
  if (nid == NID_pkcs9_challengePassword) {
    out->challenge_password = true;
  } else if (nid == NID_X9_62_id_ecPublicKey) {
    out->key_type = EVP_PKEY_EC;
  } else if (nid == NID_rsaEncryption) {
    out->key_type = EVP_PKEY_RSA;
  } else if (IsCurve(nid)) {
    out->key_type = EVP_PKEY_EC;
    out->curve = OBJ_nid2sn(nid);
  } else if (const char* d = DigestOfSignatureNid(nid)) {
    out->digest = d;
  } else {
    out->other_oids.push_back(dotted);
  }
}

Status ApplyAttribute(const Tlv& attr, CsrAttrs* out) {
  const unsigned char* p = attr.value;
  const unsigned char* end = attr.value + attr.len;
  Tlv type, values;
  if (!ReadTlv(&p, end, &type) || type.tag != kOid) return Bad("attribute without a type OID");
  if (!ReadTlv(&p, end, &values) || values.tag != kSet || p != end)
    return Bad("attribute without a SET of values");
  std::string dotted = OidText(type);
  if (dotted.empty()) return Bad("malformed attribute type OID");
  int nid = NidOf(dotted);
  const unsigned char* v = values.value;
  const unsigned char* vend = values.value + values.len;
  if (nid != NID_ext_req) ApplyOid(dotted, out);  // the type says as much as the bare OID would
  while (v < vend) {
    Tlv value;
    if (!ReadTlv(&v, vend, &value)) return Bad("malformed attribute value");
    if (nid == NID_ext_req) {
      if (value.tag == kOid) {
        std::string ext = OidText(value);
        if (ext.empty()) return Bad("malformed OID in extensionRequest");
        out->requested_extension_oids.push_back(ext);
      } else if (value.tag == kSequence) {  // Extensions ::= SEQUENCE OF Extension
        const unsigned char* e = value.value;
        const unsigned char* eend = value.value + value.len;
        while (e < eend) {
          Tlv ext;
          if (!ReadTlv(&e, eend, &ext) || ext.tag != kSequence) return Bad("malformed Extension");
          out->requested_extensions.emplace_back(ext.start, ext.start + ext.total);
        }
      }
    } else if (nid == NID_X9_62_id_ecPublicKey && value.tag == kOid) {
      int curve = NidOf(OidText(value));
      if (!IsCurve(curve)) return Bad("unsupported curve requested");
      out->curve = OBJ_nid2sn(curve);
    } else if (nid == NID_rsaEncryption && value.tag == kInteger && value.len > 0 &&
               value.len <= 3) {
      int bits = 0;
      for (size_t i = 0; i < value.len; ++i) bits = (bits << 8) | value.value[i];
      out->rsa_bits = bits;
    }
  }
  return {};
}

}  // namespace

Expected<CsrAttrs> ParseCsrAttrsDer(const Bytes& der) {
  CsrAttrs out;
  if (der.empty()) return out;  // RFC 7030: an empty body means no attributes
  const unsigned char* p = der.data();
  const unsigned char* end = p + der.size();
  Tlv outer;
  if (!ReadTlv(&p, end, &outer) || outer.tag != kSequence || p != end)
    return Bad("not a DER SEQUENCE");
  const unsigned char* q = outer.value;
  const unsigned char* qend = outer.value + outer.len;
  while (q < qend) {
    Tlv item;
    if (!ReadTlv(&q, qend, &item)) return Bad("malformed element");
    if (item.tag == kOid) {
      std::string dotted = OidText(item);
      if (dotted.empty()) return Bad("malformed OID");
      ApplyOid(dotted, &out);
    } else if (item.tag == kSequence) {
      EDGESEC_TRY(ApplyAttribute(item, &out));
    } else {
      return Bad("element is neither an OID nor an Attribute");
    }
  }
  if (!out.curve.empty() && out.key_type == EVP_PKEY_RSA)
    return Bad("a curve was requested with an RSA key");
  return out;
}

Expected<CsrAttrs> DecodeCsrAttrs(std::string_view body) {
  // Some servers pad the body with NUL bytes (mixed with CR/LF): a trailing run of NULs and
  // whitespace is ignored; a NUL anywhere else is still not base64.
  size_t n = body.size();
  while (n > 0 && std::string_view(" \t\r\n\0", 5).find(body[n - 1]) != std::string_view::npos) --n;
  auto der = DecodeBase64Lenient(body.substr(0, n));
  if (!der) return Bad("body is not base64");
  return ParseCsrAttrsDer(*der);
}

}  // namespace edgesec::certd::est
