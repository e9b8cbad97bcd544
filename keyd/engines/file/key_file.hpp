#pragma once
// The file engine's key files (docs/keyd.md, "State"): what a secret key file holds and the checks
// that refuse a damaged one — a key is used as written or not at all, never shortened or swapped.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/secret.hpp"

namespace edgesec::keyd::engines::file {

inline constexpr char kIdPrefix[] = "edgesec-key-id: ";

struct StoredSecret {
  Secret bytes;
  uint32_t usage = 0;
  int format = 2;  // as read: 1 for a file written before the length and checksum lines
};

// Format 2, the key line last (so that a keyd of format 1 still reads it):
//   edgesec-key-id: <id>\nformat: 2\nusage: <n>\nlength: <bytes>\nsha256: <hex>\nkey: <base64>\n
// sha256 is SHA-256 of the key bytes, in lowercase hex.
std::string FormatSecretFile(const std::string& id, const StoredSecret& secret);

// Format 1 (id, usage, key) or 2. kInternal naming the file and the key id when the file is
// damaged: another key's id line, a missing, repeated or unknown line, a key whose length or
// SHA-256 is not the recorded one. Messages never hold key material.
Expected<StoredSecret> ParseSecretFile(std::string_view text, const std::string& id,
                                       const std::string& path);

// The id a key file's first line records; kInternal naming the file when it has none.
Expected<std::string> IdLineOf(std::string_view text, const std::string& path);

}  // namespace edgesec::keyd::engines::file
