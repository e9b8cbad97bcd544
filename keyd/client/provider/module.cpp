// The one symbol edgesec.so exports: OpenSSL's entry point of a provider module.
#include "keyd/client/provider/provider.hpp"

extern "C" __attribute__((visibility("default"))) int OSSL_provider_init(
    const OSSL_CORE_HANDLE* handle, const OSSL_DISPATCH* in, const OSSL_DISPATCH** out,
    void** provctx) {
  return edgesec::keyd::provider::Init(handle, in, out, provctx);
}
