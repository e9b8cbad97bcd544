#pragma once
// Metrics in Prometheus' text exposition format 0.0.4 (docs/metrics.md): counters, gauges and
// histograms with label sets, rendered on demand (GET /metrics). The hot path is one relaxed atomic
// add: a caller resolves its labelled child once (Family::With, which locks and may allocate) and
// keeps the reference, valid for the registry's lifetime. Gauges that describe state (cert times)
// are not kept here: the daemon computes them when /metrics is asked and adds them as families, so
// nothing is refreshed on a timer. The same model is parsed back (ParseExposition) by
// `edgectl metrics`, which merges the daemons' answers.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace edgesec::metrics {

// ---- the exposition model (rendered and parsed) ----
using Labels = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  std::string suffix;  // "" or, for histograms, "_bucket", "_sum", "_count"
  Labels labels;
  double value = 0;
};

struct MetricFamily {
  std::string name, help;
  std::string type;  // "counter", "gauge", "histogram"
  std::vector<Sample> samples;
};

// Families sorted by name (stable: equal names keep their order), samples in the given order; a
// family without samples is left out.
std::string Render(std::vector<MetricFamily> families);
// Go's shortest round-trip form; integers (up to 2^53) without exponent; +Inf, -Inf, NaN.
std::string FormatValue(double v);
std::string EscapeLabelValue(std::string_view v);  // \ → \\, " → \", newline → \n
std::string EscapeHelp(std::string_view v);        // \ → \\, newline → \n
bool ValidMetricName(std::string_view name);
bool ValidLabelName(std::string_view name);

// Strict parser for what Render() writes: HELP and TYPE before a family's samples, types counter,
// gauge and histogram only, no timestamps, no other comments. kInvalidParameter naming the line.
Expected<std::vector<MetricFamily>> ParseExposition(std::string_view text);

// `edgectl metrics`: adds service="<service>" (first) to every sample of `from` and merges its
// families into `merged` (one per name; kInvalidParameter when the types differ, or a sample
// already has a service label).
Status MergeInto(std::vector<MetricFamily>& merged, std::vector<MetricFamily> from,
                 const std::string& service);

// The Content-Type of the format.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// ---- live metrics ----
class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);  // ascending, without +Inf
  void Observe(double v);
  // Cumulative bucket counts (one per bound, then +Inf), sum, count.
  void Read(std::vector<uint64_t>& cumulative, double& sum) const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, not cumulative; last: +Inf
  std::atomic<double> sum_{0};
};

// Seconds buckets for key operations: 50 µs (a software sign) to 5 s (a slow TPM or HSM).
const std::vector<double>& KeyOperationBuckets();

// One metric name with a fixed list of label names and a child per label-value tuple.
template <class T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        bounds_(std::move(bounds)) {}
  // The child for `values` (as many as label names; else abort: a programming error), created on
  // first use. The reference stays valid as long as the family.
  T& With(const std::vector<std::string>& values);
  void Collect(MetricFamily& out) const;
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }

 private:
  std::string name_, help_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_;
};

class Registry {
 public:
  // The family `name` (created on first call; a later call with the same name returns the same
  // family — help, labels and buckets of the first call hold).
  Family<Counter>& CounterFamily(const std::string& name, const std::string& help,
                                 std::vector<std::string> labels);
  Family<Gauge>& GaugeFamily(const std::string& name, const std::string& help,
                             std::vector<std::string> labels);
  Family<Histogram>& HistogramFamily(const std::string& name, const std::string& help,
                                     std::vector<std::string> labels, std::vector<double> bounds);
  std::vector<MetricFamily> Collect() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Family<Counter>>> counters_;
  std::map<std::string, std::unique_ptr<Family<Gauge>>> gauges_;
  std::map<std::string, std::unique_ptr<Family<Histogram>>> histograms_;
};

// The process's registry (daemons); tests make their own.
Registry& Default();

// The families every daemon shows: edgesec_build_info{version} 1 and process_start_time_seconds
// (when Default() was first used: each daemon's setup uses it).
void AddProcessFamilies(std::vector<MetricFamily>& out);

// A gauge family of computed values (cert times): one sample per call to Add.
struct GaugeBuilder {
  MetricFamily family;
  GaugeBuilder(std::string name, std::string help)
      : family{std::move(name), std::move(help), "gauge", {}} {}
  void Add(Labels labels, double v) { family.samples.push_back({"", std::move(labels), v}); }
};

}  // namespace edgesec::metrics
