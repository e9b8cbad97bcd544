#include "common/error.hpp"

#include <cstring>

namespace edgesec {

const char* ReasonName(ErrorReason reason) {
  switch (reason) {
    case ErrorReason::kIssuerExpired:
      return "issuer-expired";
    case ErrorReason::kNotIssuedYet:
      return "not-issued-yet";
    case ErrorReason::kUnsupportedMechanism:
      return "unsupported-mechanism";
    case ErrorReason::kNoAnswer:
      return "no-answer";
    case ErrorReason::kNone:
      break;
  }
  return "";
}

ErrorReason ParseReason(std::string_view name) {
  for (ErrorReason r : {ErrorReason::kIssuerExpired, ErrorReason::kNotIssuedYet,
                        ErrorReason::kUnsupportedMechanism, ErrorReason::kNoAnswer})
    if (name == ReasonName(r)) return r;
  return ErrorReason::kNone;
}

Error IoError(std::string message, int err) {
  return MakeError(ErrorKind::kIo, std::move(message), std::strerror(err));
}

}  // namespace edgesec
