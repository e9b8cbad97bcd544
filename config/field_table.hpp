#pragma once
// One table per config struct that both reads and writes its TOML, so that each key is spelled
// once: the services read their files through it, and `edgectl config apply` writes the services'
// typed configs through it. A field's writer writes nothing when its value is blank (empty, zero),
// so a struct that starts blank (config apply) yields exactly the keys that were set, in the
// table's order.

#include <sys/types.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "config/toml_reader.hpp"
#include "config/toml_writer.hpp"

namespace edgesec::config {

template <class S>
struct Field {
  const char* key;
  Status (*read)(Reader& r, const char* key, S* s);           // kConfig with file:line:col
  void (*write)(TomlWriter& w, const char* key, const S& s);  // nothing when blank
};

template <class S>
using FieldTable = std::vector<Field<S>>;

template <class S>
Status ReadFields(Reader& r, const FieldTable<S>& table, S* s) {
  for (const auto& f : table) EDGESEC_TRY(f.read(r, f.key, s));
  return {};
}

// Notes config apply puts above a field's output (after a blank line), by the field's key: written
// only when the field writes something.
using FieldComments = std::map<std::string, std::string>;

template <class S>
void WriteFields(TomlWriter& w, const FieldTable<S>& table, const S& s,
                 const FieldComments& comments = {}) {
  for (const auto& f : table) {
    auto comment = comments.find(f.key);
    if (comment == comments.end() || comment->second.empty()) {
      f.write(w, f.key, s);
      continue;
    }
    TomlWriter field;
    f.write(field, f.key, s);
    if (field.text().empty()) continue;
    w.Text("\n");
    w.Comment(comment->second);
    w.Text(field.text());
  }
}

// A [section] whose keys are `table`: read when present (then no unknown key in it), written when
// any of its fields is not blank.
template <class S>
Status ReadSection(Reader& r, const char* key, const FieldTable<S>& table, S* s) {
  EDGESEC_ASSIGN_OR_RETURN(auto section, r.Table(key));
  if (!section) return {};
  EDGESEC_TRY(ReadFields(*section, table, s));
  return section->Finish();
}

template <class S>
void WriteSection(TomlWriter& w, const char* key, const FieldTable<S>& table, const S& s) {
  TomlWriter fields;
  WriteFields(fields, table, s);
  if (fields.text().empty()) return;
  w.Table(key);
  w.Text(fields.text());
}

// Helpers for the common field types: readers leave the struct as it is when the key is absent,
// writers write nothing when the value is blank.
inline Status ReadString(Reader& r, const char* key, std::string* out) {
  EDGESEC_ASSIGN_OR_RETURN(auto v, r.String(key));
  if (v) *out = *v;
  return {};
}

inline void WriteString(TomlWriter& w, const char* key, const std::string& v) {
  if (!v.empty()) w.String(key, v);
}

inline void WriteStrings(TomlWriter& w, const char* key, const std::vector<std::string>& v) {
  if (!v.empty()) w.Strings(key, v);
}

inline Status ReadMode(Reader& r, const char* key, mode_t* out) {
  EDGESEC_ASSIGN_OR_RETURN(auto mode, r.FileMode(key));
  if (mode) *out = *mode;
  return {};
}

// max_requests: the connections one uid may hold at once on a socket (common/http/uid_limit.hpp).
inline Status ReadMaxRequests(Reader& r, const char* key, unsigned* out) {
  EDGESEC_ASSIGN_OR_RETURN(auto n, r.Integer(key));
  if (!n) return {};
  if (*n < 1 || *n > 0x7fffffff)
    return r.ErrorAt(key,
                     "must be a positive integer: the connections one caller (uid) may hold at "
                     "once on the socket, e.g. 10");
  *out = static_cast<unsigned>(*n);
  return {};
}

inline void WriteMaxRequests(TomlWriter& w, const char* key, unsigned n) {
  if (n != 0) w.Integer(key, n);
}

inline void WriteMode(TomlWriter& w, const char* key, mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "0%o", static_cast<unsigned>(mode));
  if (mode != 0) w.String(key, text);
}

}  // namespace edgesec::config
