#include "keyd/server/engine.hpp"

#include <dlfcn.h>

#include <cstring>

namespace edgesec::keyd {

Engine::Engine(std::string name, void* dl, const edgesec_key_engine* table, void* ctx)
    : name_(std::move(name)),
      dl_(dl),
      table_(table),
      ctx_(ctx),
      security_level_(table->security_level),
      metrics_(name_) {}

Engine::~Engine() {
  table_->close(ctx_);
  if (dl_ != nullptr) ::dlclose(dl_);
}

Expected<std::unique_ptr<Engine>> Engine::Builtin(const std::string& name,
                                                  const edgesec_key_engine* table,
                                                  const std::string& options_json) {
  edgesec_error err{};
  void* ctx = nullptr;
  if (edgesec_status st = table->open(options_json.c_str(), &ctx, &err); st != EDGESEC_OK)
    return MakeError(ErrorKind::kConfig,
                     "key engine '" + name + "' failed to start: " + err.message);
  return std::unique_ptr<Engine>(new Engine(name, nullptr, table, ctx));
}

Expected<std::unique_ptr<Engine>> Engine::Load(const std::string& name, const std::string& path,
                                               const std::string& options_json) {
  void* dl = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (dl == nullptr)
    return MakeError(ErrorKind::kConfig,
                     "key engine '" + name + "': cannot load '" + path + "': " + ::dlerror());
  auto entry = reinterpret_cast<edgesec_key_engine_entry_fn>(::dlsym(dl, EDGESEC_KEY_ENGINE_ENTRY));
  const edgesec_key_engine* table = entry ? entry() : nullptr;
  std::string problem;
  if (entry == nullptr) {
    problem = "it does not export " EDGESEC_KEY_ENGINE_ENTRY "()";
  } else if (table == nullptr) {
    problem = EDGESEC_KEY_ENGINE_ENTRY "() returned no engine";
  } else if (table->abi_version != EDGESEC_KEY_ENGINE_ABI_VERSION) {
    problem = "it was built for key engine ABI version " + std::to_string(table->abi_version) +
              ", and this keyd speaks version " + std::to_string(EDGESEC_KEY_ENGINE_ABI_VERSION) +
              "; rebuild the engine against this keyd's edgesec/key_engine.h";
  } else if (!table->open || !table->close || !table->generate_key_pair ||
             !table->import_key_pair || !table->get_key_pair || !table->sign ||
             !table->create_secret || !table->get_secret || !table->secret_op ||
             !table->delete_key || !table->move_key || !table->list_keys) {
    problem = "its function table has empty entries";
  }
  if (!problem.empty()) {
    ::dlclose(dl);
    return MakeError(ErrorKind::kConfig,
                     "key engine '" + name + "' ('" + path + "') refused: " + problem);
  }
  edgesec_error err{};
  void* ctx = nullptr;
  if (table->open(options_json.c_str(), &ctx, &err) != EDGESEC_OK) {
    ::dlclose(dl);
    return MakeError(ErrorKind::kConfig,
                     "key engine '" + name + "' failed to start: " + err.message);
  }
  return std::unique_ptr<Engine>(new Engine(name, dl, table, ctx));
}

Error Engine::ToError(edgesec_status status, const edgesec_error& err,
                      const std::string& what) const {
  std::string detail(err.message, strnlen(err.message, sizeof err.message));
  std::string message = what + (detail.empty() ? "" : ": " + detail);
  switch (status) {
    case EDGESEC_E_NOT_FOUND:
      return NotFound(detail.empty() ? what + " does not exist" : detail);
    case EDGESEC_E_INVALID:
    case EDGESEC_E_READ_ONLY:
      return InvalidParameter(message);
    case EDGESEC_E_UNSUPPORTED:
      return InvalidParameter(detail.empty() ? "key engine '" + name_ + "' does not support this"
                                             : detail);
    default:
      // The engine's reason goes on the wire too (engine messages never hold secrets): a client
      // is told which key failed and why, e.g. a damaged key file.
      return Internal("key engine '" + name_ + "' failed: " + message);
  }
}

Status Engine::GenerateKeyPair(const std::string& id, const std::string& algorithm) {
  KeyOpTimer timer(metrics_, KeyOp::kCreate);
  edgesec_error err{};
  edgesec_status st = table_->generate_key_pair(ctx_, id.c_str(), algorithm.c_str(), &err);
  if (st == EDGESEC_E_UNSUPPORTED)
    return MakeError(ErrorKind::kInvalidParameter,
                     "key engine '" + name_ + "' cannot create " + algorithm + " keys");
  if (st != EDGESEC_OK) return ToError(st, err, "creating key pair '" + id + "'");
  timer.Succeeded();
  return {};
}

Status Engine::ImportKeyPair(const std::string& id, const Bytes& pkcs8) {
  KeyOpTimer timer(metrics_, KeyOp::kImport);
  edgesec_error err{};
  edgesec_status st = table_->import_key_pair(ctx_, id.c_str(), pkcs8.data(), pkcs8.size(), &err);
  if (st != EDGESEC_OK) return ToError(st, err, "importing key pair '" + id + "'");
  timer.Succeeded();
  return {};
}

Expected<Engine::KeyPairPublic> Engine::GetKeyPair(const std::string& id) {
  KeyPairPublic out;
  char algorithm[EDGESEC_ALGORITHM_MAX] = {};
  out.spki.resize(1024);
  for (int attempt = 0; attempt < 2; ++attempt) {
    edgesec_error err{};
    size_t len = out.spki.size();
    edgesec_status st =
        table_->get_key_pair(ctx_, id.c_str(), algorithm, out.spki.data(), &len, &err);
    if (st == EDGESEC_E_BUFFER_TOO_SMALL && attempt == 0) {
      out.spki.resize(len);
      continue;
    }
    if (st != EDGESEC_OK) return ToError(st, err, "key pair '" + id + "'");
    out.spki.resize(len);
    out.algorithm.assign(algorithm, strnlen(algorithm, sizeof algorithm));
    return out;
  }
  return Internal("key engine '" + name_ + "' keeps changing its answer's size");
}

Expected<Bytes> Engine::Sign(const std::string& id, edgesec_mechanism mechanism, const Bytes& in) {
  bool raw = mechanism == EDGESEC_MECH_RSA_PKCS1_RAW || mechanism == EDGESEC_MECH_RSA_NO_PADDING;
  KeyOpTimer timer(metrics_, raw ? KeyOp::kEncrypt : KeyOp::kSign);
  Bytes out(1024);  // RSA-4096 signatures are 512 bytes, DER ECDSA P-384 at most 104
  for (int attempt = 0; attempt < 2; ++attempt) {
    edgesec_error err{};
    size_t len = out.size();
    edgesec_status st =
        table_->sign(ctx_, id.c_str(), mechanism, in.data(), in.size(), out.data(), &len, &err);
    if (st == EDGESEC_E_BUFFER_TOO_SMALL && attempt == 0) {
      out.resize(len);
      continue;
    }
    if (st != EDGESEC_OK) return ToError(st, err, "signing with key pair '" + id + "'");
    out.resize(len);
    timer.Succeeded();
    return out;
  }
  return Internal("key engine '" + name_ + "' keeps changing its answer's size");
}

Status Engine::CreateSecret(const std::string& id, uint32_t usage, const Bytes* key_bytes) {
  KeyOpTimer timer(metrics_, key_bytes ? KeyOp::kImport : KeyOp::kCreate);
  edgesec_error err{};
  edgesec_status st =
      table_->create_secret(ctx_, id.c_str(), usage, key_bytes ? key_bytes->data() : nullptr,
                            key_bytes ? key_bytes->size() : 0, &err);
  if (st != EDGESEC_OK) return ToError(st, err, "creating key '" + id + "'");
  timer.Succeeded();
  return {};
}

Expected<uint32_t> Engine::GetSecret(const std::string& id) {
  edgesec_error err{};
  uint32_t usage = 0;
  edgesec_status st = table_->get_secret(ctx_, id.c_str(), &usage, &err);
  if (st != EDGESEC_OK) return ToError(st, err, "key '" + id + "'");
  return usage;
}

Expected<Bytes> Engine::SecretOp(const std::string& id, edgesec_secret_op op, const Bytes& iv,
                                 const Bytes& aad, const Bytes& in) {
  KeyOpTimer timer(metrics_, op == EDGESEC_SECRET_AEAD_ENCRYPT   ? KeyOp::kEncrypt
                             : op == EDGESEC_SECRET_AEAD_DECRYPT ? KeyOp::kDecrypt
                                                                 : KeyOp::kSign);
  Bytes out(in.size() + 64);
  edgesec_error err{};
  size_t len = out.size();
  edgesec_status st = table_->secret_op(ctx_, id.c_str(), op, iv.data(), iv.size(), aad.data(),
                                        aad.size(), in.data(), in.size(), out.data(), &len, &err);
  if (st != EDGESEC_OK) return ToError(st, err, "using key '" + id + "'");
  out.resize(len);
  timer.Succeeded();
  return out;
}

Status Engine::Delete(edgesec_key_kind kind, const std::string& id) {
  KeyOpTimer timer(metrics_, KeyOp::kDelete);
  edgesec_error err{};
  edgesec_status st = table_->delete_key(ctx_, kind, id.c_str(), &err);
  if (st != EDGESEC_OK) return ToError(st, err, "deleting '" + id + "'");
  timer.Succeeded();
  return {};
}

Status Engine::Move(edgesec_key_kind kind, const std::string& from, const std::string& to) {
  KeyOpTimer timer(metrics_, KeyOp::kMove);
  edgesec_error err{};
  edgesec_status st = table_->move_key(ctx_, kind, from.c_str(), to.c_str(), &err);
  if (st != EDGESEC_OK) return ToError(st, err, "moving '" + from + "' to '" + to + "'");
  timer.Succeeded();
  return {};
}

Expected<std::vector<Engine::Listed>> Engine::List() {
  std::vector<Listed> out;
  edgesec_error err{};
  auto cb = [](void* user, const char* id, edgesec_key_kind kind, const char* algorithm) -> int {
    static_cast<std::vector<Listed>*>(user)->push_back(
        Listed{id, kind, algorithm ? algorithm : ""});
    return 0;
  };
  edgesec_status st = table_->list_keys(ctx_, cb, &out, &err);
  if (st != EDGESEC_OK) return ToError(st, err, "listing keys");
  return out;
}

}  // namespace edgesec::keyd
