#pragma once
// Table-driven reading of TOML config files (toml++). Every getter names the dotted key on error,
// with file:line:col; keys nobody asked for are errors, with "did you mean" for near misses.
// Services read config.toml and then config.d/*.toml in lexical order, applying each file on top of
// the previous ones: a key in a later file overrides the same key in an earlier one.

#include <sys/types.h>
#include <toml++/toml.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/paths.hpp"

namespace edgesec::config {

struct ParsedFile {
  std::string path;
  std::shared_ptr<toml::table> table;
};

// kConfig with "file:line:col: message" on a syntax error.
Expected<ParsedFile> ParseToml(std::string_view text, const std::string& path);
// config.toml (if present) then config.d/*.toml in lexical order; none is fine (embedded defaults).
Expected<std::vector<ParsedFile>> LoadServiceFiles(const Layout& layout,
                                                   const std::string& service);

class Reader {
 public:
  Reader(const toml::table& table, std::string file, std::string prefix = {});

  Expected<std::optional<std::string>> String(std::string_view key);
  Expected<std::optional<int64_t>> Integer(std::string_view key);
  Expected<std::optional<bool>> Boolean(std::string_view key);
  // A file or socket mode written as an octal string ("0660"), at most 0777.
  Expected<std::optional<mode_t>> FileMode(std::string_view key);
  Expected<std::optional<std::vector<std::string>>> StringArray(std::string_view key);
  Expected<std::optional<Reader>> Table(std::string_view key);
  Expected<std::vector<Reader>> TableArray(std::string_view key);
  // Keys of this table, for free-form maps ([preloaded_keys] id = "uri"); marks them all as read.
  std::vector<std::string> Keys();

  // kConfig error for the first key of this table that no getter asked for.
  Status Finish() const;
  // "file:line:col: 'dotted.key': message" (position of the key's value, or of the table).
  Error ErrorAt(std::string_view key, const std::string& message) const;
  const std::string& file() const { return file_; }

 private:
  const toml::node* Get(std::string_view key);
  std::string Dotted(std::string_view key) const;
  const toml::table* table_;
  std::string file_;
  std::string prefix_;
  std::set<std::string, std::less<>> asked_;
};

std::string PositionText(const std::string& file, const toml::source_region& region);
// Closest candidate within edit distance 2, or empty.
std::string DidYouMean(std::string_view word, const std::set<std::string, std::less<>>& candidates);

}  // namespace edgesec::config
