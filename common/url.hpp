#pragma once
// URLs that may carry userinfo (https://user:password@host/...): a config written for IoT Edge may
// hold the EST password there. Nothing prints such a URL as written: RedactUrl replaces the
// password with "***"; SplitUserinfo takes the credentials out for HTTP Basic.

#include <optional>
#include <string>
#include <string_view>

namespace edgesec {

// `url` with the password of its userinfo replaced by "***" (user:***@host); a URL without a
// password is returned unchanged. Only the authority is looked at: an '@' in the path, query or
// fragment is not userinfo.
std::string RedactUrl(std::string_view url);

// Every URL in `text` (each "scheme://" up to white space or a quote) redacted as RedactUrl does.
std::string RedactUrlsIn(std::string_view text);

struct UrlUserinfo {
  std::string url;                      // without the userinfo
  bool present = false;                 // the URL had userinfo
  std::string username;                 // percent-decoded
  std::optional<std::string> password;  // percent-decoded; nullopt without ':'
};
UrlUserinfo SplitUserinfo(std::string_view url);

}  // namespace edgesec
