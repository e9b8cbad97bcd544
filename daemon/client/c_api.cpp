// libedgesec's identity API (<edgesec/identity.h>): the identityd and workload clients behind C
// functions. Arguments are checked, the client is called, results are copied into memory the
// caller frees; private keys are wiped when freed.

#include "common/c_api.hpp"

#include <edgesec/identity.h>
#include <openssl/crypto.h>

#include <cstring>
#include <memory>
#include <string>

#include "daemon/client/identityd_client.hpp"

struct edgesec_identity {
  std::unique_ptr<edgesec::identityd::IdentitydClient> client;
};

struct edgesec_workload {
  std::unique_ptr<edgesec::identityd::WorkloadClient> client;
};

namespace {

using edgesec::capi::CopyString;
using edgesec::capi::Fail;
using edgesec::capi::Guard;
using edgesec::capi::Missing;
using edgesec::capi::Ok;
using edgesec::capi::Return;
namespace api = edgesec::identityd::api;

void FreeSecret(char* s) {
  if (s == nullptr) return;
  OPENSSL_cleanse(s, std::strlen(s));
  std::free(s);
}

// Both kinds of identity, with "" for what does not apply.
struct IdentityFields {
  std::string type, device_id, key_handle, cert_id, module_id;
  api::IssuedCert auth;
};

edgesec::Expected<IdentityFields> ParseIdentity(const edgesec::Json& j) {
  IdentityFields f;
  f.type = j.is_object() ? j.value("type", "") : "";
  if (f.type == "aziot") {
    auto d = api::DeviceIdentity::FromJson(j);
    if (!d)
      return edgesec::Internal("identityd answered a malformed identity: " + d.error().message);
    f.device_id = d->device_id;
    f.key_handle = d->key_handle;
    f.cert_id = d->cert_id;
  } else if (f.type == "local") {
    auto l = api::LocalIdentity::FromJson(j);
    if (!l)
      return edgesec::Internal("identityd answered a malformed identity: " + l.error().message);
    f.module_id = l->module_id;
    f.auth = std::move(l->auth);
  } else {
    return edgesec::Internal("identityd answered an identity of unknown type '" + f.type + "'");
  }
  return f;
}

template <class Handle, class Client>
edgesec_code Open(const char* socket_path, const char* env_var, const char* name, Handle** out,
                  edgesec_err* err) {
  if (Missing(out, "out", err)) return EDGESEC_CODE_INVALID_ARGUMENT;
  if (socket_path != nullptr && *socket_path == '\0') {
    return Fail(err, EDGESEC_CODE_INVALID_ARGUMENT,
                "socket_path is empty (NULL means the default)");
  }
  auto h = std::make_unique<Handle>();
  h->client = std::make_unique<Client>(edgesec::capi::SocketPath(socket_path, env_var, name));
  *out = h.release();
  return Ok(err);
}

}  // namespace

extern "C" {

edgesec_code edgesec_identity_open(const char* socket_path, edgesec_identity** out,
                                   edgesec_err* err) {
  return Guard(err, [&] {
    return Open<edgesec_identity, edgesec::identityd::IdentitydClient>(
        socket_path, "EDGESEC_IDENTITYD_SOCKET", "identityd", out, err);
  });
}

void edgesec_identity_close(edgesec_identity* identity) {
  delete identity;
}

edgesec_code edgesec_identity_get(edgesec_identity* identity, edgesec_identity_info** out,
                                  edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(identity, "identity", err) || Missing(out, "out", err)) {
      return EDGESEC_CODE_INVALID_ARGUMENT;
    }
    auto j = identity->client->Identity();
    if (!j) return Fail(err, j.error());
    auto f = ParseIdentity(*j);
    if (!f) return Fail(err, f.error());
    auto* info = static_cast<edgesec_identity_info*>(std::calloc(1, sizeof(edgesec_identity_info)));
    if (info == nullptr) return Fail(err, EDGESEC_CODE_FAILED, "out of memory");
    info->type = CopyString(f->type);
    info->device_id = CopyString(f->device_id);
    info->key_handle = CopyString(f->key_handle);
    info->cert_id = CopyString(f->cert_id);
    info->module_id = CopyString(f->module_id);
    info->private_key_pem = CopyString(f->auth.private_key_pem);
    info->certificate_pem = CopyString(f->auth.certificate);
    info->expiration = CopyString(f->auth.expiration);
    OPENSSL_cleanse(f->auth.private_key_pem.data(), f->auth.private_key_pem.size());
    if (!info->type || !info->device_id || !info->key_handle || !info->cert_id ||
        !info->module_id || !info->private_key_pem || !info->certificate_pem || !info->expiration) {
      edgesec_identity_info_free(info);
      return Fail(err, EDGESEC_CODE_FAILED, "out of memory");
    }
    *out = info;
    return Ok(err);
  });
}

void edgesec_identity_info_free(edgesec_identity_info* info) {
  if (info == nullptr) return;
  for (char* s : {info->type, info->device_id, info->key_handle, info->cert_id, info->module_id,
                  info->certificate_pem, info->expiration}) {
    std::free(s);
  }
  FreeSecret(info->private_key_pem);
  std::free(info);
}

edgesec_code edgesec_identity_trust_bundle(edgesec_identity* identity, char** pem,
                                           edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(identity, "identity", err) || Missing(pem, "pem", err)) {
      return EDGESEC_CODE_INVALID_ARGUMENT;
    }
    auto bundle = identity->client->TrustBundle();
    if (!bundle) return Fail(err, bundle.error());
    return Return(*bundle, pem, err);
  });
}

edgesec_code edgesec_workload_open(const char* socket_path, edgesec_workload** out,
                                   edgesec_err* err) {
  return Guard(err, [&] {
    return Open<edgesec_workload, edgesec::identityd::WorkloadClient>(
        socket_path, "EDGESEC_WORKLOAD_SOCKET", "workload", out, err);
  });
}

void edgesec_workload_close(edgesec_workload* workload) {
  delete workload;
}

edgesec_code edgesec_workload_server_cert(edgesec_workload* workload, const char* module_id,
                                          const char* gen_id, const char* common_name,
                                          const char* expiration, edgesec_issued_cert** out,
                                          edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(workload, "workload", err) || Missing(module_id, "module_id", err) ||
        Missing(gen_id, "gen_id", err) || Missing(common_name, "common_name", err) ||
        Missing(out, "out", err)) {
      return EDGESEC_CODE_INVALID_ARGUMENT;
    }
    api::ServerCertRequest req;
    req.common_name = common_name;
    if (expiration != nullptr) req.expiration = expiration;
    auto issued = workload->client->ServerCert(module_id, gen_id, req);
    if (!issued) {
      return Fail(err, issued.error().Context("server certificate of module '" +
                                              std::string(module_id) + "'"));
    }
    auto* cert = static_cast<edgesec_issued_cert*>(std::calloc(1, sizeof(edgesec_issued_cert)));
    if (cert == nullptr) return Fail(err, EDGESEC_CODE_FAILED, "out of memory");
    cert->private_key_pem = CopyString(issued->private_key_pem);
    cert->certificate_pem = CopyString(issued->certificate);
    cert->expiration = CopyString(issued->expiration);
    OPENSSL_cleanse(issued->private_key_pem.data(), issued->private_key_pem.size());
    if (!cert->private_key_pem || !cert->certificate_pem || !cert->expiration) {
      edgesec_issued_cert_free(cert);
      return Fail(err, EDGESEC_CODE_FAILED, "out of memory");
    }
    *out = cert;
    return Ok(err);
  });
}

void edgesec_issued_cert_free(edgesec_issued_cert* cert) {
  if (cert == nullptr) return;
  FreeSecret(cert->private_key_pem);
  std::free(cert->certificate_pem);
  std::free(cert->expiration);
  std::free(cert);
}

edgesec_code edgesec_workload_trust_bundle(edgesec_workload* workload, char** pem,
                                           edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(workload, "workload", err) || Missing(pem, "pem", err)) {
      return EDGESEC_CODE_INVALID_ARGUMENT;
    }
    auto bundle = workload->client->TrustBundle();
    if (!bundle) return Fail(err, bundle.error());
    return Return(*bundle, pem, err);
  });
}

}  // extern "C"
