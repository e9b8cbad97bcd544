// The shared part of libedgesec's C API (common/c_api.hpp) and the functions of <edgesec/common.h>.

#include "common/c_api.hpp"

#include <algorithm>
#include <cstring>

namespace edgesec::capi {

edgesec_code CodeFor(const Error& e) {
  if (e.reason == ErrorReason::kUnsupportedMechanism) return EDGESEC_CODE_UNSUPPORTED;
  switch (e.kind) {
    case ErrorKind::kInvalidParameter:
    case ErrorKind::kUnsupportedMediaType:
    case ErrorKind::kUnprocessable:
      return EDGESEC_CODE_INVALID_ARGUMENT;
    case ErrorKind::kUnauthorized:
      return EDGESEC_CODE_UNAUTHORIZED;
    case ErrorKind::kNotFound:
      return EDGESEC_CODE_NOT_FOUND;
    case ErrorKind::kUnavailable:
      return EDGESEC_CODE_UNAVAILABLE;
    case ErrorKind::kConfig:
    case ErrorKind::kIo:
    case ErrorKind::kCrypto:
    case ErrorKind::kInternal:
      break;
  }
  return EDGESEC_CODE_FAILED;
}

edgesec_code Fail(edgesec_err* err, edgesec_code code, const std::string& message) {
  if (err != nullptr) {
    err->code = code;
    size_t n = std::min(message.size(), sizeof(err->message) - 1);
    std::memcpy(err->message, message.data(), n);
    err->message[n] = '\0';
  }
  return code;
}

edgesec_code Fail(edgesec_err* err, const Error& e) {
  // The detail (OpenSSL queue, errno text) never holds a secret; the caller is the one who logs.
  return Fail(err, CodeFor(e), e.Describe());
}

edgesec_code Ok(edgesec_err* err) {
  if (err != nullptr) {
    err->code = EDGESEC_CODE_OK;
    err->message[0] = '\0';
  }
  return EDGESEC_CODE_OK;
}

bool Missing(const void* p, const char* what, edgesec_err* err) {
  if (p != nullptr) return false;
  Fail(err, EDGESEC_CODE_INVALID_ARGUMENT, std::string(what) + " is NULL");
  return true;
}

bool Missing(const char* s, const char* what, edgesec_err* err) {
  if (s != nullptr && *s != '\0') return false;
  Fail(err, EDGESEC_CODE_INVALID_ARGUMENT,
       std::string(what) + (s == nullptr ? " is NULL" : " is empty"));
  return true;
}

char* CopyString(const std::string& s) {
  auto* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (p == nullptr) return nullptr;
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

uint8_t* CopyBytes(const Bytes& b) {
  auto* p = static_cast<uint8_t*>(std::malloc(b.empty() ? 1 : b.size()));
  if (p != nullptr && !b.empty()) std::memcpy(p, b.data(), b.size());
  return p;
}

std::string SocketPath(const char* given, const char* env_var, const char* name) {
  if (given != nullptr) return given;
  if (const char* env = std::getenv(env_var); env != nullptr && *env != '\0') return env;
  return std::string("/run/edgesec/") + name + ".sock";
}

edgesec_code Return(const std::string& value, char** out, edgesec_err* err) {
  char* p = CopyString(value);
  if (p == nullptr) return Fail(err, EDGESEC_CODE_FAILED, "out of memory");
  *out = p;
  return Ok(err);
}

edgesec_code Return(const Bytes& value, uint8_t** out, size_t* len, edgesec_err* err) {
  uint8_t* p = CopyBytes(value);
  if (p == nullptr) return Fail(err, EDGESEC_CODE_FAILED, "out of memory");
  *out = p;
  *len = value.size();
  return Ok(err);
}

}  // namespace edgesec::capi

extern "C" {

const char* edgesec_code_name(edgesec_code code) {
  switch (code) {
    case EDGESEC_CODE_OK:
      return "ok";
    case EDGESEC_CODE_INVALID_ARGUMENT:
      return "invalid-argument";
    case EDGESEC_CODE_UNAUTHORIZED:
      return "unauthorized";
    case EDGESEC_CODE_NOT_FOUND:
      return "not-found";
    case EDGESEC_CODE_UNAVAILABLE:
      return "unavailable";
    case EDGESEC_CODE_UNSUPPORTED:
      return "unsupported";
    case EDGESEC_CODE_FAILED:
      return "failed";
  }
  return "unknown";
}

const char* edgesec_version(void) {
  return EDGESEC_VERSION;
}

void edgesec_free(void* p) {
  std::free(p);
}

}  // extern "C"
