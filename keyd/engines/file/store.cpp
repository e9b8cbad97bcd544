#include "keyd/engines/file/store.hpp"

#include <openssl/core_names.h>

#include "common/base64.hpp"
#include "common/fs.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/log.hpp"

namespace edgesec::keyd::engines::file {
namespace {

std::string FirstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

Error DamagedPair(const std::string& path, const std::string& id, const std::string& why,
                  std::string detail = {}) {
  return Internal("key pair file '" + path + "' of key '" + id + "' is damaged (" + why +
                      "); keyd does not use it: restore the file from a backup, or import the "
                      "key again",
                  std::move(detail));
}

// A key pair file: the id line (keyd's own files; a preloaded file is the integrator's PEM) and a
// private key of a type keyd offers.
Expected<SharedKey> ParseKeyPairFile(const std::string& text, const std::string& id,
                                     const std::string& path, bool has_id_line) {
  if (has_id_line) {
    auto recorded = IdLineOf(text, path);
    if (!recorded) return DamagedPair(path, id, "it has no 'edgesec-key-id:' line");
    if (*recorded != id)
      return DamagedPair(path, id, "it records key '" + *recorded + "': another key's file");
  }
  auto key = PrivateKeyFromPem(text);
  if (!key) return DamagedPair(path, id, key.error().message, key.error().detail);
  auto algorithm = AlgorithmOf(key->get());
  if (!algorithm) return DamagedPair(path, id, algorithm.error().message);
  return SharedKey{std::move(*key), *algorithm};
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
  store->Audit();
  return store;
}

std::string Store::PathFor(edgesec_key_kind kind, const std::string& id) const {
  return state_dir_ + (kind == EDGESEC_KEY_PAIR ? "/keypairs/" : "/secrets/") + FileNameForId(id) +
         (kind == EDGESEC_KEY_PAIR ? ".pem" : ".key");
}

Expected<std::string> Store::ReadKeyFile(const std::string& path, const std::string& what) {
  auto text = fs::ReadOwnedFile(path, 077, 64 << 10);
  if (text) return text;
  if (text.error().kind == ErrorKind::kNotFound) return NotFound(what + " does not exist");
  return Report(text.error());
}

Error Store::Report(Error e) {
  std::lock_guard lock(reported_mutex_);
  if (reported_.insert(e.message).second) log::Error("keyd: " + e.Describe());
  return e;
}

Expected<std::shared_ptr<const SharedKey>> Store::KeyPair(const std::string& id) {
  uint64_t generation;
  {
    std::shared_lock lock(cache_mutex_);
    if (auto it = cache_.find(id); it != cache_.end()) return it->second;
    generation = generation_;
  }
  auto pre = preloaded_.find(id);
  bool preloaded = pre != preloaded_.end();
  std::string path = preloaded ? pre->second : PathFor(EDGESEC_KEY_PAIR, id);
  auto text = preloaded ? fs::ReadFile(path) : ReadKeyFile(path, "key pair '" + id + "'");
  if (!text)
    return preloaded ? text.error().Context("reading key pair '" + id + "'") : text.error();
  auto key = ParseKeyPairFile(*text, id, path, !preloaded);
  OPENSSL_cleanse(text->data(), text->size());
  if (!key) return Report(key.error());
  auto shared = std::make_shared<SharedKey>(std::move(*key));
  std::unique_lock lock(cache_mutex_);
  // A write, move or delete since the read above (another request's): what was read is this
  // request's answer, but caching it would bring a deleted or replaced key back for every later one.
  if (generation_ == generation) cache_[id] = shared;
  return std::shared_ptr<const SharedKey>(shared);
}

Status Store::WriteKeyPair(const std::string& id, EVP_PKEY* key) {
  EDGESEC_ASSIGN_OR_RETURN(std::string pem, PrivateKeyToPkcs8Pem(key));
  std::string content = kIdPrefix + id + "\n" + pem;
  OPENSSL_cleanse(pem.data(), pem.size());
  Status st = fs::AtomicWriteFile(PathFor(EDGESEC_KEY_PAIR, id), content, 0600);
  OPENSSL_cleanse(content.data(), content.size());
  std::unique_lock lock(cache_mutex_);
  ++generation_;
  cache_.erase(id);
  return st;
}

Expected<StoredSecret> Store::ReadSecret(const std::string& id) {
  std::string path = PathFor(EDGESEC_KEY_SECRET, id);
  EDGESEC_ASSIGN_OR_RETURN(std::string text, ReadKeyFile(path, "key '" + id + "'"));
  auto secret = ParseSecretFile(text, id, path);
  OPENSSL_cleanse(text.data(), text.size());
  if (!secret) return Report(secret.error());
  return secret;
}

Status Store::WriteSecret(const std::string& id, const StoredSecret& secret) {
  std::string content = FormatSecretFile(id, secret);
  Status st = fs::AtomicWriteFile(PathFor(EDGESEC_KEY_SECRET, id), content, 0600);
  OPENSSL_cleanse(content.data(), content.size());
  return st;
}

Status Store::Delete(edgesec_key_kind kind, const std::string& id) {
  std::string path = PathFor(kind, id);
  if (!fs::Exists(path)) return NotFound("key '" + id + "' does not exist");
  EDGESEC_TRY(fs::RemoveFile(path));
  std::unique_lock lock(cache_mutex_);
  ++generation_;
  cache_.erase(id);
  return {};
}

Status Store::Move(edgesec_key_kind kind, const std::string& from, const std::string& to) {
  std::string src = PathFor(kind, from);
  EDGESEC_ASSIGN_OR_RETURN(std::string text, ReadKeyFile(src, "key '" + from + "'"));
  // The id line changes, so the new file is written whole; the old one goes only once the new one
  // is durable.
  std::string content = kIdPrefix + to + text.substr(FirstLine(text).size());
  OPENSSL_cleanse(text.data(), text.size());
  Status st = fs::AtomicWriteFile(PathFor(kind, to), content, 0600);
  OPENSSL_cleanse(content.data(), content.size());
  EDGESEC_TRY(st);
  EDGESEC_TRY(fs::RemoveFile(src));
  std::unique_lock lock(cache_mutex_);
  ++generation_;
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
      // A write that a crash interrupted, or a file kept aside.
      if (name.find(".tmp-") != std::string::npos || name.find(".bad-") != std::string::npos)
        continue;
      auto id = ReadIdLine(state_dir_ + sub + "/" + name);
      if (id && !IsPreloaded(*id)) out.emplace_back(*id, kind);
    }
  }
  return out;
}

void Store::Audit() {
  for (auto [sub, kind] :
       {std::pair{"/keypairs", EDGESEC_KEY_PAIR}, std::pair{"/secrets", EDGESEC_KEY_SECRET}}) {
    auto names = fs::ListFiles(state_dir_ + sub);
    if (!names) {
      Report(names.error());
      continue;
    }
    for (const auto& name : *names)
      if (name.find(".tmp-") == std::string::npos && name.find(".bad-") == std::string::npos)
        AuditFile(kind, state_dir_ + sub + "/" + name);
  }
}

void Store::AuditFile(edgesec_key_kind kind, const std::string& path) {
  auto text = fs::ReadOwnedFile(path, 077, 64 << 10);
  if (!text) {
    Report(text.error());
    return;
  }
  auto id = IdLineOf(*text, path);
  if (!id) {
    OPENSSL_cleanse(text->data(), text->size());
    Report(id.error());
    return;
  }
  if (PathFor(kind, *id) != path) {
    Report(Internal("key file '" + path + "' is damaged (it records key '" + *id +
                    "', whose file is '" + PathFor(kind, *id) + "'); keyd does not use it"));
  } else if (kind == EDGESEC_KEY_PAIR) {
    if (!IsPreloaded(*id)) (void)KeyPair(*id);  // reports damage, caches the key
  } else if (auto secret = ParseSecretFile(*text, *id, path); !secret) {
    Report(secret.error());
  } else if (secret->format < 2) {
    Status st = WriteSecret(*id, *secret);
    if (st)
      log::Info("keyd: secret key file '" + path + "' rewritten in format 2 (length and checksum)");
    else
      Report(st.error().Context("rewriting '" + path + "' in format 2"));
  }
  OPENSSL_cleanse(text->data(), text->size());
}

}  // namespace edgesec::keyd::engines::file
