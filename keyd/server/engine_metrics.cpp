#include "keyd/server/engine_metrics.hpp"

namespace edgesec::keyd {
namespace {
const char* OpName(KeyOp op) {
  switch (op) {
    case KeyOp::kCreate:
      return "create";
    case KeyOp::kImport:
      return "import";
    case KeyOp::kSign:
      return "sign";
    case KeyOp::kEncrypt:
      return "encrypt";
    case KeyOp::kDecrypt:
      return "decrypt";
    case KeyOp::kDelete:
      return "delete";
    default:
      return "move";
  }
}
}  // namespace

EngineMetrics::EngineMetrics(const std::string& engine, metrics::Registry& registry) {
  auto& total = registry.CounterFamily(
      "edgesec_key_operations_total",
      "Key operations done by a key engine, by operation and result.", {"engine", "op", "result"});
  auto& duration =
      registry.HistogramFamily("edgesec_key_operation_duration_seconds",
                               "Time a key engine took for an operation, successful or not.",
                               {"engine", "op"}, metrics::KeyOperationBuckets());
  for (int i = 0; i < static_cast<int>(KeyOp::kCount); ++i) {
    std::string op = OpName(static_cast<KeyOp>(i));
    ops_[i] = Op{&total.With({engine, op, "success"}), &total.With({engine, op, "failure"}),
                 &duration.With({engine, op})};
  }
}

KeyOpTimer::~KeyOpTimer() {
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - start_;
  (ok_ ? op_.success : op_.failure)->Inc();
  op_.duration->Observe(took.count());
}

}  // namespace edgesec::keyd
