#pragma once
// The service errors of EST servers that answer every failure with HTTP 500 and a JSON body
// {"err": "…"} (Lamassu IoT's DMS manager, auth failures included): the server's words, and which
// of them mean "not yet" rather than "no".

#include <optional>
#include <string>

#include "common/error.hpp"

namespace edgesec::certd::est {

// The "err" text of a JSON error body, printable and at most 200 characters; nullopt when `body`
// is not a JSON object with a string "err".
std::optional<std::string> JsonErrText(const std::string& body);

// Lamassu's "invalid reenroll window": re-enrollment before notAfter − reenrollment delta. Retrying
// once the window opens succeeds, so it is a scheduled retry, not a failure.
inline constexpr const char* kReenrollWindowClosed = "invalid reenroll window";
bool IsReenrollWindowClosed(const Error& e);

}  // namespace edgesec::certd::est
