// The store loader of URIs `edgesec:<keyId>` (keyd's key pair) and `edgesec:<certId>?object=cert`
// (certd's certificate chain, leaf first). A URI without `object` gives the key, or the
// certificate when the caller expects one (`openssl s_client -cert edgesec:device-id`).
#include <openssl/core_names.h>
#include <openssl/core_object.h>
#include <openssl/params.h>
#include <openssl/store.h>

#include <cstring>

#include "common/http/client.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/x509/pem.hpp"
#include "keyd/client/provider/provider.hpp"

namespace edgesec::keyd::provider {
namespace {

constexpr const char* kCertsApiVersion = "2020-09-01";

struct StoreContext {
  ProviderContext* provider = nullptr;
  std::string id;
  enum class Object { kAny, kKey, kCert } object = Object::kAny;
  int expect = 0;  // OSSL_STORE_INFO_* the caller asked for, 0 = any
  bool done = false;
};

// "edgesec:device-id", "edgesec:device-id?object=cert"; an id is keyd's and certd's id syntax.
void* Open(void* provctx, const char* uri) {
  std::string text = uri != nullptr ? uri : "";
  constexpr std::string_view kScheme = "edgesec:";
  if (text.compare(0, kScheme.size(), kScheme) != 0) return nullptr;
  auto context = std::make_unique<StoreContext>();
  context->provider = static_cast<ProviderContext*>(provctx);
  std::string rest = text.substr(kScheme.size());
  size_t query = rest.find('?');
  context->id = rest.substr(0, query);
  if (query != std::string::npos) {
    std::string q = rest.substr(query + 1);
    if (q == "object=cert") {
      context->object = StoreContext::Object::kCert;
    } else if (q == "object=key") {
      context->object = StoreContext::Object::kKey;
    } else {
      RaiseError("unknown query '" + q + "' in '" + text + "' (use ?object=key or ?object=cert)");
      return nullptr;
    }
  }
  if (auto valid = ValidateId(context->id, "id"); !valid) {
    RaiseError("'" + text + "': " + valid.error().message);
    return nullptr;
  }
  return context.release();
}

const OSSL_PARAM* SettableParams(void*) {
  static const OSSL_PARAM params[] = {OSSL_PARAM_int(OSSL_STORE_PARAM_EXPECT, nullptr),
                                      OSSL_PARAM_END};
  return params;
}

int SetParams(void* ctx, const OSSL_PARAM params[]) {
  auto* c = static_cast<StoreContext*>(ctx);
  const OSSL_PARAM* p = OSSL_PARAM_locate_const(params, OSSL_STORE_PARAM_EXPECT);
  return p == nullptr || OSSL_PARAM_get_int(p, &c->expect);
}

int LoadKeyObject(StoreContext* c, OSSL_CALLBACK* object_cb, void* object_cbarg) {
  std::shared_ptr<KeydClient> client = c->provider->Client();
  auto handle = client->GetKeyPair(c->id);
  if (!handle) {
    RaiseError("key '" + c->id + "' (keyd at '" + c->provider->keyd_socket +
               "'): " + handle.error().message);
    return 0;
  }
  auto key = LoadKey(c->provider, client, *handle, c->id);
  if (!key) {
    RaiseError("key '" + c->id + "': " + key.error().message);
    return 0;
  }
  int type = OSSL_OBJECT_PKEY;
  Key* reference = key->get();
  OSSL_PARAM params[] = {
      OSSL_PARAM_int(OSSL_OBJECT_PARAM_TYPE, &type),
      OSSL_PARAM_utf8_string(OSSL_OBJECT_PARAM_DATA_TYPE, const_cast<char*>(reference->type.c_str()), 0),
      OSSL_PARAM_octet_string(OSSL_OBJECT_PARAM_REFERENCE, &reference, sizeof(reference)),
      OSSL_PARAM_END};
  return object_cb(params, object_cbarg);
}

int LoadCertObjects(StoreContext* c, OSSL_CALLBACK* object_cb, void* object_cbarg) {
  http::UnixClient certd(c->provider->certd_socket);
  auto reply = certd.CallJson("GET", "/certificates/" + http::EscapePathSegment(c->id) +
                                         "?api-version=" + kCertsApiVersion);
  if (!reply) {
    RaiseError("certificate '" + c->id + "' (certd at '" + c->provider->certd_socket +
               "'): " + reply.error().message);
    return 0;
  }
  auto pem = reply->find("pem");
  if (pem == reply->end() || !pem->is_string()) {
    RaiseError("certd answered without 'pem' for certificate '" + c->id + "'");
    return 0;
  }
  for (const x509::PemBlock& block : x509::ReadPemBlocks(pem->get<std::string>())) {
    if (block.label != "CERTIFICATE") continue;
    int type = OSSL_OBJECT_CERT;
    OSSL_PARAM params[] = {
        OSSL_PARAM_int(OSSL_OBJECT_PARAM_TYPE, &type),
        OSSL_PARAM_octet_string(OSSL_OBJECT_PARAM_DATA, const_cast<unsigned char*>(block.der.data()),
                                block.der.size()),
        OSSL_PARAM_END};
    if (!object_cb(params, object_cbarg)) return 0;
  }
  return 1;
}

int Load(void* ctx, OSSL_CALLBACK* object_cb, void* object_cbarg, OSSL_PASSPHRASE_CALLBACK*,
         void*) {
  auto* c = static_cast<StoreContext*>(ctx);
  if (c->done) return 0;
  c->done = true;
  bool cert = c->object == StoreContext::Object::kCert ||
              (c->object == StoreContext::Object::kAny && c->expect == OSSL_STORE_INFO_CERT);
  return cert ? LoadCertObjects(c, object_cb, object_cbarg)
              : LoadKeyObject(c, object_cb, object_cbarg);
}

int Eof(void* ctx) {
  return static_cast<StoreContext*>(ctx)->done ? 1 : 0;
}

int Close(void* ctx) {
  delete static_cast<StoreContext*>(ctx);
  return 1;
}

// A key of this store is used here or not at all: handing its public half to another provider
// would give the caller a key that cannot sign.
int ExportObject(void*, const void*, size_t, OSSL_CALLBACK*, void*) {
  RaiseError("a keyd key works only through the edgesec provider");
  return 0;
}

const OSSL_DISPATCH kFunctions[] = {EDGESEC_OSSL_FN(OSSL_FUNC_STORE_OPEN, &Open),
                                    EDGESEC_OSSL_FN(OSSL_FUNC_STORE_SETTABLE_CTX_PARAMS, &SettableParams),
                                    EDGESEC_OSSL_FN(OSSL_FUNC_STORE_SET_CTX_PARAMS, &SetParams),
                                    EDGESEC_OSSL_FN(OSSL_FUNC_STORE_LOAD, &Load),
                                    EDGESEC_OSSL_FN(OSSL_FUNC_STORE_EOF, &Eof),
                                    EDGESEC_OSSL_FN(OSSL_FUNC_STORE_CLOSE, &Close),
                                    EDGESEC_OSSL_FN(OSSL_FUNC_STORE_EXPORT_OBJECT, &ExportObject),
                                    {0, nullptr}};

}  // namespace

const OSSL_ALGORITHM kStores[] = {{"edgesec", kProperties, kFunctions, "keyd keys, certd certificates"},
                                  {nullptr, nullptr, nullptr, nullptr}};

}  // namespace edgesec::keyd::provider
