#pragma once
// Issuance profiles (named in certd's config): what a locally issued certificate carries.

#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace edgesec::certd::x509 {

enum class SanPolicy { kCopyFromCsr, kNone };

struct Profile {
  std::string name = "default";
  int validity_days = 365;
  std::vector<std::string> key_usage = {"digitalSignature", "keyEncipherment"};  // OpenSSL names
  std::vector<std::string> extended_key_usage;  // "serverAuth", "clientAuth", …
  SanPolicy san_policy = SanPolicy::kCopyFromCsr;
  bool ca = false;
  std::optional<int> pathlen;  // CA only
};

// The built-in "default" (leaf) and "ca" (CA:TRUE, keyCertSign + cRLSign) profiles.
Profile DefaultLeafProfile();
Profile DefaultCaProfile();
// "edge-ca": critical CA:TRUE pathlen:0, critical keyUsage digitalSignature keyCertSign, 90 days.
Profile EdgeCaProfile();
// "module-server" / "module-client": digitalSignature keyEncipherment, EKU serverAuth /
// clientAuth, the CSR's SANs, 30 days.
Profile ModuleServerProfile();
Profile ModuleClientProfile();

// Checks names against OpenSSL's keyUsage / extendedKeyUsage vocabulary; kInvalidParameter naming
// the unknown word. On error, `field` (when given) is set to the profile key at fault:
// "validity_days", "key_usage", "extended_key_usage" or "pathlen".
Status ValidateProfile(const Profile& p, std::string* field = nullptr);

}  // namespace edgesec::certd::x509
