#pragma once
// One token of a module, as the engine uses it: found by the fields of a pkcs11: URI, logged in
// once (CKU_USER) per module generation, with a pool of sessions so that concurrent requests each
// get one. Run() gives an operation a session; when the operation fails in a way that means the
// token went away or the module lost its state (IsRecoverable), the module is reopened and the
// operation retried once.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/secret.hpp"
#include "config/keyd/pkcs11_uri.hpp"
#include "keyd/engines/pkcs11/module.hpp"

namespace edgesec::keyd::engines::pkcs11 {

// What an operation gets from Token::Run.
struct Call {
  const ck_function_list& f;
  ck_session_handle_t session;
  uint64_t generation;  // object handles are valid only within one generation
};

class Token {
 public:
  Token(std::shared_ptr<Module> module, TokenFields fields, std::optional<Secret> pin);
  ~Token();
  Token(const Token&) = delete;
  Token& operator=(const Token&) = delete;

  // Finds the token and logs in now (at engine start), so that a wrong PIN or a missing token stops
  // keyd with a message naming the token.
  Status Connect();

  template <class T, class Op>
  Expected<T> Run(Op&& op) {
    for (int attempt = 0;; ++attempt) {
      uint64_t generation = 0;
      Expected<T> result = Internal("no attempt made");
      {
        std::shared_lock lock(module_->mutex());
        generation = module_->generation();
        ResetLastFailure();
        auto session = Acquire(generation);
        if (!session) {
          result = session.error();
        } else {
          result = op(Call{module_->f(), *session, generation});
          Release(*session, generation, result.has_value() || !IsRecoverable(LastFailure()));
        }
      }
      if (result || attempt == 1 || !IsRecoverable(LastFailure())) return result;
      if (Status st = module_->Reopen(generation); !st) return st.error();
    }
  }

  const TokenFields& fields() const { return fields_; }
  std::string Describe() const { return fields_.Describe(); }
  // The token's own label (known once connected), for messages.
  std::string Label() const;

 private:
  Expected<ck_session_handle_t> Acquire(uint64_t generation);
  void Release(ck_session_handle_t session, uint64_t generation, bool reusable);
  Expected<ck_slot_id_t> FindSlot(const ck_function_list& f);
  Status Login(const ck_function_list& f, ck_session_handle_t session, ck_slot_id_t slot);

  std::shared_ptr<Module> module_;
  TokenFields fields_;
  std::optional<Secret> pin_;
  mutable std::mutex mutex_;
  uint64_t ready_generation_ =
      UINT64_MAX;  // generation in which slot_ was found and the login done
  ck_slot_id_t slot_ = 0;
  std::string label_;
  std::vector<ck_session_handle_t> idle_;
};

}  // namespace edgesec::keyd::engines::pkcs11
