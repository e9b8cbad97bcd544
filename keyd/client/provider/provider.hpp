#pragma once
// The edgesec OpenSSL 3 provider (DESIGN.md, "Keys held elsewhere"): keyd's key pairs, and certd's
// certificates, for any program that uses OpenSSL. A key is a keyd handle plus its public half;
// every private-key operation is a keyd call, so the key never leaves keyd and keyd checks the
// caller's uid as for any client.
//
// Loaded two ways: as the module `edgesec.so` (module.cpp, the only object exporting
// OSSL_provider_init) by `openssl -provider edgesec` or an openssl.cnf, and built in to edgesec's
// own processes by LoadRemoteKey (remote_key.hpp).

#include <openssl/core.h>
#include <openssl/core_dispatch.h>

#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/error.hpp"
#include "common/ossl.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::keyd::provider {

inline constexpr const char* kName = "edgesec";
// Every algorithm of this provider carries this property.
inline constexpr const char* kProperties = "provider=edgesec";
// Where this provider fetches what it does not implement (digests, public-key operations).
inline constexpr const char* kOthers = "provider!=edgesec";

// The provider's context: where keyd and certd listen (EDGESEC_KEYD_SOCKET, else the `keyd_socket`
// parameter of the provider's openssl.cnf section, else /run/edgesec/keyd.sock; certd likewise).
struct ProviderContext {
  const OSSL_CORE_HANDLE* handle = nullptr;
  std::string keyd_socket, certd_socket;
  OSSL_FUNC_BIO_write_ex_fn* bio_write = nullptr;

  // One client per socket path, shared by every key loaded through this context.
  std::shared_ptr<KeydClient> Client(const std::string& socket);
  std::shared_ptr<KeydClient> Client() { return Client(keyd_socket); }

 private:
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<KeydClient>> clients_;
};

// A key of this provider: a keyd key pair (client and handle set) or, for comparisons, a public
// key alone. `pub` is the public half in another provider.
struct Key {
  ProviderContext* provider = nullptr;
  std::shared_ptr<KeydClient> client;
  std::string handle, key_id;
  std::string type;  // "EC", "RSA" or "ED25519"
  EvpPkeyPtr pub;

  bool HasPrivate() const { return client != nullptr && !handle.empty(); }
  std::unique_ptr<Key> Clone() const;
};

// The key pair `handle` of keyd at `client`, with its public half read from keyd.
Expected<std::unique_ptr<Key>> LoadKey(ProviderContext* provider,
                                       std::shared_ptr<KeydClient> client, std::string handle,
                                       std::string key_id);
// "ECDSA" → "EC", "RSA" → "RSA", "EdDSA" → "ED25519" (keyd's `algorithm` parameter).
Expected<std::string> KeyTypeOf(const std::string& keyd_algorithm);

// One entry of an OSSL_DISPATCH table: OpenSSL's function id and our function, cast to its
// generic pointer type.
#define EDGESEC_OSSL_FN(id, fn) \
  { id, reinterpret_cast<void (*)()>(fn) }

// A parameter OpenSSL passes as an int or by name (RSA padding "pss", salt length "digest"): absent
// leaves *out as it is; a name not in `names` is read as a number when numbers_as_text, else refused.
struct NamedValue {
  const char* name;
  int value;
};
bool GetIntOrName(const OSSL_PARAM* p, std::initializer_list<NamedValue> names, int* out,
                  bool numbers_as_text = false);

// Puts an error on OpenSSL's queue, prefixed "edgesec: ", for the application to print.
void RaiseError(const std::string& message);
void RaiseError(const Error& error);

// Import parameters that make a keyd-backed key (used by LoadRemoteKey in-process).
inline constexpr const char* kParamKeyHandle = "edgesec-key-handle";
inline constexpr const char* kParamKeydSocket = "edgesec-keyd-socket";

extern const OSSL_ALGORITHM kKeyManagement[];
extern const OSSL_ALGORITHM kSignatures[];
extern const OSSL_ALGORITHM kAsymCiphers[];
extern const OSSL_ALGORITHM kStores[];
extern const OSSL_ALGORITHM kEncoders[];

// OSSL_provider_init of this provider (module.cpp exports it under that name).
int Init(const OSSL_CORE_HANDLE* handle, const OSSL_DISPATCH* in, const OSSL_DISPATCH** out,
         void** provctx);

}  // namespace edgesec::keyd::provider
