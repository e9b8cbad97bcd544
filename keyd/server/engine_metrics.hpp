#pragma once
// Key operation metrics of one engine (docs/metrics.md): edgesec_key_operations_total{engine,op,
// result} and edgesec_key_operation_duration_seconds{engine,op}. The children are resolved once
// per engine, so an operation costs two clock reads and three relaxed atomic adds.

#include <chrono>
#include <string>

#include "common/metrics.hpp"

namespace edgesec::keyd {

enum class KeyOp { kCreate, kImport, kSign, kEncrypt, kDecrypt, kDelete, kMove, kCount };

class EngineMetrics {
 public:
  explicit EngineMetrics(const std::string& engine,
                         metrics::Registry& registry = metrics::Default());
  struct Op {
    metrics::Counter* success;
    metrics::Counter* failure;
    metrics::Histogram* duration;
  };
  const Op& operator[](KeyOp op) const { return ops_[static_cast<int>(op)]; }

 private:
  Op ops_[static_cast<int>(KeyOp::kCount)];
};

// Records one operation when it goes out of scope: a failure unless Succeeded() was called.
class KeyOpTimer {
 public:
  KeyOpTimer(const EngineMetrics& m, KeyOp op)
      : op_(m[op]), start_(std::chrono::steady_clock::now()) {}
  ~KeyOpTimer();
  KeyOpTimer(const KeyOpTimer&) = delete;
  KeyOpTimer& operator=(const KeyOpTimer&) = delete;
  void Succeeded() { ok_ = true; }

 private:
  const EngineMetrics::Op& op_;
  std::chrono::steady_clock::time_point start_;
  bool ok_ = false;
};

}  // namespace edgesec::keyd
