#include "certd/est/decode.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "common/x509/pem.hpp"

namespace edgesec::certd::est {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

Error Unprocessable(std::string m) {
  return MakeError(ErrorKind::kUnprocessable, std::move(m));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool IsWhitespaceOnly(std::string_view s) {
  return Trim(s).empty();
}

// Certificates from DER: a PKCS#7 SignedData (certs-only) or one certificate.
Expected<std::vector<X509Ptr>> CertsFromDer(const Bytes& der) {
  std::vector<X509Ptr> out;
  const unsigned char* p = der.data();
  UniquePtr<PKCS7> p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  if (p7) {
    if (!PKCS7_type_is_signed(p7.get()) || p7->d.sign == nullptr)
      return Unprocessable("PKCS#7 is not a certs-only SignedData");
    STACK_OF(X509)* certs = p7->d.sign->cert;
    for (int i = 0; certs != nullptr && i < sk_X509_num(certs); ++i) {
      X509* c = sk_X509_value(certs, i);
      X509_up_ref(c);
      out.emplace_back(c);
    }
    if (out.empty()) return Unprocessable("PKCS#7 holds no certificate");
    return out;
  }
  ERR_clear_error();
  p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (!cert) return Unprocessable("neither a PKCS#7 nor a certificate");
  out.push_back(std::move(cert));
  return out;
}

Expected<std::vector<X509Ptr>> CertsFromPem(std::string_view body) {
  std::vector<X509Ptr> out;
  for (const auto& block : ::edgesec::x509::ReadPemBlocks(body)) {
    const std::string& n = block.label;
    if (n != "PKCS7" && n != "CERTIFICATE" && n != "X509 CERTIFICATE") continue;
    auto certs = CertsFromDer(block.der);
    if (!certs) return certs.error().Context("PEM block '" + n + "'");
    for (auto& c : *certs) out.push_back(std::move(c));
  }
  ERR_clear_error();
  if (out.empty()) return Unprocessable("PEM body holds no certificate");
  return out;
}

}  // namespace

std::optional<Bytes> DecodeBase64Lenient(std::string_view text) {
  std::array<int, 256> rev;
  rev.fill(-1);
  for (int i = 0; i < 64; ++i) rev[static_cast<unsigned char>(kAlphabet[i])] = i;
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  size_t digits = 0, pads = 0;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      if (++pads > 2) return std::nullopt;
      continue;
    }
    if (pads > 0 || rev[c] < 0) return std::nullopt;  // data after padding, or not base64
    acc = (acc << 6) | static_cast<unsigned>(rev[c]);
    bits += 6;
    ++digits;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<unsigned char>((acc >> bits) & 0xff));
    }
  }
  if (digits % 4 == 1) return std::nullopt;
  if (pads > 0 && (digits + pads) % 4 != 0) return std::nullopt;
  return out;
}

std::string EncodeBase64Wrapped(const Bytes& der) {
  std::string out;
  size_t col = 0;
  for (size_t i = 0; i < der.size(); i += 3) {
    unsigned v = static_cast<unsigned>(der[i]) << 16;
    size_t n = std::min<size_t>(3, der.size() - i);
    if (n > 1) v |= static_cast<unsigned>(der[i + 1]) << 8;
    if (n > 2) v |= der[i + 2];
    char quad[4] = {kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63],
                    n > 1 ? kAlphabet[(v >> 6) & 63] : '=', n > 2 ? kAlphabet[v & 63] : '='};
    for (char c : quad) {
      out += c;
      if (++col == 64) {
        out += '\n';
        col = 0;
      }
    }
  }
  if (col != 0) out += '\n';
  return out;
}

MediaType ParseMediaType(std::string_view content_type) {
  MediaType mt;
  size_t semi = content_type.find(';');
  mt.type = Lower(Trim(content_type.substr(0, semi)));
  while (semi != std::string_view::npos) {
    std::string_view rest = content_type.substr(semi + 1);
    size_t eq = rest.find('=');
    if (eq == std::string_view::npos) break;
    std::string name = Lower(Trim(rest.substr(0, eq)));
    rest = rest.substr(eq + 1);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      size_t i = 1;
      for (; i < rest.size() && rest[i] != '"'; ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value += rest[i];
      }
      rest = i < rest.size() ? rest.substr(i + 1) : std::string_view();
      semi = rest.find(';');
    } else {
      semi = rest.find(';');
      value = std::string(Trim(rest.substr(0, semi)));
    }
    if (!name.empty()) mt.params[name] = value;
    if (semi == std::string_view::npos) break;
    content_type = rest;
  }
  return mt;
}

Expected<std::vector<X509Ptr>> DecodeCertificates(std::string_view body,
                                                  std::string_view content_type) {
  MediaType mt = ParseMediaType(content_type);
  if (IsWhitespaceOnly(body)) return Unprocessable("empty body (content type '" + mt.type + "')");
  if (body.find("-----BEGIN") != std::string_view::npos) return CertsFromPem(body);
  if (auto der = DecodeBase64Lenient(body); der && !der->empty()) {
    auto certs = CertsFromDer(*der);
    if (certs) return certs;
    return certs.error().Context("base64 body of type '" + mt.type + "'");
  }
  // Not base64: a server that sends binary DER despite RFC 8951.
  if (static_cast<unsigned char>(body.front()) == 0x30) {
    auto certs = CertsFromDer(Bytes(body.begin(), body.end()));
    if (certs) return certs;
  }
  return Unprocessable("body of type '" + mt.type + "' is neither base64 PKCS#7, PEM nor DER");
}

std::vector<X509Ptr> OrderChain(std::vector<X509Ptr> certs) {
  auto issued_by = [](X509* subject, X509* issuer) {
    return subject != issuer && X509_check_issued(issuer, subject) == X509_V_OK;
  };
  std::vector<X509Ptr> out;
  // The leaf: a certificate that issued none of the others.
  auto leaf = std::find_if(certs.begin(), certs.end(), [&](const X509Ptr& c) {
    return std::none_of(certs.begin(), certs.end(),
                        [&](const X509Ptr& o) { return issued_by(o.get(), c.get()); });
  });
  if (leaf == certs.end()) leaf = certs.begin();
  while (leaf != certs.end()) {
    out.push_back(std::move(*leaf));
    certs.erase(leaf);
    X509* last = out.back().get();
    leaf = std::find_if(certs.begin(), certs.end(),
                        [&](const X509Ptr& c) { return issued_by(last, c.get()); });
  }
  for (auto& c : certs) out.push_back(std::move(c));
  return out;
}

Expected<std::vector<MimePart>> ParseMultipart(std::string_view body,
                                               std::string_view content_type) {
  MediaType mt = ParseMediaType(content_type);
  if (mt.type.rfind("multipart/", 0) != 0)
    return Unprocessable("content type '" + mt.type + "' is not multipart");
  auto b = mt.params.find("boundary");
  if (b == mt.params.end() || b->second.empty())
    return Unprocessable("multipart content type without a boundary");
  const std::string delim = "--" + b->second;
  std::vector<MimePart> parts;
  size_t pos = body.find(delim);
  if (pos == std::string_view::npos)
    return Unprocessable("multipart boundary not found in the body");
  for (;;) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") break;  // close delimiter
    size_t line_end = body.find('\n', pos);
    if (line_end == std::string_view::npos)
      return Unprocessable("multipart body ends inside a boundary line");
    size_t start = line_end + 1;
    size_t next = body.find("\n" + delim, start);
    if (next == std::string_view::npos)
      return Unprocessable("multipart body has no closing boundary");
    std::string_view part = body.substr(start, next - start);
    if (!part.empty() && part.back() == '\r') part.remove_suffix(1);
    MimePart mp;
    // Headers up to the first empty line.
    for (;;) {
      size_t eol = part.find('\n');
      std::string_view line = part.substr(0, eol);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      part = eol == std::string_view::npos ? std::string_view() : part.substr(eol + 1);
      if (line.empty()) break;
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) return Unprocessable("malformed multipart part header");
      mp.headers[Lower(Trim(line.substr(0, colon)))] = std::string(Trim(line.substr(colon + 1)));
      if (eol == std::string_view::npos) break;
    }
    mp.body = std::string(part);
    parts.push_back(std::move(mp));
    if (parts.size() > 16) return Unprocessable("multipart body has too many parts");
    pos = next + 1;
  }
  return parts;
}

Expected<Secret> DecodePrivateKey(const Bytes& der_or_pem) {
  EvpPkeyPtr key;
  std::string_view text(reinterpret_cast<const char*>(der_or_pem.data()), der_or_pem.size());
  if (text.find("-----BEGIN") != std::string_view::npos) {
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("")));
  } else {
    const unsigned char* p = der_or_pem.data();
    key.reset(d2i_AutoPrivateKey(nullptr, &p,
                                 static_cast<long>(der_or_pem.size())));  // PKCS#8, PKCS#1, SEC1
  }
  if (!key) {
    ERR_clear_error();
    return Unprocessable("private key is neither PKCS#8 nor PKCS#1");
  }
  EDGESEC_ASSIGN_OR_RETURN(Bytes pkcs8, PrivateKeyToPkcs8Der(key.get()));
  Secret s(pkcs8.data(), pkcs8.size());
  OPENSSL_cleanse(pkcs8.data(), pkcs8.size());
  return s;
}

Expected<ServerKeygenResult> DecodeServerKeygen(std::string_view body,
                                                std::string_view content_type) {
  EDGESEC_ASSIGN_OR_RETURN(auto parts, ParseMultipart(body, content_type));
  std::optional<Secret> key;
  std::vector<X509Ptr> certs;
  for (const MimePart& part : parts) {
    auto ct = part.headers.find("content-type");
    MediaType mt = ParseMediaType(ct == part.headers.end() ? "" : ct->second);
    if (mt.type == "application/pkcs8" || mt.type == "application/pkcs1" ||
        (mt.type == "application/pkcs7-mime" &&
         mt.params["smime-type"] == "server-generated-key")) {
      if (mt.type == "application/pkcs7-mime")
        return Unprocessable(
            "encrypted server-generated keys (smime-type=server-generated-key) are not supported");
      Bytes raw;
      if (part.body.find("-----BEGIN") != std::string::npos) {
        raw.assign(part.body.begin(), part.body.end());
      } else {
        auto der = DecodeBase64Lenient(part.body);
        if (!der) return Unprocessable("server-generated key part is not base64");
        raw = std::move(*der);
      }
      auto k = DecodePrivateKey(raw);
      OPENSSL_cleanse(raw.data(), raw.size());
      if (!k) return k.error();
      key = std::move(*k);
    } else if (mt.type == "application/pkcs7-mime" || mt.type == "application/pkix-cert" ||
               mt.type == "application/x-pem-file") {
      EDGESEC_ASSIGN_OR_RETURN(certs, DecodeCertificates(part.body, ct->second));
    }
  }
  if (!key)
    return Unprocessable("serverkeygen response holds no private key part (application/pkcs8)");
  if (certs.empty()) return Unprocessable("serverkeygen response holds no certificate part");
  ServerKeygenResult r{std::move(*key), OrderChain(std::move(certs))};
  return r;
}

}  // namespace edgesec::certd::est
