#pragma once
// The state of one pkcs11 engine instance: the module, the base token (where keys without a URI
// live), the tokens of preloaded pkcs11: keys, and a cache of private key handles by key id.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/error.hpp"
#include "config/keyd/pkcs11_uri.hpp"
#include "keyd/engines/pkcs11/objects.hpp"
#include "keyd/engines/pkcs11/token.hpp"

namespace edgesec::keyd::engines::pkcs11 {

class Context {
 public:
  // options_json: {"state_dir", "preloaded": {id: "pkcs11:…"}, "options": {"lib_path",
  // "base_slot"}}. Loads the module, finds the base token and logs in: kConfig naming the module or
  // the token.
  static Expected<std::unique_ptr<Context>> Open(const std::string& options_json);

  struct Where {
    Token* token;
    Locator locator;
    bool preloaded;
    std::string what;  // "key pair 'id'" or "preloaded key 'id' ('pkcs11:…')", for messages
  };
  Where KeyPairAt(const std::string& key_id);
  Where SecretAt(const std::string& key_id);
  bool IsPreloaded(const std::string& key_id) const { return preloaded_.count(key_id) != 0; }
  Token& base() { return *base_; }
  std::vector<std::string> PreloadedIds() const;

  // The private key of a key pair, from the cache when this module generation found it already.
  Expected<PrivateKey> KeyPair(const Call& c, const std::string& key_id, const Where& where);
  void Forget(const std::string& key_id);

 private:
  std::shared_ptr<Module> module_;
  std::unique_ptr<Token> base_;
  std::vector<std::unique_ptr<Token>> other_tokens_;
  std::map<std::string, std::pair<Token*, Pkcs11Uri>> preloaded_;
  std::mutex cache_mutex_;
  std::unordered_map<std::string, PrivateKey> cache_;
};

}  // namespace edgesec::keyd::engines::pkcs11
