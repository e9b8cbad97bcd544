#include "keyd/engines/file/key_file.hpp"

#include <openssl/crypto.h>

#include <map>

#include "common/base64.hpp"
#include "common/ossl.hpp"

namespace edgesec::keyd::engines::file {
namespace {

constexpr int kFormat = 2;
constexpr uint64_t kMaxKeyBytes = 1024;  // CreateSecret's limit

Error Damaged(const std::string& path, const std::string& id, const std::string& why) {
  return Internal("secret key file '" + path + "' of key '" + id + "' is damaged (" + why +
                  "); keyd does not use it: restore the file from a backup, or import the key "
                  "again");
}

// A decimal number without sign, spaces or leading junk, at most `max`.
bool ParseNumber(std::string_view s, uint64_t max, uint64_t* out) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

using Fields = std::map<std::string_view, std::string_view>;

// The "name: value" lines after the id line; an error text when one is malformed.
std::string SplitFields(std::string_view rest, Fields* fields) {
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    size_t colon = line.find(": ");
    if (colon == std::string_view::npos) return "a line that is not 'name: value'";
    std::string_view name = line.substr(0, colon);
    if (name != "format" && name != "usage" && name != "length" && name != "sha256" &&
        name != "key")
      return "an unknown line";
    if (!fields->emplace(name, line.substr(colon + 2)).second)
      return "a repeated '" + std::string(name) + "' line";
  }
  return {};
}

// Format 2's length and checksum of the decoded key bytes; an error text when they differ.
std::string CheckLengthAndSum(const Fields& f, const Bytes& bytes) {
  auto length = f.find("length");
  auto sum = f.find("sha256");
  if (length == f.end()) return "no length line";
  if (sum == f.end()) return "no sha256 line";
  uint64_t recorded = 0;
  if (!ParseNumber(length->second, kMaxKeyBytes, &recorded)) return "a malformed length line";
  if (bytes.size() != recorded)
    return "the key is " + std::to_string(bytes.size()) + " bytes long, the file records " +
           std::to_string(recorded);
  std::string actual = HexLower(Sha256(bytes.data(), bytes.size()));
  if (sum->second.size() != actual.size() ||
      CRYPTO_memcmp(sum->second.data(), actual.data(), actual.size()) != 0)
    return "the key's SHA-256 is not the one the file records";
  return {};
}

}  // namespace

std::string FormatSecretFile(const std::string& id, const StoredSecret& secret) {
  std::string b64 = Base64Encode(secret.bytes.data(), secret.bytes.size());
  std::string content = kIdPrefix + id + "\nformat: " + std::to_string(kFormat) +
                        "\nusage: " + std::to_string(secret.usage) +
                        "\nlength: " + std::to_string(secret.bytes.size()) +
                        "\nsha256: " + HexLower(Sha256(secret.bytes.data(), secret.bytes.size())) +
                        "\nkey: " + b64 + "\n";
  OPENSSL_cleanse(b64.data(), b64.size());
  return content;
}

Expected<std::string> IdLineOf(std::string_view text, const std::string& path) {
  size_t nl = text.find('\n');
  if (nl == std::string_view::npos || !text.starts_with(kIdPrefix))
    return Internal("key file '" + path + "' is damaged (it has no 'edgesec-key-id:' line)");
  return std::string(text.substr(sizeof kIdPrefix - 1, nl - (sizeof kIdPrefix - 1)));
}

Expected<StoredSecret> ParseSecretFile(std::string_view text, const std::string& id,
                                       const std::string& path) {
  auto recorded = IdLineOf(text, path);
  if (!recorded) return Damaged(path, id, "it has no 'edgesec-key-id:' line");
  if (*recorded != id)
    return Damaged(path, id, "it records key '" + *recorded + "': another key's file");
  Fields f;
  if (std::string why = SplitFields(text.substr(text.find('\n') + 1), &f); !why.empty())
    return Damaged(path, id, why);
  uint64_t format = 1;
  if (auto it = f.find("format"); it != f.end()) {
    if (!ParseNumber(it->second, 1u << 20, &format) || format < 2)
      return Damaged(path, id, "a malformed format line");
    if (format > kFormat)
      return Internal("secret key file '" + path + "' of key '" + id +
                      "' was written by a newer edgesec (format " + std::to_string(format) +
                      "); keyd does not use it");
  } else if (f.count("length") || f.count("sha256")) {
    return Damaged(path, id, "length and sha256 lines without a format line");
  }
  auto usage = f.find("usage");
  auto key = f.find("key");
  if (usage == f.end()) return Damaged(path, id, "no usage line");
  if (key == f.end()) return Damaged(path, id, "no key line");
  uint64_t usage_bits = 0;
  if (!ParseNumber(usage->second, 7, &usage_bits))
    return Damaged(path, id, "a malformed usage line");
  auto bytes = Base64Decode(key->second);
  if (!bytes || bytes->empty()) return Damaged(path, id, "the key line is not base64");
  std::string why = format == 1 ? std::string() : CheckLengthAndSum(f, *bytes);
  StoredSecret s;
  s.bytes = Secret(bytes->data(), bytes->size());
  OPENSSL_cleanse(bytes->data(), bytes->size());
  if (!why.empty()) return Damaged(path, id, why);
  s.usage = static_cast<uint32_t>(usage_bits);
  s.format = static_cast<int>(format);
  return s;
}

}  // namespace edgesec::keyd::engines::file
