#include "keyd/server/service.hpp"

#include <openssl/hmac.h>

#include <filesystem>

#include "common/fs.hpp"
#include "common/ids.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/state_format.hpp"
#include "keyd/engines/file/sign.hpp"
#include "keyd/server/builtin_engines.hpp"
#include "keyd/server/parameters.hpp"

namespace edgesec::keyd {

struct KeyService::State {
  KeydConfig config;
  std::map<std::string, std::unique_ptr<Engine>> engines;
  Authorizer authorizer{0, {}};

  Engine& EngineFor(const std::string& id) {
    if (auto it = config.preloaded_keys.find(id); it != config.preloaded_keys.end())
      return *engines.at(EngineForUri(it->second)->name);
    for (const auto& rule : config.key_engines)
      for (const auto& glob : rule.key_globs)
        if (GlobMatches(glob, id)) return *engines.at(rule.engine);
    return *engines.at(config.default_engine);
  }
};

namespace {

Error Mismatch() {
  return InvalidParameter("mechanism cannot be used with this key type");
}

edgesec_mechanism MechanismFor(api::SignAlgorithm a) {
  switch (a) {
    case api::SignAlgorithm::kRsaPkcs1Sha256:
      return EDGESEC_MECH_RSA_PKCS1_SHA256;
    case api::SignAlgorithm::kRsaPssSha256:
      return EDGESEC_MECH_RSA_PSS_SHA256;
    case api::SignAlgorithm::kEdDsa:
      return EDGESEC_MECH_EDDSA;
    default:
      return EDGESEC_MECH_ECDSA;
  }
}

// Whether any engine's state directory (a subdirectory of keyd's) holds a file: keys that were
// handed out handles under the previous handle secret.
bool HoldsKeys(const std::string& state) {
  std::error_code ec;
  for (const auto& engine : std::filesystem::directory_iterator(state, ec)) {
    if (!engine.is_directory(ec)) continue;
    for (auto it = std::filesystem::recursive_directory_iterator(engine.path(), ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file(ec)) return true;
  }
  return false;
}

}  // namespace

Expected<std::unique_ptr<KeyService>> KeyService::Create(const Layout& layout,
                                                         const KeydConfig& config) {
  std::string state = layout.ServiceStateDir("keyd");
  EDGESEC_TRY(fs::MakeDirs(state, 0700));
  EDGESEC_TRY(CheckStateDirFormat(state, "1", 0600, "keyd"));
  const std::string secret_path = state + "/handle-secret";
  bool regenerated = !fs::Exists(secret_path) && HoldsKeys(state);
  EDGESEC_ASSIGN_OR_RETURN(HandleSigner signer, HandleSigner::LoadOrCreate(secret_path));
  if (regenerated)
    log::Error("keyd: the handle secret '" + secret_path +
               "' was missing while keys exist; a new one was generated, so every handle issued "
               "before is now invalid (400): clients must fetch their handles again "
               "(GET /keypair/{id}, GET /key/{id})");
  auto service = std::unique_ptr<KeyService>(new KeyService(layout, std::move(signer)));
  EDGESEC_TRY(service->Reload(config));
  return service;
}

Expected<std::shared_ptr<KeyService::State>> KeyService::BuildState(
    const KeydConfig& config) const {
  auto s = std::make_shared<State>();
  s->config = config;
  s->authorizer = Authorizer(::getuid(), config.principals);
  for (const BuiltinEngine& builtin : BuiltinEngines()) {
    auto section = config.builtin_engines.find(builtin.name);
    if (section == config.builtin_engines.end()) continue;
    Json preloaded = Json::object();
    for (const auto& [id, uri] : config.preloaded_keys)
      if (const BuiltinEngineName* e = EngineForUri(uri); e && e->name == std::string(builtin.name))
        preloaded[id] = uri;
    std::string state_dir = layout_.ServiceStateDir("keyd") + "/" + builtin.name;
    EDGESEC_TRY(fs::MakeDirs(state_dir, 0700));
    Json open_options{{"state_dir", state_dir},
                      {"preloaded", preloaded},
                      {"options", EngineOptions(section->second)}};
    EDGESEC_ASSIGN_OR_RETURN(
        auto engine, Engine::Builtin(builtin.name, builtin.table(), DumpJson(open_options)));
    // A section may lower the level its engine reports (a software token is no HSM).
    const Json& o = open_options["options"];
    if (o.contains("security_level") && o["security_level"].is_number_unsigned() &&
        o["security_level"].get<uint32_t>() < engine->security_level())
      engine->set_security_level(o["security_level"].get<uint32_t>());
    s->engines[builtin.name] = std::move(engine);
  }
  for (const auto& e : config.engines) {
    Json options{{"state_dir", layout_.ServiceStateDir("keyd") + "/" + FileNameForId(e.name)},
                 {"options", e.options}};
    EDGESEC_TRY(fs::MakeDirs(options["state_dir"].get<std::string>(), 0700));
    EDGESEC_ASSIGN_OR_RETURN(auto engine, Engine::Load(e.name, e.path, DumpJson(options)));
    if (e.security_level && *e.security_level < engine->security_level())
      engine->set_security_level(*e.security_level);
    s->engines[e.name] = std::move(engine);
  }
  return s;
}

Status KeyService::Reload(const KeydConfig& config) {
  EDGESEC_ASSIGN_OR_RETURN(auto state, BuildState(config));
  std::lock_guard lock(state_mutex_);
  state_ = std::move(state);  // requests in flight keep the old state alive until they finish
  return {};
}

std::shared_ptr<KeyService::State> KeyService::Snapshot() const {
  std::lock_guard lock(state_mutex_);
  return state_;
}

Status KeyService::Authorize(const State& s, const Caller& c, const std::string& id,
                             const char* action) const {
  EDGESEC_TRY(ValidateId(id, "key id"));
  if (s.authorizer.MayUseKey(c.uid, id)) return {};
  return MakeError(
      ErrorKind::kUnauthorized,
      "user " + std::to_string(c.uid) + " is not authorized to " + action + " key '" + id + "'");
}

Expected<HandleClaims> KeyService::Resolve(const State& s, const Caller& c,
                                           const std::string& handle) const {
  EDGESEC_ASSIGN_OR_RETURN(HandleClaims claims, signer_.Verify(handle));
  EDGESEC_TRY(Authorize(s, c, claims.key_id, "use"));
  return claims;
}

Expected<std::string> KeyService::CreateKeyPairIfNotExists(
    const Caller& c, const std::string& id, const std::optional<std::string>& preferred) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "create"));
  EDGESEC_ASSIGN_OR_RETURN(
      auto algorithms,
      api::ParsePreferredAlgorithms(preferred.value_or(s->config.preferred_algorithms)));
  Engine& engine = s->EngineFor(id);
  std::lock_guard lock(mutation_mutex_);
  auto existing = engine.GetKeyPair(id);
  if (existing) return signer_.Issue({HandleKind::kKeyPair, id, {}});
  if (existing.error().kind != ErrorKind::kNotFound) return existing.error();
  Error last = InvalidParameter("no algorithm given");
  for (const std::string& algorithm : algorithms) {
    Status st = engine.GenerateKeyPair(id, algorithm);
    if (st) {
      log::Info("created " + algorithm + " key pair '" + id + "' in engine '" + engine.name() +
                "'");
      audit_->KeyEvent("key.create", c.uid, id, algorithm + " key pair, engine " + engine.name());
      return signer_.Issue({HandleKind::kKeyPair, id, {}});
    }
    last = st.error();
    if (last.kind != ErrorKind::kInvalidParameter) break;  // unsupported → try the next algorithm
  }
  return last;
}

Expected<std::string> KeyService::GetKeyPair(const Caller& c, const std::string& id) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "use"));
  EDGESEC_TRY(s->EngineFor(id).GetKeyPair(id));
  return signer_.Issue({HandleKind::kKeyPair, id, {}});
}

Expected<std::string> KeyService::ImportKeyPair(const Caller& c, const std::string& id,
                                                const Bytes& pkcs8) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "import"));
  std::lock_guard lock(mutation_mutex_);
  EDGESEC_TRY(s->EngineFor(id).ImportKeyPair(id, pkcs8));
  log::Info("imported key pair '" + id + "'");
  audit_->KeyEvent("key.import", c.uid, id, "key pair");
  return signer_.Issue({HandleKind::kKeyPair, id, {}});
}

Status KeyService::MoveKeyPair(const Caller& c, const std::string& from, const std::string& to) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, to, "replace"));
  EDGESEC_TRY(Authorize(*s, c, from, "move"));
  if (from == to) return InvalidParameter("parameter 'from' must differ from the target key id");
  Engine& engine = s->EngineFor(from);
  if (&engine != &s->EngineFor(to))
    return InvalidParameter("key '" + from + "' and '" + to +
                            "' live in different engines; keys cannot move between engines");
  std::lock_guard lock(mutation_mutex_);
  EDGESEC_TRY(engine.Move(EDGESEC_KEY_PAIR, from, to));
  log::Info("moved key pair '" + from + "' to '" + to + "'");
  audit_->KeyEvent("key.move", c.uid, to, "key pair moved from " + from);
  return {};
}

Status KeyService::DeleteKeyPair(const Caller& c, const std::string& handle) {
  auto s = Snapshot();
  EDGESEC_ASSIGN_OR_RETURN(HandleClaims claims, Resolve(*s, c, handle));
  if (claims.kind != HandleKind::kKeyPair)
    return InvalidParameter("parameter 'keyHandle' is not a key pair handle");
  std::lock_guard lock(mutation_mutex_);
  EDGESEC_TRY(s->EngineFor(claims.key_id).Delete(EDGESEC_KEY_PAIR, claims.key_id));
  log::Info("deleted key pair '" + claims.key_id + "'");
  audit_->KeyEvent("key.delete", c.uid, claims.key_id, "key pair");
  return {};
}

Expected<std::string> KeyService::GetParameter(const Caller& c, const std::string& handle,
                                               const std::string& name) {
  auto s = Snapshot();
  EDGESEC_ASSIGN_OR_RETURN(HandleClaims claims, Resolve(*s, c, handle));
  if (claims.kind != HandleKind::kKeyPair)
    return InvalidParameter("parameters exist only for key pairs");
  Engine& engine = s->EngineFor(claims.key_id);
  if (name == "engine") return engine.name();
  if (name == "security-level") return "SL" + std::to_string(engine.security_level());
  EDGESEC_ASSIGN_OR_RETURN(auto pub, engine.GetKeyPair(claims.key_id));
  return PublicParameter(pub.spki, name);
}

Expected<std::vector<api::KeyPairInfo>> KeyService::ListKeyPairs(const Caller& c) {
  auto s = Snapshot();
  std::vector<api::KeyPairInfo> out;
  for (auto& [name, engine] : s->engines) {
    EDGESEC_ASSIGN_OR_RETURN(auto listed, engine->List());
    for (auto& k : listed) {
      if (k.kind != EDGESEC_KEY_PAIR || !s->authorizer.MayUseKey(c.uid, k.id)) continue;
      if (&s->EngineFor(k.id) != engine.get()) continue;  // shadowed by a rule: not reachable by id
      out.push_back({k.id, name, k.algorithm, engine->security_level()});
    }
  }
  return out;
}

Expected<Secret> KeyService::DerivedBytes(State& s, const HandleClaims& claims) const {
  Engine& engine = s.EngineFor(claims.key_id);
  EDGESEC_ASSIGN_OR_RETURN(uint32_t usage, engine.GetSecret(claims.key_id));
  if ((usage & EDGESEC_USAGE_DERIVE) == 0)
    return InvalidParameter("key '" + claims.key_id + "' was not created with usage 'derive'");
  EDGESEC_ASSIGN_OR_RETURN(Bytes mac, engine.SecretOp(claims.key_id, EDGESEC_SECRET_HMAC_SHA256, {},
                                                      {}, claims.derivation_data));
  Secret out(mac.data(), mac.size());
  OPENSSL_cleanse(mac.data(), mac.size());
  return out;
}

Expected<Bytes> KeyService::SecretOp(State& s, const HandleClaims& claims, uint32_t usage,
                                     edgesec_secret_op op, const Bytes& iv, const Bytes& aad,
                                     const Bytes& in) const {
  if (claims.kind == HandleKind::kKeyPair) return Mismatch();
  if (claims.kind == HandleKind::kSecret) {
    Engine& engine = s.EngineFor(claims.key_id);
    EDGESEC_ASSIGN_OR_RETURN(uint32_t have, engine.GetSecret(claims.key_id));
    if ((have & usage) == 0)
      return InvalidParameter("key '" + claims.key_id + "' was not created with usage '" +
                              api::UsageText(usage) + "'");
    return engine.SecretOp(claims.key_id, op, iv, aad, in);
  }
  // A derived key exists only in memory: computed from its base key for each use.
  EDGESEC_ASSIGN_OR_RETURN(Secret derived, DerivedBytes(s, claims));
  edgesec_status status = EDGESEC_OK;
  std::string message;
  Bytes out = engines::file::SecretOperation(derived, op, iv.data(), iv.size(), aad.data(),
                                             aad.size(), in.data(), in.size(), &status, &message);
  if (status != EDGESEC_OK) return InvalidParameter(message);
  return out;
}

Expected<Bytes> KeyService::Sign(const Caller& c, const api::SignRequest& r) {
  auto s = Snapshot();
  EDGESEC_ASSIGN_OR_RETURN(HandleClaims claims, Resolve(*s, c, r.key_handle));
  if (r.algorithm == api::SignAlgorithm::kHmacSha256)
    return audit_->Counted(
        claims.key_id, c.uid,
        SecretOp(*s, claims, EDGESEC_USAGE_SIGN, EDGESEC_SECRET_HMAC_SHA256, {}, {}, r.data));
  if (claims.kind != HandleKind::kKeyPair) return Mismatch();
  return audit_->Counted(
      claims.key_id, c.uid,
      s->EngineFor(claims.key_id).Sign(claims.key_id, MechanismFor(r.algorithm), r.data));
}

Expected<Bytes> KeyService::Encrypt(const Caller& c, const api::EncryptRequest& r) {
  auto s = Snapshot();
  EDGESEC_ASSIGN_OR_RETURN(HandleClaims claims, Resolve(*s, c, r.key_handle));
  if (r.algorithm == api::EncryptAlgorithm::kAead)
    return SecretOp(*s, claims, EDGESEC_USAGE_ENCRYPT, EDGESEC_SECRET_AEAD_ENCRYPT, r.iv, r.aad,
                    r.data);
  if (claims.kind != HandleKind::kKeyPair) return Mismatch();
  edgesec_mechanism m = r.algorithm == api::EncryptAlgorithm::kRsaPkcs1
                            ? EDGESEC_MECH_RSA_PKCS1_RAW
                            : EDGESEC_MECH_RSA_NO_PADDING;
  return s->EngineFor(claims.key_id).Sign(claims.key_id, m, r.data);
}

Expected<Bytes> KeyService::Decrypt(const Caller& c, const api::EncryptRequest& r) {
  auto s = Snapshot();
  EDGESEC_ASSIGN_OR_RETURN(HandleClaims claims, Resolve(*s, c, r.key_handle));
  return SecretOp(*s, claims, EDGESEC_USAGE_ENCRYPT, EDGESEC_SECRET_AEAD_DECRYPT, r.iv, r.aad,
                  r.data);
}

Expected<std::string> KeyService::CreateKey(const Caller& c, const api::CreateKeyRequest& r) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, r.key_id, "create"));
  if (r.usage == 0)
    return InvalidParameter("parameter 'usage' must name at least one of derive, encrypt, sign");
  Engine& engine = s->EngineFor(r.key_id);
  std::lock_guard lock(mutation_mutex_);
  if (!r.key_bytes) {
    auto existing = engine.GetSecret(r.key_id);
    if (existing) return signer_.Issue({HandleKind::kSecret, r.key_id, {}});
    if (existing.error().kind != ErrorKind::kNotFound) return existing.error();
  }
  EDGESEC_TRY(engine.CreateSecret(r.key_id, r.usage, r.key_bytes ? &*r.key_bytes : nullptr));
  log::Info(std::string(r.key_bytes ? "imported" : "created") + " key '" + r.key_id + "'");
  audit_->KeyEvent(r.key_bytes ? "key.import" : "key.create", c.uid, r.key_id, "secret key");
  return signer_.Issue({HandleKind::kSecret, r.key_id, {}});
}

Expected<std::string> KeyService::GetKey(const Caller& c, const std::string& id) {
  auto s = Snapshot();
  EDGESEC_TRY(Authorize(*s, c, id, "use"));
  EDGESEC_TRY(s->EngineFor(id).GetSecret(id));
  return signer_.Issue({HandleKind::kSecret, id, {}});
}

Status KeyService::DeleteKey(const Caller& c, const std::string& handle) {
  auto s = Snapshot();
  EDGESEC_ASSIGN_OR_RETURN(HandleClaims claims, Resolve(*s, c, handle));
  if (claims.kind != HandleKind::kSecret)
    return InvalidParameter("parameter 'keyHandle' is not a key handle");
  std::lock_guard lock(mutation_mutex_);
  EDGESEC_TRY(s->EngineFor(claims.key_id).Delete(EDGESEC_KEY_SECRET, claims.key_id));
  log::Info("deleted key '" + claims.key_id + "'");
  audit_->KeyEvent("key.delete", c.uid, claims.key_id, "secret key");
  return {};
}

Expected<std::string> KeyService::DeriveKey(const Caller& c, const api::DeriveKeyRequest& r) {
  auto s = Snapshot();
  EDGESEC_ASSIGN_OR_RETURN(HandleClaims claims, Resolve(*s, c, r.base_key_handle));
  if (claims.kind == HandleKind::kDerived)
    return InvalidParameter("a derived key cannot be derived from again");
  if (claims.kind != HandleKind::kSecret)
    return InvalidParameter("parameter 'baseKeyHandle' is not a key handle");
  if (r.derivation_data.size() > 4096)
    return InvalidParameter("parameter 'derivationData' is longer than 4096 bytes");
  EDGESEC_ASSIGN_OR_RETURN(uint32_t usage, s->EngineFor(claims.key_id).GetSecret(claims.key_id));
  if ((usage & EDGESEC_USAGE_DERIVE) == 0)
    return InvalidParameter("key '" + claims.key_id + "' was not created with usage 'derive'");
  return signer_.Issue({HandleKind::kDerived, claims.key_id, r.derivation_data});
}

Expected<Bytes> KeyService::ExportDerivedKey(const Caller& c, const std::string& handle) {
  auto s = Snapshot();
  EDGESEC_ASSIGN_OR_RETURN(HandleClaims claims, Resolve(*s, c, handle));
  if (claims.kind != HandleKind::kDerived)
    return InvalidParameter("only derived keys can be exported");
  EDGESEC_ASSIGN_OR_RETURN(Secret derived, DerivedBytes(*s, claims));
  return Bytes(derived.data(), derived.data() + derived.size());
}

}  // namespace edgesec::keyd
