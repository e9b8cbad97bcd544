#include "keyd/client/provider/provider.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include <cstdlib>
#include <string_view>

namespace edgesec::keyd::provider {
namespace {

std::string SocketFrom(const char* env, const char* configured, const char* fallback) {
  const char* from_env = std::getenv(env);
  if (from_env != nullptr && *from_env != '\0') return from_env;
  if (configured != nullptr && *configured != '\0') return configured;
  return fallback;
}

void Teardown(void* provctx) {
  delete static_cast<ProviderContext*>(provctx);
}

const OSSL_PARAM* GettableParams(void*) {
  static const OSSL_PARAM params[] = {
      OSSL_PARAM_DEFN(OSSL_PROV_PARAM_NAME, OSSL_PARAM_UTF8_PTR, nullptr, 0),
      OSSL_PARAM_DEFN(OSSL_PROV_PARAM_VERSION, OSSL_PARAM_UTF8_PTR, nullptr, 0),
      OSSL_PARAM_DEFN(OSSL_PROV_PARAM_BUILDINFO, OSSL_PARAM_UTF8_PTR, nullptr, 0),
      OSSL_PARAM_DEFN(OSSL_PROV_PARAM_STATUS, OSSL_PARAM_INTEGER, nullptr, 0), OSSL_PARAM_END};
  return params;
}

int GetParams(void*, OSSL_PARAM params[]) {
  OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_NAME);
  if (p != nullptr && !OSSL_PARAM_set_utf8_ptr(p, "edgesec: keys held by keyd")) return 0;
  p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_VERSION);
  if (p != nullptr && !OSSL_PARAM_set_utf8_ptr(p, EDGESEC_VERSION)) return 0;
  p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_BUILDINFO);
  if (p != nullptr && !OSSL_PARAM_set_utf8_ptr(p, EDGESEC_VERSION)) return 0;
  p = OSSL_PARAM_locate(params, OSSL_PROV_PARAM_STATUS);
  if (p != nullptr && !OSSL_PARAM_set_int(p, 1)) return 0;
  return 1;
}

const OSSL_ALGORITHM* QueryOperation(void*, int operation_id, int* no_cache) {
  *no_cache = 0;
  switch (operation_id) {
    case OSSL_OP_KEYMGMT:
      return kKeyManagement;
    case OSSL_OP_SIGNATURE:
      return kSignatures;
    case OSSL_OP_ASYM_CIPHER:
      return kAsymCiphers;
    case OSSL_OP_STORE:
      return kStores;
    case OSSL_OP_ENCODER:
      return kEncoders;
    default:
      return nullptr;
  }
}

const OSSL_DISPATCH kProviderFunctions[] = {
    {OSSL_FUNC_PROVIDER_TEARDOWN, reinterpret_cast<void (*)()>(&Teardown)},
    {OSSL_FUNC_PROVIDER_GETTABLE_PARAMS, reinterpret_cast<void (*)()>(&GettableParams)},
    {OSSL_FUNC_PROVIDER_GET_PARAMS, reinterpret_cast<void (*)()>(&GetParams)},
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, reinterpret_cast<void (*)()>(&QueryOperation)},
    {0, nullptr}};

}  // namespace

std::shared_ptr<KeydClient> ProviderContext::Client(const std::string& socket) {
  std::lock_guard lock(mutex_);
  auto& client = clients_[socket];
  if (!client) client = std::make_shared<KeydClient>(socket);
  return client;
}

std::unique_ptr<Key> Key::Clone() const {
  auto copy = std::make_unique<Key>();
  copy->provider = provider;
  copy->client = client;
  copy->handle = handle;
  copy->key_id = key_id;
  copy->type = type;
  if (pub && EVP_PKEY_up_ref(pub.get()) == 1) copy->pub.reset(pub.get());
  return copy;
}

Expected<std::string> KeyTypeOf(const std::string& keyd_algorithm) {
  if (keyd_algorithm == "ECDSA") return std::string("EC");
  if (keyd_algorithm == "RSA") return std::string("RSA");
  if (keyd_algorithm == "EdDSA") return std::string("ED25519");
  return MakeError(ErrorKind::kInternal,
                   "keyd reported an unknown key algorithm '" + keyd_algorithm + "'");
}

Expected<std::unique_ptr<Key>> LoadKey(ProviderContext* provider,
                                       std::shared_ptr<KeydClient> client, std::string handle,
                                       std::string key_id) {
  EDGESEC_ASSIGN_OR_RETURN(EvpPkeyPtr pub, client->PublicKey(handle, kOthers));
  // The type follows from the public half (PublicKey asked keyd for the algorithm already).
  std::string type = EVP_PKEY_is_a(pub.get(), "EC")        ? "EC"
                     : EVP_PKEY_is_a(pub.get(), "RSA")     ? "RSA"
                     : EVP_PKEY_is_a(pub.get(), "ED25519") ? "ED25519"
                                                           : "";
  if (type.empty()) return Internal("keyd's key '" + key_id + "' is of a type OpenSSL cannot use here");
  auto key = std::make_unique<Key>();
  key->provider = provider;
  key->client = std::move(client);
  key->handle = std::move(handle);
  key->key_id = std::move(key_id);
  key->type = std::move(type);
  key->pub = std::move(pub);
  return key;
}

bool GetIntOrName(const OSSL_PARAM* p, std::initializer_list<NamedValue> names, int* out,
                  bool numbers_as_text) {
  if (p == nullptr) return true;
  if (p->data_type != OSSL_PARAM_UTF8_STRING) return OSSL_PARAM_get_int(p, out) == 1;
  const char* text = nullptr;
  if (OSSL_PARAM_get_utf8_string_ptr(p, &text) != 1) return false;
  for (const NamedValue& n : names) {
    if (std::string_view(text) == n.name) {
      *out = n.value;
      return true;
    }
  }
  if (!numbers_as_text || *text == '\0') return false;
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < -3 || value > 65535) return false;
  *out = static_cast<int>(value);
  return true;
}

void RaiseError(const std::string& message) {
  ERR_raise_data(ERR_LIB_PROV, ERR_R_OPERATION_FAIL, "edgesec: %s", message.c_str());
}

void RaiseError(const Error& error) {
  RaiseError(error.message);
}

int Init(const OSSL_CORE_HANDLE* handle, const OSSL_DISPATCH* in, const OSSL_DISPATCH** out,
         void** provctx) {
  OSSL_FUNC_core_get_params_fn* get_params = nullptr;
  OSSL_FUNC_core_get_libctx_fn* get_libctx = nullptr;
  auto context = std::make_unique<ProviderContext>();
  context->handle = handle;
  for (; in != nullptr && in->function_id != 0; ++in) {
    if (in->function_id == OSSL_FUNC_CORE_GET_PARAMS)
      get_params = OSSL_FUNC_core_get_params(in);
    else if (in->function_id == OSSL_FUNC_CORE_GET_LIBCTX)
      get_libctx = OSSL_FUNC_core_get_libctx(in);
    else if (in->function_id == OSSL_FUNC_BIO_WRITE_EX)
      context->bio_write = OSSL_FUNC_BIO_write_ex(in);
  }
  // The provider's own section of openssl.cnf: keyd_socket = …, certd_socket = ….
  char* keyd_socket = nullptr;
  char* certd_socket = nullptr;
  char* load_default = nullptr;
  OSSL_PARAM conf[] = {OSSL_PARAM_utf8_ptr("keyd_socket", &keyd_socket, 0),
                       OSSL_PARAM_utf8_ptr("certd_socket", &certd_socket, 0),
                       OSSL_PARAM_utf8_ptr("load_default", &load_default, 0), OSSL_PARAM_END};
  if (get_params != nullptr) get_params(handle, conf);
  // This provider does keys only; OpenSSL asks the first provider it finds for everything else
  // named like them ("EC" key generation for TLS key exchange), so the default provider goes
  // first: loaded here, before this provider joins the library context (a provider being
  // initialised is not in it yet). `load_default = no` in openssl.cnf leaves the order to the
  // configuration (a FIPS setup lists its providers before this one).
  bool want_default = load_default == nullptr || (std::string_view(load_default) != "no" &&
                                                  std::string_view(load_default) != "0");
  if (want_default && get_libctx != nullptr) {
    auto* libctx = reinterpret_cast<OSSL_LIB_CTX*>(get_libctx(handle));
    if (OSSL_PROVIDER_load(libctx, "default") == nullptr) return 0;
  }
  context->keyd_socket =
      SocketFrom("EDGESEC_KEYD_SOCKET", keyd_socket, "/run/edgesec/keyd.sock");
  context->certd_socket =
      SocketFrom("EDGESEC_CERTD_SOCKET", certd_socket, "/run/edgesec/certd.sock");
  *provctx = context.release();
  *out = kProviderFunctions;
  return 1;
}

}  // namespace edgesec::keyd::provider
