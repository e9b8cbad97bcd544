// libedgesec's certificates API (<edgesec/certs.h>): the certd client library behind C functions.
// Arguments are checked, the client is called, results are copied into memory the caller frees.

#include "common/c_api.hpp"

#include <edgesec/certs.h>

#include <memory>
#include <string>

#include "certd/client/certd_client.hpp"

struct edgesec_certs {
  std::unique_ptr<edgesec::certd::CertdClient> client;
};

namespace {

using edgesec::capi::CopyString;
using edgesec::capi::Fail;
using edgesec::capi::Guard;
using edgesec::capi::Missing;
using edgesec::capi::Ok;
using edgesec::capi::Return;
namespace api = edgesec::certd::api;

std::string Context(const char* cert_id) {
  return "certificate '" + std::string(cert_id) + "'";
}

void FreeInfo(edgesec_cert_info* c) {
  for (char* s :
       {c->cert_id, c->subject, c->issuer, c->not_before, c->not_after, c->sha256, c->key_id}) {
    std::free(s);
  }
}

bool Fill(edgesec_cert_info* out, const api::CertSummary& in) {
  out->cert_id = CopyString(in.cert_id);
  out->subject = CopyString(in.subject);
  out->issuer = CopyString(in.issuer);
  out->not_before = CopyString(in.not_before);
  out->not_after = CopyString(in.not_after);
  out->sha256 = CopyString(in.sha256);
  out->key_id = CopyString(in.key_id);
  return out->cert_id && out->subject && out->issuer && out->not_before && out->not_after &&
         out->sha256 && out->key_id;
}

}  // namespace

extern "C" {

edgesec_code edgesec_certs_open(const char* socket_path, edgesec_certs** out, edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(out, "out", err)) return EDGESEC_CODE_INVALID_ARGUMENT;
    if (socket_path != nullptr && *socket_path == '\0') {
      return Fail(err, EDGESEC_CODE_INVALID_ARGUMENT,
                  "socket_path is empty (NULL means the default)");
    }
    auto certs = std::make_unique<edgesec_certs>();
    certs->client = std::make_unique<edgesec::certd::CertdClient>(
        edgesec::capi::SocketPath(socket_path, "EDGESEC_CERTD_SOCKET", "certd"));
    *out = certs.release();
    return Ok(err);
  });
}

void edgesec_certs_close(edgesec_certs* certs) {
  delete certs;
}

edgesec_code edgesec_certs_get(edgesec_certs* certs, const char* cert_id, char** pem,
                               edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(certs, "certs", err) || Missing(cert_id, "cert_id", err) ||
        Missing(pem, "pem", err)) {
      return EDGESEC_CODE_INVALID_ARGUMENT;
    }
    auto got = certs->client->Get(cert_id);
    if (!got) return Fail(err, got.error().Context(Context(cert_id)));
    return Return(*got, pem, err);
  });
}

edgesec_code edgesec_certs_issue(edgesec_certs* certs, const char* cert_id, const char* csr_pem,
                                 const char* issuer_cert_id, const char* issuer_key_handle,
                                 char** pem, edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(certs, "certs", err) || Missing(cert_id, "cert_id", err) ||
        Missing(pem, "pem", err)) {
      return EDGESEC_CODE_INVALID_ARGUMENT;
    }
    if (issuer_key_handle != nullptr && issuer_cert_id == nullptr) {
      return Fail(err, EDGESEC_CODE_INVALID_ARGUMENT,
                  "issuer_key_handle is given without issuer_cert_id");
    }
    api::CreateCertRequest req;
    req.cert_id = cert_id;
    if (csr_pem != nullptr) req.csr = csr_pem;
    if (issuer_cert_id != nullptr) {
      req.issuer = api::Issuer{issuer_cert_id, issuer_key_handle ? issuer_key_handle : ""};
    }
    auto issued = certs->client->Issue(req);
    if (!issued) return Fail(err, issued.error().Context(Context(cert_id)));
    return Return(*issued, pem, err);
  });
}

edgesec_code edgesec_certs_import(edgesec_certs* certs, const char* cert_id, const char* pem,
                                  char** stored_pem, edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(certs, "certs", err) || Missing(cert_id, "cert_id", err) ||
        Missing(pem, "pem", err)) {
      return EDGESEC_CODE_INVALID_ARGUMENT;
    }
    auto stored = certs->client->Import(cert_id, pem);
    if (!stored) return Fail(err, stored.error().Context(Context(cert_id)));
    if (stored_pem == nullptr) return Ok(err);
    return Return(*stored, stored_pem, err);
  });
}

edgesec_code edgesec_certs_delete(edgesec_certs* certs, const char* cert_id, edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(certs, "certs", err) || Missing(cert_id, "cert_id", err)) {
      return EDGESEC_CODE_INVALID_ARGUMENT;
    }
    auto s = certs->client->Delete(cert_id);
    return s ? Ok(err) : Fail(err, s.error().Context(Context(cert_id)));
  });
}

edgesec_code edgesec_certs_list(edgesec_certs* certs, edgesec_cert_list** out, edgesec_err* err) {
  return Guard(err, [&] {
    if (Missing(certs, "certs", err) || Missing(out, "out", err)) {
      return EDGESEC_CODE_INVALID_ARGUMENT;
    }
    auto listed = certs->client->List();
    if (!listed) return Fail(err, listed.error());
    auto* list = static_cast<edgesec_cert_list*>(std::calloc(1, sizeof(edgesec_cert_list)));
    if (list == nullptr) return Fail(err, EDGESEC_CODE_FAILED, "out of memory");
    list->certs = static_cast<edgesec_cert_info*>(
        std::calloc(listed->empty() ? 1 : listed->size(), sizeof(edgesec_cert_info)));
    bool complete = list->certs != nullptr;
    for (size_t i = 0; complete && i < listed->size(); ++i) {
      complete = Fill(&list->certs[list->count++], (*listed)[i]);
    }
    if (!complete) {
      edgesec_cert_list_free(list);
      return Fail(err, EDGESEC_CODE_FAILED, "out of memory");
    }
    *out = list;
    return Ok(err);
  });
}

void edgesec_cert_list_free(edgesec_cert_list* list) {
  if (list == nullptr) return;
  for (size_t i = 0; i < list->count; ++i) FreeInfo(&list->certs[i]);
  std::free(list->certs);
  std::free(list);
}

}  // extern "C"
