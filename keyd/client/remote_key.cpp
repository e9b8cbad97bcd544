#include "keyd/client/remote_key.hpp"

#include <openssl/params.h>
#include <openssl/provider.h>

#include <mutex>

#include "keyd/client/provider/provider.hpp"

namespace edgesec::keyd {
namespace {

// The provider, built in under its own name, beside the default provider (loaded first: once a
// provider is loaded explicitly, OpenSSL no longer loads the default one by itself).
Status EnsureProvider() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    ok = OSSL_PROVIDER_add_builtin(nullptr, provider::kName, &provider::Init) == 1 &&
         OSSL_PROVIDER_load(nullptr, "default") != nullptr &&
         OSSL_PROVIDER_load(nullptr, provider::kName) != nullptr;
  });
  if (!ok) return OpenSslError("cannot load the edgesec OpenSSL provider");
  return {};
}

}  // namespace

Expected<EvpPkeyPtr> LoadRemoteKey(std::shared_ptr<KeydClient> client,
                                   const std::string& key_handle) {
  EDGESEC_TRY(EnsureProvider());
  EDGESEC_ASSIGN_OR_RETURN(std::string algorithm, client->GetParameter(key_handle, "algorithm"));
  EDGESEC_ASSIGN_OR_RETURN(std::string type, provider::KeyTypeOf(algorithm));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type.c_str(), provider::kProperties));
  OSSL_PARAM params[] = {
      OSSL_PARAM_utf8_string(provider::kParamKeyHandle, const_cast<char*>(key_handle.c_str()), 0),
      OSSL_PARAM_utf8_string(provider::kParamKeydSocket,
                             const_cast<char*>(client->socket_path().c_str()), 0),
      OSSL_PARAM_END};
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_KEYPAIR, params) != 1)
    return OpenSslError("cannot load keyd key pair through the edgesec provider");
  return EvpPkeyPtr(key);
}

}  // namespace edgesec::keyd
