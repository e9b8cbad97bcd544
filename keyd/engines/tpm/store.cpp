#include "keyd/engines/tpm/store.hpp"

#include <tss2/tss2_mu.h>

#include <map>

#include "common/base64.hpp"
#include "common/fs.hpp"
#include "common/ids.hpp"

namespace edgesec::keyd::engines::tpm {
namespace {

constexpr char kIdPrefix[] = "edgesec-key-id: ";

template <class T>
std::string Marshal(const T& value, TSS2_RC (*marshal)(const T*, uint8_t*, size_t, size_t*)) {
  uint8_t buffer[sizeof(T) + 8];
  size_t offset = 0;
  if (marshal(&value, buffer, sizeof buffer, &offset) != TSS2_RC_SUCCESS) return {};
  return Base64Encode(buffer, offset);
}

template <class T>
bool Unmarshal(const std::string& text, T* value,
               TSS2_RC (*unmarshal)(const uint8_t*, size_t, size_t*, T*)) {
  auto bytes = Base64Decode(text);
  if (!bytes) return false;
  size_t offset = 0;
  return unmarshal(bytes->data(), bytes->size(), &offset, value) == TSS2_RC_SUCCESS &&
         offset == bytes->size();
}

std::string Serialize(const KeyBlob& b) {
  return kIdPrefix + b.id + "\nkind: " + (b.kind == EDGESEC_KEY_PAIR ? "keypair" : "secret") +
         "\nalgorithm: " + b.algorithm + "\nusage: " + std::to_string(b.usage) +
         "\npublic: " + Marshal(b.pub, &Tss2_MU_TPM2B_PUBLIC_Marshal) +
         "\nprivate: " + Marshal(b.priv, &Tss2_MU_TPM2B_PRIVATE_Marshal) + "\n";
}

Expected<KeyBlob> Parse(const std::string& text, const std::string& path) {
  std::map<std::string, std::string> fields;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(at, end - at);
    if (size_t colon = line.find(": "); colon != std::string::npos)
      fields[line.substr(0, colon)] = line.substr(colon + 2);
    at = end + 1;
  }
  KeyBlob b;
  auto damaged = [&](const char* what) {
    return Internal("TPM key file '" + path + "' is damaged (" + what + ")");
  };
  if (!fields.count("edgesec-key-id")) return damaged("no id");
  b.id = fields["edgesec-key-id"];
  b.kind = fields["kind"] == "secret" ? EDGESEC_KEY_SECRET : EDGESEC_KEY_PAIR;
  b.algorithm = fields["algorithm"];
  b.usage = static_cast<uint32_t>(std::strtoul(fields["usage"].c_str(), nullptr, 10));
  if (!Unmarshal(fields["public"], &b.pub, &Tss2_MU_TPM2B_PUBLIC_Unmarshal))
    return damaged("public blob");
  if (!Unmarshal(fields["private"], &b.priv, &Tss2_MU_TPM2B_PRIVATE_Unmarshal))
    return damaged("private blob");
  return b;
}

}  // namespace

Status BlobStore::Init() const {
  for (const char* sub : {"/keypairs", "/secrets"})
    EDGESEC_TRY(fs::MakeDirs(state_dir_ + sub, 0700));
  return {};
}

std::string BlobStore::PathFor(edgesec_key_kind kind, const std::string& id) const {
  return state_dir_ + (kind == EDGESEC_KEY_PAIR ? "/keypairs/" : "/secrets/") + FileNameForId(id) +
         ".tpmkey";
}

Expected<KeyBlob> BlobStore::Read(edgesec_key_kind kind, const std::string& id) const {
  std::string path = PathFor(kind, id);
  auto text = fs::ReadFile(path, 64 << 10);
  if (!text) {
    if (text.error().kind == ErrorKind::kNotFound)
      return NotFound((kind == EDGESEC_KEY_PAIR ? "key pair '" : "key '") + id +
                      "' does not exist");
    return text.error().Context("reading TPM key '" + id + "'");
  }
  EDGESEC_ASSIGN_OR_RETURN(KeyBlob blob, Parse(*text, path));
  if (blob.id != id || blob.kind != kind)
    return Internal("TPM key file '" + path + "' belongs to another key");
  return blob;
}

Status BlobStore::Write(const KeyBlob& blob) const {
  return fs::AtomicWriteFile(PathFor(blob.kind, blob.id), Serialize(blob), 0600);
}

Status BlobStore::Delete(edgesec_key_kind kind, const std::string& id) const {
  std::string path = PathFor(kind, id);
  if (!fs::Exists(path))
    return NotFound((kind == EDGESEC_KEY_PAIR ? "key pair '" : "key '") + id + "' does not exist");
  return fs::RemoveFile(path);
}

Status BlobStore::Move(edgesec_key_kind kind, const std::string& from,
                       const std::string& to) const {
  EDGESEC_ASSIGN_OR_RETURN(KeyBlob blob, Read(kind, from));
  blob.id = to;
  // The id inside changes, so the new file is written whole (atomically, replacing `to`); the old
  // one goes only once the new one is durable.
  EDGESEC_TRY(Write(blob));
  return fs::RemoveFile(PathFor(kind, from));
}

Expected<std::vector<KeyBlob>> BlobStore::List() const {
  std::vector<KeyBlob> out;
  for (const char* sub : {"/keypairs", "/secrets"}) {
    EDGESEC_ASSIGN_OR_RETURN(auto names, fs::ListFiles(state_dir_ + sub));
    for (const auto& name : names) {
      if (name.find(".tmp-") != std::string::npos) continue;  // a write that a crash interrupted
      std::string path = state_dir_ + sub + "/" + name;
      auto text = fs::ReadFile(path, 64 << 10);
      if (!text) continue;
      auto blob = Parse(*text, path);
      if (blob) out.push_back(std::move(*blob));
    }
  }
  return out;
}

}  // namespace edgesec::keyd::engines::tpm
