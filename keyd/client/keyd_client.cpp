#include "keyd/client/keyd_client.hpp"

#include <openssl/core_names.h>
#include <openssl/objects.h>

#include "common/base64.hpp"

namespace edgesec::keyd {

std::string KeydClient::Path(const std::string& route) const {
  return route + "?api-version=" + api::kVersionLatest;
}

Expected<std::string> KeydClient::StringField(const Json& j, const char* name) const {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string())
    return Internal(std::string("keyd answered without '") + name + "'");
  return it->get<std::string>();
}

Expected<Bytes> KeydClient::BytesField(const Json& j, const char* name) const {
  EDGESEC_ASSIGN_OR_RETURN(std::string text, StringField(j, name));
  auto bytes = Base64Decode(text);
  if (!bytes) return Internal(std::string("keyd answered with invalid base64 in '") + name + "'");
  return std::move(*bytes);
}

Expected<std::string> KeydClient::CreateKeyPairIfNotExists(
    const std::string& id, const std::optional<std::string>& preferred) {
  EDGESEC_ASSIGN_OR_RETURN(
      Json j,
      http_.CallJson("POST", Path("/keypair"), api::CreateKeyPairRequest{id, preferred}.ToJson()));
  return StringField(j, "keyHandle");
}

Expected<std::string> KeydClient::GetKeyPair(const std::string& id) {
  EDGESEC_ASSIGN_OR_RETURN(Json j,
                           http_.CallJson("GET", Path("/keypair/" + http::EscapePathSegment(id))));
  return StringField(j, "keyHandle");
}

Expected<std::string> KeydClient::ImportKeyPair(const std::string& id, const Bytes& pkcs8_der) {
  EDGESEC_ASSIGN_OR_RETURN(Json j,
                           http_.CallJson("PUT", Path("/keypair/" + http::EscapePathSegment(id)),
                                          api::ImportKeyPairRequest{pkcs8_der}.ToJson()));
  return StringField(j, "keyHandle");
}

Status KeydClient::MoveKeyPair(const std::string& from, const std::string& to) {
  EDGESEC_TRY(http_.CallJson("POST", Path("/keypair/" + http::EscapePathSegment(to)),
                             api::MoveKeyPairRequest{from}.ToJson()));
  return {};
}

Status KeydClient::DeleteKeyPair(const std::string& handle) {
  EDGESEC_TRY(http_.CallJson("DELETE", Path("/keypair"), api::HandleRequest{handle}.ToJson()));
  return {};
}

Expected<std::string> KeydClient::GetParameter(const std::string& handle, const std::string& name) {
  EDGESEC_ASSIGN_OR_RETURN(Json j, http_.CallJson("POST", Path("/parameters/" + name),
                                                  api::HandleRequest{handle}.ToJson()));
  return StringField(j, "value");
}

Expected<std::vector<api::KeyPairInfo>> KeydClient::ListKeyPairs() {
  EDGESEC_ASSIGN_OR_RETURN(Json j, http_.CallJson("GET", Path("/keypairs")));
  std::vector<api::KeyPairInfo> out;
  if (!j.contains("keys") || !j["keys"].is_array()) return Internal("keyd answered without 'keys'");
  for (const Json& k : j["keys"]) {
    api::KeyPairInfo info;
    info.key_id = k.value("keyId", "");
    info.engine = k.value("engine", "");
    info.algorithm = k.value("algorithm", "");
    std::string sl = k.value("securityLevel", "SL0");
    info.security_level = sl.size() > 2 ? static_cast<uint32_t>(sl[2] - '0') : 0;
    out.push_back(std::move(info));
  }
  return out;
}

Expected<Bytes> KeydClient::Sign(const api::SignRequest& request) {
  EDGESEC_ASSIGN_OR_RETURN(Json j, http_.CallJson("POST", Path("/sign"), request.ToJson()));
  return BytesField(j, "signature");
}

Expected<Bytes> KeydClient::Encrypt(const api::EncryptRequest& request) {
  EDGESEC_ASSIGN_OR_RETURN(Json j, http_.CallJson("POST", Path("/encrypt"), request.ToJson(false)));
  return BytesField(j, "ciphertext");
}

Expected<Bytes> KeydClient::Decrypt(const api::EncryptRequest& request) {
  EDGESEC_ASSIGN_OR_RETURN(Json j, http_.CallJson("POST", Path("/decrypt"), request.ToJson(true)));
  return BytesField(j, "plaintext");
}

Expected<std::string> KeydClient::CreateKey(const api::CreateKeyRequest& request) {
  EDGESEC_ASSIGN_OR_RETURN(Json j, http_.CallJson("POST", Path("/key"), request.ToJson()));
  return StringField(j, "keyHandle");
}

Expected<std::string> KeydClient::GetKey(const std::string& id) {
  EDGESEC_ASSIGN_OR_RETURN(Json j,
                           http_.CallJson("GET", Path("/key/" + http::EscapePathSegment(id))));
  return StringField(j, "keyHandle");
}

Status KeydClient::DeleteKey(const std::string& handle) {
  EDGESEC_TRY(http_.CallJson("DELETE", Path("/key"), api::HandleRequest{handle}.ToJson()));
  return {};
}

Expected<std::string> KeydClient::DeriveKey(const std::string& base_handle, const Bytes& data) {
  EDGESEC_ASSIGN_OR_RETURN(Json j,
                           http_.CallJson("POST", Path("/derivedkey"),
                                          api::DeriveKeyRequest{base_handle, data}.ToJson()));
  return StringField(j, "keyHandle");
}

Expected<Bytes> KeydClient::ExportDerivedKey(const std::string& handle) {
  EDGESEC_ASSIGN_OR_RETURN(Json j, http_.CallJson("POST", Path("/derivedkey/export"),
                                                  api::HandleRequest{handle}.ToJson()));
  return BytesField(j, "key");
}

Expected<Json> KeydClient::Version() {
  return http_.CallJson("GET", Path("/version"));
}

Status KeydClient::PostAudit(const Json& event) {
  EDGESEC_TRY(http_.CallJson("POST", Path("/audit"), event));
  return {};
}

Expected<EvpPkeyPtr> KeydClient::PublicKey(const std::string& handle, const char* propq) {
  EDGESEC_ASSIGN_OR_RETURN(std::string algorithm, GetParameter(handle, "algorithm"));
  auto param = [&](const char* name) -> Expected<Bytes> {
    EDGESEC_ASSIGN_OR_RETURN(std::string v, GetParameter(handle, name));
    auto b = Base64Decode(v);
    if (!b) return Internal(std::string("keyd answered with invalid base64 for ") + name);
    return std::move(*b);
  };
  UniquePtr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  const char* type = nullptr;
  BignumPtr n, e;
  Bytes point;
  std::string curve;
  if (algorithm == "RSA") {
    EDGESEC_ASSIGN_OR_RETURN(Bytes nb, param("rsa-modulus"));
    EDGESEC_ASSIGN_OR_RETURN(Bytes eb, param("rsa-exponent"));
    n.reset(BN_bin2bn(nb.data(), static_cast<int>(nb.size()), nullptr));
    e.reset(BN_bin2bn(eb.data(), static_cast<int>(eb.size()), nullptr));
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get());
    OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
    type = "RSA";
  } else if (algorithm == "ECDSA" || algorithm == "EdDSA") {
    EDGESEC_ASSIGN_OR_RETURN(Bytes oid_der, param("ec-curve-oid"));
    EDGESEC_ASSIGN_OR_RETURN(point, param("ec-point"));
    const unsigned char* p = oid_der.data();
    UniquePtr<ASN1_OBJECT> oid(d2i_ASN1_OBJECT(nullptr, &p, static_cast<long>(oid_der.size())));
    if (!oid) return Internal("keyd answered with an invalid curve OID");
    int nid = OBJ_obj2nid(oid.get());
    if (algorithm == "EdDSA") {
      EVP_PKEY* raw = EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", propq, point.data(),
                                                     point.size());
      if (raw == nullptr) return OpenSslError("invalid Ed25519 public key from keyd");
      return EvpPkeyPtr(raw);
    }
    curve = OBJ_nid2sn(nid);
    OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve.c_str(), 0);
    OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                     point.size());
    type = "EC";
  } else {
    return Internal("keyd reported an unknown key algorithm '" + algorithm + "'");
  }
  UniquePtr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, propq));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return OpenSslError("cannot rebuild the public key from keyd's parameters");
  return EvpPkeyPtr(key);
}

}  // namespace edgesec::keyd
