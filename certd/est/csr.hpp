#pragma once
// CSRs for EST: built by common/x509/csr.hpp (named here as est:: for the EST code), sent in the
// conservative wire form.

#include <string>

#include "certd/est/decode.hpp"
#include "common/error.hpp"
#include "common/ossl.hpp"
#include "common/x509/csr.hpp"

namespace edgesec::certd::est {

using ::edgesec::x509::BuildCsr;
using ::edgesec::x509::BuildReenrollCsr;
using ::edgesec::x509::CsrSpec;
using ::edgesec::x509::GenerateKeyFor;
using ::edgesec::x509::KeyMatchesAttrs;

// The conservative wire form: base64 of the DER in 64-column lines with LF. kCrypto when the CSR
// does not encode.
Expected<std::string> EncodeCsrBody(X509_REQ* req);

}  // namespace edgesec::certd::est
