#include "config/toml_reader.hpp"

#include <algorithm>
#include <cstdlib>

#include "common/fs.hpp"

namespace edgesec::config {
namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

const char* TypeName(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date/time";
  }
}

}  // namespace

std::string PositionText(const std::string& file, const toml::source_region& region) {
  return file + ":" + std::to_string(region.begin.line) + ":" + std::to_string(region.begin.column);
}

std::string DidYouMean(std::string_view word,
                       const std::set<std::string, std::less<>>& candidates) {
  std::string best;
  size_t best_distance = 3;
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

Expected<ParsedFile> ParseToml(std::string_view text, const std::string& path) {
  try {
    auto table = std::make_shared<toml::table>(toml::parse(text, path));
    return ParsedFile{path, std::move(table)};
  } catch (const toml::parse_error& e) {
    return MakeError(ErrorKind::kConfig,
                     PositionText(path, e.source()) + ": " + std::string(e.description()));
  }
}

Expected<std::vector<ParsedFile>> LoadServiceFiles(const Layout& layout,
                                                   const std::string& service) {
  std::vector<std::string> paths;
  if (fs::Exists(layout.ServiceConfigFile(service)))
    paths.push_back(layout.ServiceConfigFile(service));
  EDGESEC_ASSIGN_OR_RETURN(auto names, fs::ListFiles(layout.ServiceConfigDir(service)));
  for (const auto& n : names)
    if (n.size() > 5 && n.ends_with(".toml"))
      paths.push_back(layout.ServiceConfigDir(service) + "/" + n);
  std::vector<ParsedFile> files;
  for (const auto& p : paths) {
    auto text = fs::ReadFile(p);
    if (!text)
      return MakeError(ErrorKind::kConfig, "cannot read config file '" + p + "'",
                       text.error().Describe());
    EDGESEC_ASSIGN_OR_RETURN(auto parsed, ParseToml(*text, p));
    files.push_back(std::move(parsed));
  }
  return files;
}

Reader::Reader(const toml::table& table, std::string file, std::string prefix)
    : table_(&table), file_(std::move(file)), prefix_(std::move(prefix)) {}

std::string Reader::Dotted(std::string_view key) const {
  return prefix_ + std::string(key);
}

Error Reader::ErrorAt(std::string_view key, const std::string& message) const {
  const toml::node* n = table_->get(key);
  const toml::source_region& region = n ? n->source() : table_->source();
  return MakeError(ErrorKind::kConfig,
                   PositionText(file_, region) + ": '" + Dotted(key) + "': " + message);
}

const toml::node* Reader::Get(std::string_view key) {
  asked_.emplace(key);
  return table_->get(key);
}

Expected<std::optional<std::string>> Reader::String(std::string_view key) {
  const toml::node* n = Get(key);
  if (n == nullptr) return std::optional<std::string>();
  if (!n->is_string()) return ErrorAt(key, std::string("must be a string, not ") + TypeName(*n));
  return std::optional<std::string>(n->as_string()->get());
}

Expected<std::optional<int64_t>> Reader::Integer(std::string_view key) {
  const toml::node* n = Get(key);
  if (n == nullptr) return std::optional<int64_t>();
  if (!n->is_integer()) return ErrorAt(key, std::string("must be an integer, not ") + TypeName(*n));
  return std::optional<int64_t>(n->as_integer()->get());
}

Expected<std::optional<bool>> Reader::Boolean(std::string_view key) {
  const toml::node* n = Get(key);
  if (n == nullptr) return std::optional<bool>();
  if (!n->is_boolean())
    return ErrorAt(key, std::string("must be true or false, not ") + TypeName(*n));
  return std::optional<bool>(n->as_boolean()->get());
}

Expected<std::optional<mode_t>> Reader::FileMode(std::string_view key) {
  EDGESEC_ASSIGN_OR_RETURN(auto text, String(key));
  if (!text) return std::optional<mode_t>();
  char* end = nullptr;
  unsigned long m = std::strtoul(text->c_str(), &end, 8);
  if (text->empty() || *end != '\0' || m > 0777)
    return ErrorAt(key, "must be an octal mode such as \"0660\"");
  return std::optional<mode_t>(static_cast<mode_t>(m));
}

Expected<std::optional<std::vector<std::string>>> Reader::StringArray(std::string_view key) {
  const toml::node* n = Get(key);
  if (n == nullptr) return std::optional<std::vector<std::string>>();
  if (!n->is_array())
    return ErrorAt(key, std::string("must be an array of strings, not ") + TypeName(*n));
  std::vector<std::string> out;
  for (const toml::node& item : *n->as_array()) {
    if (!item.is_string())
      return MakeError(ErrorKind::kConfig,
                       PositionText(file_, item.source()) + ": '" + Dotted(key) +
                           "': every element must be a string, not " + TypeName(item));
    out.push_back(item.as_string()->get());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Expected<std::optional<Reader>> Reader::Table(std::string_view key) {
  const toml::node* n = Get(key);
  if (n == nullptr) return std::optional<Reader>();
  if (!n->is_table()) return ErrorAt(key, std::string("must be a table, not ") + TypeName(*n));
  return std::optional<Reader>(Reader(*n->as_table(), file_, Dotted(key) + "."));
}

Expected<std::vector<Reader>> Reader::TableArray(std::string_view key) {
  const toml::node* n = Get(key);
  std::vector<Reader> out;
  if (n == nullptr) return out;
  if (!n->is_array_of_tables())
    return ErrorAt(key, std::string("must be an array of tables ([[") + Dotted(key) + "]]), not " +
                            TypeName(*n));
  size_t i = 0;
  for (const toml::node& item : *n->as_array())
    out.emplace_back(*item.as_table(), file_, Dotted(key) + "[" + std::to_string(i++) + "].");
  return out;
}

std::vector<std::string> Reader::Keys() {
  std::vector<std::string> keys;
  for (const auto& [k, v] : *table_) {
    keys.emplace_back(k.str());
    asked_.emplace(k.str());
  }
  return keys;
}

Status Reader::Finish() const {
  for (const auto& [k, v] : *table_) {
    if (asked_.count(k.str()) != 0) continue;
    std::string hint = DidYouMean(k.str(), asked_);
    std::string message = "unknown key";
    if (!hint.empty())
      message += "; did you mean '" + prefix_ + hint + "'?";
    else
      message += "; remove it (see the reference config for the keys this service reads)";
    return MakeError(ErrorKind::kConfig,
                     PositionText(file_, k.source()) + ": '" + Dotted(k.str()) + "': " + message);
  }
  return {};
}

}  // namespace edgesec::config
