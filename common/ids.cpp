#include "common/ids.hpp"

#include "common/ossl.hpp"

namespace edgesec {

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == ':' || c == '@' || c == '$';
    if (!ok) return false;
  }
  return true;
}

Status ValidateId(std::string_view id, std::string_view what) {
  if (IsValidId(id)) return {};
  std::string shown(id.substr(0, 64));
  for (char& c : shown)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  return InvalidParameter("invalid " + std::string(what) + " '" + shown +
                          (id.size() > 64 ? "…" : "") +
                          "': use 1-128 characters of A-Z a-z 0-9 . _ - : @ $");
}

std::string FileNameForId(std::string_view id) {
  std::string name;
  for (char c : id) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-' || c == '.';
    name += keep ? c : '_';
  }
  if (!name.empty() && name[0] == '.') name[0] = '_';
  Bytes digest = Sha256(std::string(id));
  digest.resize(16);
  return name + "-" + HexLower(digest);
}

}  // namespace edgesec
