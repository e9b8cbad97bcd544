// Fuzz target: the strict Prometheus exposition parser and the merge of `edgectl metrics`
// (common/metrics.hpp), which read what the daemons answer on GET /metrics.
// Properties: a refusal is kInvalidParameter starting with "metrics"; what is accepted renders to
// text that parses again and renders the same (Render ∘ Parse is idempotent); merging an accepted
// text as a service either adds service="…" to every sample or is refused, and its result parses.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/metrics.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace edgesec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = metrics::ParseExposition(text);
  if (!parsed) {
    FUZZ_CHECK(parsed.error().kind == ErrorKind::kInvalidParameter);
    FUZZ_CHECK(parsed.error().message.rfind("metrics", 0) == 0);
    return 0;
  }
  std::string rendered = metrics::Render(*parsed);
  auto again = metrics::ParseExposition(rendered);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(metrics::Render(*again) == rendered);

  std::vector<metrics::MetricFamily> merged;
  if (metrics::MergeInto(merged, *parsed, "keyd")) {
    for (const auto& f : merged)
      for (const auto& s : f.samples)
        FUZZ_CHECK(!s.labels.empty() && s.labels[0].first == "service" &&
                   s.labels[0].second == "keyd");
    std::string merged_text = metrics::Render(merged);
    auto reparsed = metrics::ParseExposition(merged_text);
    FUZZ_CHECK(reparsed.has_value());
  }
  return 0;
}
