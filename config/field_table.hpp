#pragma once
// One table per config struct that both reads and writes its TOML, so that each key is spelled
// once: the services read their files through it, and `edgectl config apply` writes the services'
// typed configs through it. A field's writer writes nothing when its value is blank (empty, zero),
// so a struct that starts blank (config apply) yields exactly the keys that were set, in the
// table's order.

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

template <class S>
void WriteFields(TomlWriter& w, const FieldTable<S>& table, const S& s) {
  for (const auto& f : table) f.write(w, f.key, s);
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

}  // namespace edgesec::config
