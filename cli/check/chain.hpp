#pragma once
// Certificate chain helpers of the certificate checks (certs_check.cpp), in chain.cpp.

#include <string>
#include <vector>

#include "common/x509/pem.hpp"

namespace edgesec::cli::check {

// Issued by itself as OpenSSL sees an issuer (names, and keyCertSign when keyUsage is there).
bool SelfSigned(X509* c);
// A new reference to `c`.
X509Ptr Ref(X509* c);
// Appends the certificates of a PEM file; nothing when it cannot be read or parsed.
void AddPemFile(const std::string& path, std::vector<X509Ptr>* out);
// Signed by its own key under its own name: a self-signed cert, CA or not.
bool SignedBySelf(X509* c);
// Each cert of the chain is signed by the next one.
bool Consistent(const edgesec::x509::Chain& chain);

}  // namespace edgesec::cli::check
