#include "keyd/engines/pkcs11/context.hpp"

#include "common/json.hpp"

namespace edgesec::keyd::engines::pkcs11 {

Expected<std::unique_ptr<Context>> Context::Open(const std::string& options_json) {
  auto parsed = ParseJsonObject(options_json);
  if (!parsed) return InvalidParameter("engine options are not a JSON object");
  const Json& options = (*parsed)["options"];
  if (!options.is_object() || !options.contains("lib_path") || !options["lib_path"].is_string())
    return MakeError(ErrorKind::kConfig, "[pkcs11] needs lib_path (the PKCS#11 module to load)");
  if (!options.contains("base_slot") || !options["base_slot"].is_string())
    return MakeError(ErrorKind::kConfig,
                     "[pkcs11] needs base_slot (a pkcs11: URI naming the token for keyd's keys)");

  auto ctx = std::unique_ptr<Context>(new Context);
  EDGESEC_ASSIGN_OR_RETURN(ctx->module_, Module::Get(options["lib_path"].get<std::string>()));
  auto base_uri = ParsePkcs11Uri(options["base_slot"].get<std::string>());
  if (!base_uri)
    return MakeError(ErrorKind::kConfig, "[pkcs11] base_slot: " + base_uri.error().message);
  ctx->base_ = std::make_unique<Token>(ctx->module_, base_uri->token, std::move(base_uri->pin));
  if (Status st = ctx->base_->Connect(); !st)
    return MakeError(ErrorKind::kConfig,
                     "[pkcs11] base_slot '" + base_uri->redacted + "': " + st.error().message);

  if (auto it = parsed->find("preloaded"); it != parsed->end() && it->is_object()) {
    for (const auto& [id, text] : it->items()) {
      if (!text.is_string())
        return InvalidParameter("preloaded key '" + id + "' must be a URI string");
      auto uri = ParsePkcs11Uri(text.get<std::string>());
      if (!uri)
        return MakeError(ErrorKind::kConfig, "preloaded key '" + id + "': " + uri.error().message);
      Token* token = nullptr;
      if (uri->token.Empty() || uri->token == ctx->base_->fields()) {
        token = ctx->base_.get();
      } else {
        for (auto& t : ctx->other_tokens_)
          if (t->fields() == uri->token) token = t.get();
        if (token == nullptr) {
          // Connected on first use: a preloaded key on a missing token is reported when it is used.
          ctx->other_tokens_.push_back(
              std::make_unique<Token>(ctx->module_, uri->token, std::move(uri->pin)));
          token = ctx->other_tokens_.back().get();
        }
      }
      uri->pin.reset();
      ctx->preloaded_[id] = {token, std::move(*uri)};
    }
  }
  return ctx;
}

Context::Where Context::KeyPairAt(const std::string& key_id) {
  if (auto it = preloaded_.find(key_id); it != preloaded_.end()) {
    const Pkcs11Uri& uri = it->second.second;
    return Where{it->second.first, Locator{uri.object, uri.id}, true,
                 "preloaded key '" + key_id + "' ('" + uri.redacted + "')"};
  }
  return Where{base_.get(), LocatorForKeyId(key_id), false, "key pair '" + key_id + "'"};
}

Context::Where Context::SecretAt(const std::string& key_id) {
  return Where{base_.get(), LocatorForKeyId(key_id), false, "key '" + key_id + "'"};
}

std::vector<std::string> Context::PreloadedIds() const {
  std::vector<std::string> ids;
  for (const auto& [id, entry] : preloaded_) ids.push_back(id);
  return ids;
}

Expected<PrivateKey> Context::KeyPair(const Call& c, const std::string& key_id,
                                      const Where& where) {
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = cache_.find(key_id); it != cache_.end() && it->second.generation == c.generation)
      return it->second;
  }
  EDGESEC_ASSIGN_OR_RETURN(PrivateKey key, FindPrivateKey(c, where.locator, where.what));
  std::lock_guard lock(cache_mutex_);
  cache_[key_id] = key;
  return key;
}

void Context::Forget(const std::string& key_id) {
  std::lock_guard lock(cache_mutex_);
  cache_.erase(key_id);
}

}  // namespace edgesec::keyd::engines::pkcs11
