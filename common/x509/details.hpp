#pragma once
// Certificate details for people (edgectl cert show) and for GET /certificates.

#include <cstdint>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "common/x509/pem.hpp"

namespace edgesec::x509 {

struct Details {
  std::string subject, issuer;    // RFC 2253 ("CN=leaf,O=Example")
  std::vector<std::string> sans;  // "DNS:a.example", "IP:10.0.0.1", "URI:…", "email:…"
  int64_t not_before = 0, not_after = 0;
  int64_t days_left = 0;  // whole days until notAfter, negative once expired
  std::string sha256;     // as `openssl x509 -fingerprint -sha256`: "AB:CD:…"
  std::string serial;     // hex
  std::string key_type;   // "RSA", "EC", "Ed25519"
  int key_bits = 0;
  std::string curve;  // EC only
  bool is_ca = false;
  // Not from the certificate: the keyd key id of the cert's credential and the engine that holds
  // that key
  // ("file", "pkcs11", "tpm"), filled in by whoever knows them; empty when unknown.
  std::string key_id, engine;
};

Expected<Details> Describe(X509* cert, int64_t now);
std::string Sha256Fingerprint(X509* cert);
// The same fingerprint from a certificate's DER (a PEM block's body), without parsing it: cheap
// enough to recognize a known issuer on every module cert.
std::string Sha256FingerprintOfDer(const Bytes& der);
std::string NameText(X509_NAME* name);
Json DetailsJson(const Details& d);
std::string DetailsText(const Details& d);

}  // namespace edgesec::x509
