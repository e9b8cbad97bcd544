// The strict exposition parser (metrics.hpp): only what Render() writes.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <set>

#include "common/metrics.hpp"

namespace edgesec::metrics {
namespace {

class LineParser {
 public:
  LineParser(std::string_view line, size_t number) : s_(line), number_(number) {}

  Error Fail(const std::string& what) const {
    return InvalidParameter("metrics line " + std::to_string(number_) + ": " + what);
  }
  bool AtEnd() const { return i_ == s_.size(); }
  bool Eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  std::string_view Token(bool metric) {
    size_t start = i_;
    while (i_ < s_.size()) {
      char c = s_[i_];
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                (metric && c == ':') || (i_ > start && c >= '0' && c <= '9');
      if (!ok) break;
      ++i_;
    }
    return s_.substr(start, i_ - start);
  }
  std::string_view Rest() {
    std::string_view r = s_.substr(i_);
    i_ = s_.size();
    return r;
  }
  Expected<std::string> QuotedValue() {
    if (!Eat('"')) return Fail("a label value must start with '\"'");
    std::string out;
    while (i_ < s_.size()) {
      char c = s_[i_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ == s_.size()) break;
      char e = s_[i_++];
      if (e == '\\' || e == '"') {
        out += e;
      } else if (e == 'n') {
        out += '\n';
      } else {
        return Fail(std::string("unknown escape '\\") + e + "' in a label value");
      }
    }
    return Fail("a label value is not closed");
  }
  Expected<Labels> LabelSet() {
    Labels labels;
    std::set<std::string, std::less<>> seen;
    if (!Eat('{')) return labels;
    if (Eat('}')) return labels;
    for (;;) {
      std::string_view name = Token(false);
      if (!ValidLabelName(name)) return Fail("invalid label name");
      if (!seen.insert(std::string(name)).second)
        return Fail("label '" + std::string(name) + "' repeated");
      if (!Eat('=')) return Fail("'=' expected after label '" + std::string(name) + "'");
      EDGESEC_ASSIGN_OR_RETURN(std::string value, QuotedValue());
      labels.emplace_back(std::string(name), std::move(value));
      if (Eat('}')) return labels;
      if (!Eat(',')) return Fail("',' or '}' expected in the label set");
    }
  }

 private:
  std::string_view s_;
  size_t i_ = 0;
  size_t number_;
};

Expected<double> ParseNumber(std::string_view text, const LineParser& p) {
  if (text == "+Inf") return HUGE_VAL;
  if (text == "-Inf") return -HUGE_VAL;
  if (text == "NaN") return std::nan("");
  if (text.empty() || text.size() > 40) return p.Fail("invalid sample value");
  for (char c : text)
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E'))
      return p.Fail("invalid sample value '" + std::string(text) + "'");
  std::string copy(text);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || std::isinf(v) || std::isnan(v))
    return p.Fail("invalid sample value '" + copy + "'");
  return v;
}

bool KnownType(std::string_view t) {
  return t == "counter" || t == "gauge" || t == "histogram";
}

// The suffix of `sample` within `family`, or nullopt when it is not one of its samples.
std::optional<std::string> SuffixOf(const MetricFamily& f, std::string_view sample) {
  if (sample == f.name)
    return f.type == "histogram" ? std::nullopt : std::optional<std::string>("");
  if (f.type != "histogram" || sample.substr(0, f.name.size()) != f.name) return std::nullopt;
  std::string_view suffix = sample.substr(f.name.size());
  if (suffix == "_bucket" || suffix == "_sum" || suffix == "_count") return std::string(suffix);
  return std::nullopt;
}

Status ParseComment(LineParser& p, std::vector<MetricFamily>& out,
                    std::set<std::string, std::less<>>& names) {
  if (!p.Eat(' ')) return p.Fail("'# HELP' or '# TYPE' expected");
  std::string_view keyword = p.Token(false);
  if (keyword != "HELP" && keyword != "TYPE") return p.Fail("'# HELP' or '# TYPE' expected");
  if (!p.Eat(' ')) return p.Fail("a metric name expected after " + std::string(keyword));
  std::string name(p.Token(true));
  if (!ValidMetricName(name)) return p.Fail("invalid metric name");
  if (!p.Eat(' ')) return p.Fail("text expected after the metric name");
  std::string_view rest = p.Rest();
  if (keyword == "HELP") {
    if (!names.insert(name).second) return p.Fail("metric '" + name + "' described twice");
    std::string help;
    for (size_t i = 0; i < rest.size(); ++i) {
      if (rest[i] != '\\') {
        help += rest[i];
        continue;
      }
      if (++i == rest.size()) return p.Fail("HELP text ends in '\\'");
      if (rest[i] == '\\') {
        help += '\\';
      } else if (rest[i] == 'n') {
        help += '\n';
      } else {
        return p.Fail("unknown escape in HELP text");
      }
    }
    out.push_back({name, std::move(help), "", {}});
    return {};
  }
  if (out.empty() || out.back().name != name || !out.back().type.empty())
    return p.Fail("TYPE of '" + name + "' must follow its HELP line");
  if (!KnownType(rest)) return p.Fail("unsupported metric type '" + std::string(rest) + "'");
  out.back().type = std::string(rest);
  return {};
}

Status ParseSample(LineParser& p, std::vector<MetricFamily>& out) {
  std::string_view name = p.Token(true);
  if (!ValidMetricName(name)) return p.Fail("invalid metric name");
  if (out.empty() || out.back().type.empty())
    return p.Fail("sample '" + std::string(name) + "' before its HELP and TYPE lines");
  MetricFamily& f = out.back();
  auto suffix = SuffixOf(f, name);
  if (!suffix)
    return p.Fail("sample '" + std::string(name) + "' is not of family '" + f.name + "'");
  EDGESEC_ASSIGN_OR_RETURN(Labels labels, p.LabelSet());
  if (!p.Eat(' ')) return p.Fail("a space and a value expected after the labels");
  EDGESEC_ASSIGN_OR_RETURN(double v, ParseNumber(p.Rest(), p));
  bool has_le = false;
  for (const auto& [k, val] : labels) has_le |= k == "le";
  if (has_le != (*suffix == "_bucket")) return p.Fail("'le' belongs to _bucket samples only");
  f.samples.push_back({*suffix, std::move(labels), v});
  return {};
}

}  // namespace

Expected<std::vector<MetricFamily>> ParseExposition(std::string_view text) {
  std::vector<MetricFamily> out;
  std::set<std::string, std::less<>> names;
  size_t number = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos)
      return InvalidParameter("metrics line " + std::to_string(number + 1) +
                              ": the text does not end with a newline");
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    ++number;
    if (line.empty()) continue;
    LineParser p(line, number);
    if (p.Eat('#')) {
      EDGESEC_TRY(ParseComment(p, out, names));
    } else {
      EDGESEC_TRY(ParseSample(p, out));
    }
  }
  if (!out.empty() && out.back().type.empty())
    return InvalidParameter("metrics: '" + out.back().name + "' has HELP but no TYPE");
  return out;
}

Status MergeInto(std::vector<MetricFamily>& merged, std::vector<MetricFamily> from,
                 const std::string& service) {
  for (MetricFamily& f : from) {
    for (Sample& s : f.samples) {
      for (const auto& [k, v] : s.labels)
        if (k == "service")
          return InvalidParameter("metrics of " + service + ": '" + f.name +
                                  "' already has a 'service' label");
      s.labels.insert(s.labels.begin(), {"service", service});
    }
    auto it = std::find_if(merged.begin(), merged.end(),
                           [&](const MetricFamily& m) { return m.name == f.name; });
    if (it == merged.end()) {
      merged.push_back(std::move(f));
      continue;
    }
    if (it->type != f.type)
      return InvalidParameter("metrics of " + service + ": '" + f.name + "' is a " + f.type +
                              ", another service has it as a " + it->type);
    for (Sample& s : f.samples) it->samples.push_back(std::move(s));
  }
  return {};
}

}  // namespace edgesec::metrics
