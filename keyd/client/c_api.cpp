// libedgesec's keys API (<edgesec/keys.h>): the keyd client library and the remote-key helper
// behind C functions. Nothing here decides anything: arguments are checked, the client is called,
// results are copied into memory the caller frees.

#include "common/c_api.hpp"

#include <edgesec/keys.h>

#include <memory>
#include <optional>
#include <string>

#include "keyd/client/keyd_client.hpp"
#include "keyd/client/remote_key.hpp"

struct edgesec_keys {
  std::shared_ptr<edgesec::keyd::KeydClient> client;
};

namespace {

using edgesec::Bytes;
using edgesec::Error;
using edgesec::capi::Fail;
using edgesec::capi::Guard;
using edgesec::capi::Missing;
using edgesec::capi::Ok;
using edgesec::capi::Return;
namespace api = edgesec::keyd::api;

bool ToAlgorithm(edgesec_sign_algorithm in, api::SignAlgorithm* out) {
  switch (in) {
    case EDGESEC_SIGN_ECDSA:
      *out = api::SignAlgorithm::kEcdsa;
      return true;
    case EDGESEC_SIGN_RSA_PKCS1_SHA256:
      *out = api::SignAlgorithm::kRsaPkcs1Sha256;
      return true;
    case EDGESEC_SIGN_RSA_PSS_SHA256:
      *out = api::SignAlgorithm::kRsaPssSha256;
      return true;
    case EDGESEC_SIGN_EDDSA:
      *out = api::SignAlgorithm::kEdDsa;
      return true;
    case EDGESEC_SIGN_HMAC_SHA256:
      *out = api::SignAlgorithm::kHmacSha256;
      return true;
  }
  return false;
}

void FreeInfo(edgesec_key_info* info) {
  std::free(info->key_id);
  std::free(info->engine);
  std::free(info->algorithm);
}

// A handle-returning call: *handle gets the copy.
template <class Call>
edgesec_code HandleCall(edgesec_keys* keys, const char* key_id, char** handle, edgesec_err* err,
                        Call&& call) {
  if (Missing(keys, "keys", err) || Missing(key_id, "key_id", err) ||
      Missing(handle, "handle", err)) {
    return EDGESEC_CODE_INVALID_ARGUMENT;
  }
  auto h = call(*keys->client);
  if (!h) return Fail(err, h.error().Context("key '" + std::string(key_id) + "'"));
  return Return(*h, handle, err);
}

}  // namespace

extern "C" {

edgesec_code edgesec_keys_open(const char* socket_path, edgesec_keys** out, edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(out, "out", err)) return EDGESEC_CODE_INVALID_ARGUMENT;
    if (socket_path != nullptr && *socket_path == '\0') {
      return Fail(err, EDGESEC_CODE_INVALID_ARGUMENT,
                  "socket_path is empty (NULL means the default)");
    }
    std::string path = edgesec::capi::SocketPath(socket_path, "EDGESEC_KEYD_SOCKET", "keyd");
    auto keys = std::make_unique<edgesec_keys>();
    keys->client = std::make_shared<edgesec::keyd::KeydClient>(path);
    *out = keys.release();
    return Ok(err);
  });
}

void edgesec_keys_close(edgesec_keys* keys) {
  delete keys;
}

edgesec_code edgesec_keys_create_key_pair(edgesec_keys* keys, const char* key_id,
                                          const char* preferred_algorithms, char** handle,
                                          edgesec_err* err) {
  return Guard(err, [&] {
    return HandleCall(keys, key_id, handle, err, [&](edgesec::keyd::KeydClient& c) {
      std::optional<std::string> preferred;
      if (preferred_algorithms != nullptr) preferred = preferred_algorithms;
      return c.CreateKeyPairIfNotExists(key_id, preferred);
    });
  });
}

edgesec_code edgesec_keys_get_key_pair(edgesec_keys* keys, const char* key_id, char** handle,
                                       edgesec_err* err) {
  return Guard(err, [&] {
    return HandleCall(keys, key_id, handle, err,
                      [&](edgesec::keyd::KeydClient& c) { return c.GetKeyPair(key_id); });
  });
}

edgesec_code edgesec_keys_delete_key_pair(edgesec_keys* keys, const char* handle,
                                          edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(keys, "keys", err) || Missing(handle, "handle", err)) {
      return EDGESEC_CODE_INVALID_ARGUMENT;
    }
    auto s = keys->client->DeleteKeyPair(handle);
    return s ? Ok(err) : Fail(err, s.error());
  });
}

edgesec_code edgesec_keys_get_parameter(edgesec_keys* keys, const char* handle, const char* name,
                                        char** value, edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(keys, "keys", err) || Missing(handle, "handle", err) ||
        Missing(name, "name", err) || Missing(value, "value", err)) {
      return EDGESEC_CODE_INVALID_ARGUMENT;
    }
    auto v = keys->client->GetParameter(handle, name);
    if (!v) return Fail(err, v.error().Context("parameter '" + std::string(name) + "'"));
    return Return(*v, value, err);
  });
}

edgesec_code edgesec_keys_public_key_der(edgesec_keys* keys, const char* handle, uint8_t** spki_der,
                                         size_t* spki_len, edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(keys, "keys", err) || Missing(handle, "handle", err) ||
        Missing(spki_der, "spki_der", err) || Missing(spki_len, "spki_len", err)) {
      return EDGESEC_CODE_INVALID_ARGUMENT;
    }
    auto key = keys->client->PublicKey(handle);
    if (!key) return Fail(err, key.error());
    int n = i2d_PUBKEY(key->get(), nullptr);
    if (n <= 0) return Fail(err, EDGESEC_CODE_FAILED, "cannot encode keyd's public key");
    Bytes der(static_cast<size_t>(n));
    unsigned char* p = der.data();
    if (i2d_PUBKEY(key->get(), &p) != n) {
      return Fail(err, EDGESEC_CODE_FAILED, "cannot encode keyd's public key");
    }
    return Return(der, spki_der, spki_len, err);
  });
}

edgesec_code edgesec_keys_sign(edgesec_keys* keys, const char* handle,
                               edgesec_sign_algorithm algorithm, const uint8_t* data,
                               size_t data_len, uint8_t** signature, size_t* signature_len,
                               edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(keys, "keys", err) || Missing(handle, "handle", err) ||
        (data_len > 0 && Missing(data, "data", err)) || Missing(signature, "signature", err) ||
        Missing(signature_len, "signature_len", err)) {
      return EDGESEC_CODE_INVALID_ARGUMENT;
    }
    api::SignRequest req;
    req.key_handle = handle;
    if (!ToAlgorithm(algorithm, &req.algorithm)) {
      return Fail(err, EDGESEC_CODE_INVALID_ARGUMENT,
                  "algorithm " + std::to_string(static_cast<int>(algorithm)) +
                      " is not an edgesec_sign_algorithm");
    }
    if (data_len > 0) req.data.assign(data, data + data_len);
    auto sig = keys->client->Sign(req);
    if (!sig) return Fail(err, sig.error());
    return Return(*sig, signature, signature_len, err);
  });
}

edgesec_code edgesec_keys_list(edgesec_keys* keys, edgesec_key_list** out, edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(keys, "keys", err) || Missing(out, "out", err)) {
      return EDGESEC_CODE_INVALID_ARGUMENT;
    }
    auto listed = keys->client->ListKeyPairs();
    if (!listed) return Fail(err, listed.error());
    auto* list = static_cast<edgesec_key_list*>(std::calloc(1, sizeof(edgesec_key_list)));
    if (list == nullptr) return Fail(err, EDGESEC_CODE_FAILED, "out of memory");
    list->keys = static_cast<edgesec_key_info*>(
        std::calloc(listed->empty() ? 1 : listed->size(), sizeof(edgesec_key_info)));
    bool complete = list->keys != nullptr;
    for (size_t i = 0; complete && i < listed->size(); ++i) {
      const api::KeyPairInfo& in = (*listed)[i];
      edgesec_key_info& info = list->keys[list->count++];
      info.key_id = edgesec::capi::CopyString(in.key_id);
      info.engine = edgesec::capi::CopyString(in.engine);
      info.algorithm = edgesec::capi::CopyString(in.algorithm);
      info.security_level = in.security_level;
      complete = info.key_id != nullptr && info.engine != nullptr && info.algorithm != nullptr;
    }
    if (!complete) {
      edgesec_key_list_free(list);
      return Fail(err, EDGESEC_CODE_FAILED, "out of memory");
    }
    *out = list;
    return Ok(err);
  });
}

void edgesec_key_list_free(edgesec_key_list* list) {
  if (list == nullptr) return;
  for (size_t i = 0; i < list->count; ++i) FreeInfo(&list->keys[i]);
  std::free(list->keys);
  std::free(list);
}

edgesec_code edgesec_keys_load_evp_pkey(edgesec_keys* keys, const char* key_id, EVP_PKEY** out,
                                        edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(keys, "keys", err) || Missing(key_id, "key_id", err) || Missing(out, "out", err)) {
      return EDGESEC_CODE_INVALID_ARGUMENT;
    }
    const std::string context = "key '" + std::string(key_id) + "'";
    auto handle = keys->client->GetKeyPair(key_id);
    if (!handle) return Fail(err, handle.error().Context(context));
    auto key = edgesec::keyd::LoadRemoteKey(keys->client, *handle);
    if (!key) {
      // The handle is keyd's own, just answered: an invalid parameter here is the key's type,
      // which the helper cannot use.
      if (key.error().kind == edgesec::ErrorKind::kInvalidParameter) {
        return Fail(err, EDGESEC_CODE_UNSUPPORTED, key.error().Context(context).message);
      }
      return Fail(err, key.error().Context(context));
    }
    *out = key->release();
    return Ok(err);
  });
}

}  // extern "C"
