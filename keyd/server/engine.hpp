#pragma once
// A key engine behind the C ABI, seen from keyd: the built-in file engine or a vendor shared object
// loaded with dlopen. Engine statuses become Errors here, and only here.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/ossl.hpp"
#include "edgesec/key_engine.h"
#include "keyd/server/engine_metrics.hpp"

namespace edgesec::keyd {

class Engine {
 public:
  // Loads a vendor engine; kConfig naming the path and the reason (missing file, missing entry
  // point, wrong ABI version).
  static Expected<std::unique_ptr<Engine>> Load(const std::string& name, const std::string& path,
                                                const std::string& options_json);
  static Expected<std::unique_ptr<Engine>> Builtin(const std::string& name,
                                                   const edgesec_key_engine* table,
                                                   const std::string& options_json);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const std::string& name() const { return name_; }
  uint32_t security_level() const { return security_level_; }
  void set_security_level(uint32_t level) { security_level_ = level; }

  Status GenerateKeyPair(const std::string& id, const std::string& algorithm);
  Status ImportKeyPair(const std::string& id, const Bytes& pkcs8);
  struct KeyPairPublic {
    std::string algorithm;
    Bytes spki;
  };
  Expected<KeyPairPublic> GetKeyPair(const std::string& id);
  Expected<Bytes> Sign(const std::string& id, edgesec_mechanism mechanism, const Bytes& in);
  Status CreateSecret(const std::string& id, uint32_t usage, const Bytes* key_bytes);
  Expected<uint32_t> GetSecret(const std::string& id);
  Expected<Bytes> SecretOp(const std::string& id, edgesec_secret_op op, const Bytes& iv,
                           const Bytes& aad, const Bytes& in);
  Status Delete(edgesec_key_kind kind, const std::string& id);
  Status Move(edgesec_key_kind kind, const std::string& from, const std::string& to);
  struct Listed {
    std::string id;
    edgesec_key_kind kind;
    std::string algorithm;
  };
  Expected<std::vector<Listed>> List();

 private:
  Engine(std::string name, void* dl, const edgesec_key_engine* table, void* ctx);
  Error ToError(edgesec_status status, const edgesec_error& err, const std::string& what) const;
  std::string name_;
  void* dl_;
  const edgesec_key_engine* table_;
  void* ctx_;
  uint32_t security_level_;
  EngineMetrics metrics_;
};

}  // namespace edgesec::keyd
