#include "keyd/engines/file/store.hpp"

#include <openssl/core_names.h>

#include "common/base64.hpp"
#include "common/fs.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"

namespace edgesec::keyd::engines::file {
namespace {

constexpr char kIdPrefix[] = "edgesec-key-id: ";

std::string FirstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

}  // namespace

Expected<std::string> AlgorithmOf(EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC: {
      char curve[64] = {};
      size_t len = 0;
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve, &len);
      std::string c(curve);
      if (c == "prime256v1" || c == "P-256") return std::string("ec-p256");
      if (c == "secp384r1" || c == "P-384") return std::string("ec-p384");
      return InvalidParameter("EC keys on curve '" + c + "' are not supported; use P-256 or P-384");
    }
    case EVP_PKEY_RSA: {
      int bits = EVP_PKEY_get_bits(key);
      if (bits == 2048 || bits == 3072 || bits == 4096) return "rsa-" + std::to_string(bits);
      return InvalidParameter("RSA keys of " + std::to_string(bits) +
                              " bits are not supported; use 2048, 3072 or 4096");
    }
    case EVP_PKEY_ED25519:
      return std::string("ed25519");
    default:
      return InvalidParameter("this key type is not supported; use EC P-256/P-384, RSA or Ed25519");
  }
}

Expected<std::unique_ptr<Store>> Store::Open(const std::string& options_json) {
  auto parsed = ParseJsonObject(options_json);
  if (!parsed) return InvalidParameter("engine options are not a JSON object");
  auto store = std::unique_ptr<Store>(new Store);
  JsonFields f(*parsed);
  EDGESEC_ASSIGN_OR_RETURN(store->state_dir_, f.RequiredString("state_dir"));
  if (auto it = parsed->find("preloaded"); it != parsed->end() && it->is_object()) {
    for (const auto& [id, uri] : it->items()) {
      if (!uri.is_string())
        return InvalidParameter("preloaded key '" + id + "' must be a URI string");
      std::string u = uri.get<std::string>();
      if (u.rfind("file://", 0) != 0)
        return InvalidParameter("preloaded key '" + id + "' is not a file:// URI");
      store->preloaded_[id] = u.substr(7);
    }
  }
  for (const char* sub : {"/keypairs", "/secrets"})
    EDGESEC_TRY(fs::MakeDirs(store->state_dir_ + sub, 0700));
  return store;
}

std::string Store::PathFor(edgesec_key_kind kind, const std::string& id) const {
  return state_dir_ + (kind == EDGESEC_KEY_PAIR ? "/keypairs/" : "/secrets/") + FileNameForId(id) +
         (kind == EDGESEC_KEY_PAIR ? ".pem" : ".key");
}

Expected<std::shared_ptr<const SharedKey>> Store::KeyPair(const std::string& id) {
  {
    std::shared_lock lock(cache_mutex_);
    if (auto it = cache_.find(id); it != cache_.end()) return it->second;
  }
  auto pre = preloaded_.find(id);
  std::string path = pre != preloaded_.end() ? pre->second : PathFor(EDGESEC_KEY_PAIR, id);
  auto text = fs::ReadFile(path);
  if (!text) {
    if (text.error().kind == ErrorKind::kNotFound && pre == preloaded_.end())
      return NotFound("key pair '" + id + "' does not exist");
    return text.error().Context("reading key pair '" + id + "'");
  }
  auto key = PrivateKeyFromPem(*text);
  OPENSSL_cleanse(text->data(), text->size());
  if (!key) return key.error().Context("key file '" + path + "'");
  EDGESEC_ASSIGN_OR_RETURN(std::string algorithm, AlgorithmOf(key->get()));
  auto shared = std::make_shared<SharedKey>(SharedKey{std::move(*key), algorithm});
  std::unique_lock lock(cache_mutex_);
  cache_[id] = shared;
  return std::shared_ptr<const SharedKey>(shared);
}

Status Store::WriteKeyPair(const std::string& id, EVP_PKEY* key) {
  EDGESEC_ASSIGN_OR_RETURN(std::string pem, PrivateKeyToPkcs8Pem(key));
  std::string content = kIdPrefix + id + "\n" + pem;
  OPENSSL_cleanse(pem.data(), pem.size());
  Status st = fs::AtomicWriteFile(PathFor(EDGESEC_KEY_PAIR, id), content, 0600);
  OPENSSL_cleanse(content.data(), content.size());
  std::unique_lock lock(cache_mutex_);
  cache_.erase(id);
  return st;
}

Expected<StoredSecret> Store::ReadSecret(const std::string& id) {
  auto text = fs::ReadFile(PathFor(EDGESEC_KEY_SECRET, id));
  if (!text) {
    if (text.error().kind == ErrorKind::kNotFound)
      return NotFound("key '" + id + "' does not exist");
    return text.error();
  }
  // "edgesec-key-id: <id>\nusage: <n>\nkey: <base64>\n"
  StoredSecret s;
  size_t usage_at = text->find("\nusage: ");
  size_t key_at = text->find("\nkey: ");
  if (usage_at == std::string::npos || key_at == std::string::npos)
    return Internal("secret key file of '" + id + "' is damaged");
  s.usage = static_cast<uint32_t>(std::strtoul(text->c_str() + usage_at + 8, nullptr, 10));
  std::string b64 = text->substr(key_at + 6);
  while (!b64.empty() && (b64.back() == '\n' || b64.back() == '\r')) b64.pop_back();
  auto bytes = Base64Decode(b64);
  OPENSSL_cleanse(text->data(), text->size());
  OPENSSL_cleanse(b64.data(), b64.size());
  if (!bytes) return Internal("secret key file of '" + id + "' is damaged");
  s.bytes = Secret(bytes->data(), bytes->size());
  OPENSSL_cleanse(bytes->data(), bytes->size());
  return s;
}

Status Store::WriteSecret(const std::string& id, const StoredSecret& secret) {
  std::string b64 = Base64Encode(secret.bytes.data(), secret.bytes.size());
  std::string content =
      kIdPrefix + id + "\nusage: " + std::to_string(secret.usage) + "\nkey: " + b64 + "\n";
  Status st = fs::AtomicWriteFile(PathFor(EDGESEC_KEY_SECRET, id), content, 0600);
  OPENSSL_cleanse(b64.data(), b64.size());
  OPENSSL_cleanse(content.data(), content.size());
  return st;
}

Status Store::Delete(edgesec_key_kind kind, const std::string& id) {
  std::string path = PathFor(kind, id);
  if (!fs::Exists(path)) return NotFound("key '" + id + "' does not exist");
  EDGESEC_TRY(fs::RemoveFile(path));
  std::unique_lock lock(cache_mutex_);
  cache_.erase(id);
  return {};
}

Status Store::Move(edgesec_key_kind kind, const std::string& from, const std::string& to) {
  std::string src = PathFor(kind, from);
  auto text = fs::ReadFile(src);
  if (!text)
    return text.error().kind == ErrorKind::kNotFound ? NotFound("key '" + from + "' does not exist")
                                                     : text.error();
  // The id line changes, so the new file is written whole; the old one goes only once the new one
  // is durable.
  std::string content = kIdPrefix + to + text->substr(FirstLine(*text).size());
  OPENSSL_cleanse(text->data(), text->size());
  Status st = fs::AtomicWriteFile(PathFor(kind, to), content, 0600);
  OPENSSL_cleanse(content.data(), content.size());
  EDGESEC_TRY(st);
  EDGESEC_TRY(fs::RemoveFile(src));
  std::unique_lock lock(cache_mutex_);
  cache_.erase(from);
  cache_.erase(to);
  return {};
}

Expected<std::string> Store::ReadIdLine(const std::string& path) const {
  EDGESEC_ASSIGN_OR_RETURN(std::string text, fs::ReadFile(path, 64 << 10));
  std::string line = FirstLine(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (line.rfind(kIdPrefix, 0) != 0) return Internal("key file '" + path + "' has no id line");
  return line.substr(sizeof kIdPrefix - 1);
}

Expected<std::vector<std::pair<std::string, edgesec_key_kind>>> Store::List() {
  std::vector<std::pair<std::string, edgesec_key_kind>> out;
  for (const auto& [id, path] : preloaded_) out.emplace_back(id, EDGESEC_KEY_PAIR);
  for (auto [sub, kind] :
       {std::pair{"/keypairs", EDGESEC_KEY_PAIR}, std::pair{"/secrets", EDGESEC_KEY_SECRET}}) {
    EDGESEC_ASSIGN_OR_RETURN(auto names, fs::ListFiles(state_dir_ + sub));
    for (const auto& name : names) {
      if (name.find(".tmp-") != std::string::npos) continue;  // a write that a crash interrupted
      auto id = ReadIdLine(state_dir_ + sub + "/" + name);
      if (id && !IsPreloaded(*id)) out.emplace_back(*id, kind);
    }
  }
  return out;
}

}  // namespace edgesec::keyd::engines::file
