#include "common/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace edgesec::metrics {

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::trunc(v) && std::fabs(v) <= 9007199254740992.0)
    return std::to_string(static_cast<long long>(v));
  // The fewest digits that read back the same, %g's layout: Go's strconv 'g' -1 (what other
  // exporters print, so that a bucket's `le` is the same string everywhere), e.g. 0.0001, 5e-05.
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {
bool NameChar(char c, bool first, bool colon) {
  bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
  return alpha || (!first && c >= '0' && c <= '9');
}
bool ValidName(std::string_view n, bool colon) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i)
    if (!NameChar(n[i], i == 0, colon)) return false;
  return true;
}
}  // namespace

bool ValidMetricName(std::string_view name) {
  return ValidName(name, true);
}
bool ValidLabelName(std::string_view name) {
  return ValidName(name, false) && name.substr(0, 2) != "__";
}

std::string Render(std::vector<MetricFamily> families) {
  std::stable_sort(families.begin(), families.end(),
                   [](const MetricFamily& a, const MetricFamily& b) { return a.name < b.name; });
  std::string out;
  for (const MetricFamily& f : families) {
    if (f.samples.empty()) continue;
    out += "# HELP " + f.name + " " + EscapeHelp(f.help) + "\n";
    out += "# TYPE " + f.name + " " + f.type + "\n";
    for (const Sample& s : f.samples) {
      out += f.name + s.suffix;
      if (!s.labels.empty()) {
        out += '{';
        for (size_t i = 0; i < s.labels.size(); ++i) {
          if (i) out += ',';
          out += s.labels[i].first + "=\"" + EscapeLabelValue(s.labels[i].second) + "\"";
        }
        out += '}';
      }
      out += " " + FormatValue(s.value) + "\n";
    }
  }
  return out;
}

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

void Histogram::Read(std::vector<uint64_t>& cumulative, double& sum) const {
  cumulative.assign(bounds_.size() + 1, 0);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    cumulative[i] = running;
  }
  sum = sum_.load(std::memory_order_relaxed);
}

const std::vector<double>& KeyOperationBuckets() {
  static const std::vector<double> b = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                        0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
                                        0.5,     1,      2.5,     5};
  return b;
}

namespace {

template <class T>
T* MakeChild(const std::vector<double>& bounds) {
  if constexpr (std::is_same_v<T, Histogram>) {
    return new Histogram(bounds);
  } else {
    (void)bounds;
    return new T();
  }
}

Labels Zip(const std::vector<std::string>& names, const std::vector<std::string>& values) {
  Labels l;
  for (size_t i = 0; i < names.size(); ++i) l.emplace_back(names[i], values[i]);
  return l;
}

}  // namespace

template <class T>
T& Family<T>::With(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size()) std::abort();
  std::lock_guard lock(mutex_);
  auto& slot = children_[values];
  if (!slot) slot.reset(MakeChild<T>(bounds_));
  return *slot;
}

template <class T>
void Family<T>::Collect(MetricFamily& out) const {
  out.name = name_;
  out.help = help_;
  std::lock_guard lock(mutex_);
  for (const auto& [values, child] : children_) {
    Labels labels = Zip(label_names_, values);
    if constexpr (std::is_same_v<T, Counter>) {
      out.type = "counter";
      out.samples.push_back({"", labels, static_cast<double>(child->Value())});
    } else if constexpr (std::is_same_v<T, Gauge>) {
      out.type = "gauge";
      out.samples.push_back({"", labels, child->Value()});
    } else {
      out.type = "histogram";
      std::vector<uint64_t> cumulative;
      double sum = 0;
      child->Read(cumulative, sum);
      for (size_t i = 0; i < cumulative.size(); ++i) {
        Labels with_le = labels;
        with_le.emplace_back("le", i < bounds_.size() ? FormatValue(bounds_[i]) : "+Inf");
        out.samples.push_back({"_bucket", std::move(with_le), static_cast<double>(cumulative[i])});
      }
      out.samples.push_back({"_sum", labels, sum});
      out.samples.push_back({"_count", labels, static_cast<double>(cumulative.back())});
    }
  }
  if (out.type.empty())
    out.type = std::is_same_v<T, Counter> ? "counter"
               : std::is_same_v<T, Gauge> ? "gauge"
                                          : "histogram";
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

namespace {
template <class T>
Family<T>& Get(std::mutex& m, std::map<std::string, std::unique_ptr<Family<T>>>& map,
               const std::string& name, const std::string& help, std::vector<std::string> labels,
               std::vector<double> bounds = {}) {
  std::lock_guard lock(m);
  auto& slot = map[name];
  if (!slot) slot = std::make_unique<Family<T>>(name, help, std::move(labels), std::move(bounds));
  return *slot;
}
}  // namespace

Family<Counter>& Registry::CounterFamily(const std::string& name, const std::string& help,
                                         std::vector<std::string> labels) {
  return Get(mutex_, counters_, name, help, std::move(labels));
}
Family<Gauge>& Registry::GaugeFamily(const std::string& name, const std::string& help,
                                     std::vector<std::string> labels) {
  return Get(mutex_, gauges_, name, help, std::move(labels));
}
Family<Histogram>& Registry::HistogramFamily(const std::string& name, const std::string& help,
                                             std::vector<std::string> labels,
                                             std::vector<double> bounds) {
  return Get(mutex_, histograms_, name, help, std::move(labels), std::move(bounds));
}

std::vector<MetricFamily> Registry::Collect() const {
  std::vector<MetricFamily> out;
  std::lock_guard lock(mutex_);
  auto add = [&out](const auto& map) {
    for (const auto& [name, family] : map) {
      MetricFamily f;
      family->Collect(f);
      out.push_back(std::move(f));
    }
  };
  add(counters_);
  add(gauges_);
  add(histograms_);
  return out;
}

namespace {
double StartTime() {
  static const double t = static_cast<double>(std::time(nullptr));
  return t;
}
}  // namespace

Registry& Default() {
  static Registry* r = [] {
    StartTime();
    return new Registry();
  }();
  return *r;
}

void AddProcessFamilies(std::vector<MetricFamily>& out) {
  out.push_back({"edgesec_build_info",
                 "The edgesec version of this daemon (always 1).",
                 "gauge",
                 {{"", {{"version", EDGESEC_VERSION}}, 1}}});
  out.push_back({"process_start_time_seconds",
                 "Start time of the process since unix epoch in seconds.",
                 "gauge",
                 {{"", {}, StartTime()}}});
}

}  // namespace edgesec::metrics
