#include "config/certd/issuance_method.hpp"

#include <utility>

namespace edgesec::certd {
namespace {

constexpr std::pair<IssuanceMethod, const char*> kNames[] = {
    {IssuanceMethod::kSelfSigned, "self_signed"},
    {IssuanceMethod::kLocalCa, "local_ca"},
    {IssuanceMethod::kEst, "est"},
    {IssuanceMethod::kPreloaded, "preloaded"},
};

}  // namespace

const char* IssuanceMethodName(IssuanceMethod method) {
  for (const auto& [m, name] : kNames)
    if (m == method) return name;
  return "?";
}

std::optional<IssuanceMethod> ParseIssuanceMethod(std::string_view text) {
  for (const auto& [m, name] : kNames)
    if (text == name) return m;
  return std::nullopt;
}

}  // namespace edgesec::certd
