// Certificate chain helpers of the certificate checks.
#include "cli/check/chain.hpp"

#include <openssl/err.h>

#include "common/fs.hpp"

namespace edgesec::cli::check {

bool SelfSigned(X509* c) {
  return X509_check_issued(c, c) == X509_V_OK;
}

X509Ptr Ref(X509* c) {
  X509_up_ref(c);
  return X509Ptr(c);
}

void AddPemFile(const std::string& path, std::vector<X509Ptr>* out) {
  auto text = fs::ReadFile(path);
  if (!text) return;
  if (auto chain = edgesec::x509::ParsePemChain(*text))
    for (auto& c : *chain) out->push_back(std::move(c));
}

bool SignedBySelf(X509* c) {
  bool self = X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(c)) == 0 &&
              X509_verify(c, X509_get0_pubkey(c)) == 1;
  ERR_clear_error();
  return self;
}

bool Consistent(const edgesec::x509::Chain& chain) {
  bool ok = true;
  for (size_t i = 0; ok && i + 1 < chain.size(); ++i)
    ok = X509_NAME_cmp(X509_get_issuer_name(chain[i].get()),
                       X509_get_subject_name(chain[i + 1].get())) == 0 &&
         X509_verify(chain[i].get(), X509_get0_pubkey(chain[i + 1].get())) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace edgesec::cli::check
