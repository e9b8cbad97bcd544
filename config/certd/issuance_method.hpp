#pragma once
// How a credential's certificate is obtained and renewed (certd's [[credential]] method, the super
// config's `method`): the one place its names are spelled.

#include <optional>
#include <string_view>

namespace edgesec::certd {

enum class IssuanceMethod {
  kSelfSigned,  // "self_signed": signed with its own key
  kLocalCa,     // "local_ca": signed by [local_ca] (or the credential's issuer)
  kEst,         // "est": enrolled with the EST server
  kPreloaded,   // "preloaded": a file on the device; certd cannot renew it
};

// "self_signed", "local_ca", "est", "preloaded".
const char* IssuanceMethodName(IssuanceMethod method);
// nullopt for any other text.
std::optional<IssuanceMethod> ParseIssuanceMethod(std::string_view text);

}  // namespace edgesec::certd
