// Fuzz target: a request body → every typed request of the keys API (keyd/api/keys_api.hpp), plus the
// algorithm-list and usage parsers. Properties: nothing throws or crashes; whatever FromJson accepts,
// ToJson writes back so that FromJson reads the same request again; accepted lists re-parse the same.
#include <cstdint>
#include <string>
#include <string_view>

#include "keyd/api/keys_api.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace edgesec;
using namespace edgesec::keyd::api;

namespace {

bool Same(const CreateKeyPairRequest& a, const CreateKeyPairRequest& b) {
  return a.key_id == b.key_id && a.preferred_algorithms == b.preferred_algorithms;
}
bool Same(const MoveKeyPairRequest& a, const MoveKeyPairRequest& b) { return a.from == b.from; }
bool Same(const ImportKeyPairRequest& a, const ImportKeyPairRequest& b) { return a.pkcs8_der == b.pkcs8_der; }
bool Same(const HandleRequest& a, const HandleRequest& b) { return a.key_handle == b.key_handle; }
bool Same(const SignRequest& a, const SignRequest& b) {
  return a.key_handle == b.key_handle && a.algorithm == b.algorithm && a.data == b.data;
}
bool Same(const EncryptRequest& a, const EncryptRequest& b) {
  return a.key_handle == b.key_handle && a.algorithm == b.algorithm && a.iv == b.iv && a.aad == b.aad &&
         a.data == b.data;
}
bool Same(const CreateKeyRequest& a, const CreateKeyRequest& b) {
  return a.key_id == b.key_id && a.usage == b.usage && a.key_bytes == b.key_bytes;
}
bool Same(const DeriveKeyRequest& a, const DeriveKeyRequest& b) {
  return a.base_key_handle == b.base_key_handle && a.derivation_data == b.derivation_data;
}

// FromJson → ToJson → FromJson gives the same request; a refusal names a parameter (400).
template <class T>
void RoundTrip(const Json& body) {
  auto first = T::FromJson(body);
  if (!first) {
    FUZZ_CHECK(first.error().kind == ErrorKind::kInvalidParameter);
    FUZZ_CHECK(first.error().message.find("parameter") != std::string::npos);
    return;
  }
  // The JSON goes over the wire as text: dump and re-parse it, as keyd would.
  auto again = ParseJsonObject(DumpJson(first->ToJson()));
  FUZZ_CHECK(again.has_value());
  auto second = T::FromJson(*again);
  FUZZ_CHECK(second.has_value());
  FUZZ_CHECK(Same(*first, *second));
}

void EncryptRoundTrip(const Json& body, bool decrypt) {
  auto first = EncryptRequest::FromJson(body, decrypt);
  if (!first) {
    FUZZ_CHECK(first.error().kind == ErrorKind::kInvalidParameter);
    return;
  }
  auto again = ParseJsonObject(DumpJson(first->ToJson(decrypt)));
  FUZZ_CHECK(again.has_value());
  auto second = EncryptRequest::FromJson(*again, decrypt);
  FUZZ_CHECK(second.has_value());
  FUZZ_CHECK(Same(*first, *second));
}

void Lists(const std::string& text) {
  if (auto algorithms = ParsePreferredAlgorithms(text)) {
    FUZZ_CHECK(!algorithms->empty());
    std::string joined;
    for (const auto& a : *algorithms) joined += (joined.empty() ? "" : ":") + a;
    auto again = ParsePreferredAlgorithms(joined);
    FUZZ_CHECK(again.has_value() && *again == *algorithms);
  } else {
    FUZZ_CHECK(algorithms.error().kind == ErrorKind::kInvalidParameter);
  }
  if (auto usage = ParseUsage(text)) {
    FUZZ_CHECK(*usage != 0);
    auto again = ParseUsage(UsageText(*usage));
    FUZZ_CHECK(again.has_value() && *again == *usage);
  } else {
    FUZZ_CHECK(usage.error().kind == ErrorKind::kInvalidParameter);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Lists(std::string(text));
  auto body = ParseJsonObject(text);
  if (!body) {
    FUZZ_CHECK(body.error().kind == ErrorKind::kUnprocessable || body.error().kind == ErrorKind::kInvalidParameter);
    return 0;
  }
  RoundTrip<CreateKeyPairRequest>(*body);
  RoundTrip<MoveKeyPairRequest>(*body);
  RoundTrip<ImportKeyPairRequest>(*body);
  RoundTrip<HandleRequest>(*body);
  RoundTrip<SignRequest>(*body);
  RoundTrip<CreateKeyRequest>(*body);
  RoundTrip<DeriveKeyRequest>(*body);
  EncryptRoundTrip(*body, false);
  EncryptRoundTrip(*body, true);
  // The string fields that are themselves lists.
  for (const char* field : {"preferredAlgorithms", "usage"}) {
    auto it = body->find(field);
    if (it != body->end() && it->is_string()) Lists(it->get<std::string>());
  }
  return 0;
}
