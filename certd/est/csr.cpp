#include "certd/est/csr.hpp"

namespace edgesec::certd::est {

Expected<std::string> EncodeCsrBody(X509_REQ* req) {
  int len = i2d_X509_REQ(req, nullptr);
  if (len <= 0) return OpenSslError("encoding the CSR");
  Bytes der(static_cast<size_t>(len));
  unsigned char* p = der.data();
  i2d_X509_REQ(req, &p);
  return EncodeBase64Wrapped(der);
}

}  // namespace edgesec::certd::est
