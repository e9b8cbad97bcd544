#include "common/url.hpp"

namespace edgesec {
namespace {

struct Authority {
  size_t begin = 0, at = std::string_view::npos;  // `at`: the '@' ending the userinfo
};

// The authority starts after "scheme://" (or at 0 without one) and ends at '/', '?' or '#'; the
// userinfo ends at its last '@'.
Authority Find(std::string_view url) {
  Authority a;
  size_t scheme = url.find("://");
  a.begin = scheme == std::string_view::npos ? 0 : scheme + 3;
  size_t end = url.find_first_of("/?#", a.begin);
  std::string_view authority =
      url.substr(a.begin, end == std::string_view::npos ? std::string_view::npos : end - a.begin);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) a.at = a.begin + at;
  return a;
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && Hex(s[i + 1]) >= 0 && Hex(s[i + 2]) >= 0) {
      out += static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  Authority a = Find(url);
  if (a.at == std::string_view::npos) return std::string(url);
  std::string_view userinfo = url.substr(a.begin, a.at - a.begin);
  size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, a.begin + colon)) + ":***" + std::string(url.substr(a.at));
}

std::string RedactUrlsIn(std::string_view text) {
  std::string out;
  size_t pos = 0;
  for (size_t sep; (sep = text.find("://", pos)) != std::string_view::npos;) {
    size_t end = text.find_first_of(" \t\r\n'\"<>`", sep);
    if (end == std::string_view::npos) end = text.size();
    out += text.substr(pos, sep - pos);
    out += RedactUrl(text.substr(sep, end - sep));
    pos = end;
  }
  out += text.substr(pos);
  return out;
}

UrlUserinfo SplitUserinfo(std::string_view url) {
  UrlUserinfo out;
  Authority a = Find(url);
  if (a.at == std::string_view::npos) {
    out.url = url;
    return out;
  }
  out.present = true;
  std::string_view userinfo = url.substr(a.begin, a.at - a.begin);
  size_t colon = userinfo.find(':');
  out.username = Decode(userinfo.substr(0, colon));
  if (colon != std::string_view::npos) out.password = Decode(userinfo.substr(colon + 1));
  out.url = std::string(url.substr(0, a.begin)) + std::string(url.substr(a.at + 1));
  return out;
}

}  // namespace edgesec
