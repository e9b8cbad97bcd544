#pragma once
// What the C API of libedgesec (<edgesec/*.h>) shares inside the library: turning an Error into an
// edgesec_code and message, copying results into malloc'd memory the caller frees, the default
// socket paths, and the guard that keeps C++ exceptions from crossing into C.

#include <edgesec/common.h>

#include <cstdlib>
#include <exception>
#include <new>
#include <string>

#include "common/error.hpp"
#include "common/ossl.hpp"

namespace edgesec::capi {

edgesec_code CodeFor(const Error& e);
// Fills *err (when not NULL) and returns the code.
edgesec_code Fail(edgesec_err* err, edgesec_code code, const std::string& message);
edgesec_code Fail(edgesec_err* err, const Error& e);
edgesec_code Ok(edgesec_err* err);

// EDGESEC_CODE_INVALID_ARGUMENT naming `what` when p is NULL (or an empty string for a char*).
bool Missing(const void* p, const char* what, edgesec_err* err);
bool Missing(const char* s, const char* what, edgesec_err* err);

// malloc'd copies (NUL-terminated for strings); nullptr when memory runs out.
char* CopyString(const std::string& s);
uint8_t* CopyBytes(const Bytes& b);

// `given` when not NULL; else $env_var when set and not empty; else /run/edgesec/<name>.sock.
std::string SocketPath(const char* given, const char* env_var, const char* name);

// Runs body (returning edgesec_code); an exception becomes EDGESEC_CODE_FAILED.
template <class F>
edgesec_code Guard(edgesec_err* err, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return Fail(err, EDGESEC_CODE_FAILED, "out of memory");
  } catch (const std::exception& e) {
    return Fail(err, EDGESEC_CODE_FAILED, std::string("internal error: ") + e.what());
  } catch (...) {
    return Fail(err, EDGESEC_CODE_FAILED, "internal error");
  }
}

// Stores a copy of `value` into *out, or fails with "out of memory".
edgesec_code Return(const std::string& value, char** out, edgesec_err* err);
edgesec_code Return(const Bytes& value, uint8_t** out, size_t* len, edgesec_err* err);

}  // namespace edgesec::capi
