#include "keyd/engines/pkcs11/token.hpp"

namespace edgesec::keyd::engines::pkcs11 {
namespace {

constexpr size_t kMaxIdleSessions = 32;

std::string Trimmed(const unsigned char* data, size_t len) {
  std::string s(reinterpret_cast<const char*>(data), len);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

bool Matches(const TokenFields& want, ck_slot_id_t slot, const ck_token_info& info) {
  auto same = [](const std::optional<std::string>& w, const unsigned char* data, size_t len) {
    return !w || *w == Trimmed(data, len);
  };
  return (!want.slot_id || *want.slot_id == slot) &&
         same(want.label, info.label, sizeof info.label) &&
         same(want.manufacturer, info.manufacturer_id, sizeof info.manufacturer_id) &&
         same(want.serial, info.serial_number, sizeof info.serial_number) &&
         same(want.model, info.model, sizeof info.model);
}

// A missing token is worth a module reopen: it may be back (SoftHSM2 rescans its directory only
// then).
Error TokenMissing(const std::string& message) {
  Status marked = Check(CKR_TOKEN_NOT_PRESENT, "finding the token");
  (void)marked;
  return NotFound(message);
}

}  // namespace

Token::Token(std::shared_ptr<Module> module, TokenFields fields, std::optional<Secret> pin)
    : module_(std::move(module)), fields_(std::move(fields)), pin_(std::move(pin)) {}

Token::~Token() {
  std::shared_lock lock(module_->mutex());
  std::lock_guard guard(mutex_);
  if (ready_generation_ != module_->generation())
    return;  // those sessions died with the old generation
  for (ck_session_handle_t s : idle_) module_->f().C_CloseSession(s);
}

std::string Token::Label() const {
  std::lock_guard lock(mutex_);
  return label_.empty() ? Describe() : "token '" + label_ + "'";
}

Status Token::Connect() {
  auto ok = Run<bool>([](const Call&) -> Expected<bool> { return true; });
  if (!ok) return ok.error();
  return {};
}

Expected<ck_slot_id_t> Token::FindSlot(const ck_function_list& f) {
  unsigned long n = 0;
  EDGESEC_TRY(Check(f.C_GetSlotList(1, nullptr, &n), "C_GetSlotList"));
  std::vector<ck_slot_id_t> slots(n);
  EDGESEC_TRY(Check(f.C_GetSlotList(1, slots.data(), &n), "C_GetSlotList"));
  slots.resize(n);
  std::vector<std::pair<ck_slot_id_t, std::string>> found;
  for (ck_slot_id_t slot : slots) {
    ck_token_info info{};
    if (f.C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    if ((info.flags & CKF_TOKEN_INITIALIZED) == 0) continue;
    if (Matches(fields_, slot, info))
      found.emplace_back(slot, Trimmed(info.label, sizeof info.label));
  }
  if (found.empty())
    return TokenMissing("no PKCS#11 token matches " + Describe() + " in module '" +
                        module_->path() + "'");
  if (found.size() > 1)
    return InvalidParameter("the pkcs11: URI is ambiguous: " + std::to_string(found.size()) +
                            " tokens match " + Describe() +
                            "; add serial= or slot-id= to name one");
  label_ = found[0].second;
  return found[0].first;
}

Status Token::Login(const ck_function_list& f, ck_session_handle_t session, ck_slot_id_t slot) {
  ck_token_info info{};
  EDGESEC_TRY(Check(f.C_GetTokenInfo(slot, &info), "C_GetTokenInfo"));
  if ((info.flags & CKF_LOGIN_REQUIRED) == 0) return {};
  std::string who = "token '" + label_ + "'";
  if (!pin_)
    return MakeError(ErrorKind::kConfig,
                     who + " needs a PIN: add pin-value or pin-source=file:… to its pkcs11: URI");
  ck_rv_t rv = f.C_Login(session, CKU_USER, const_cast<unsigned char*>(pin_->data()), pin_->size());
  if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) return {};
  Status failed = Check(rv, "C_Login");
  if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE)
    return MakeError(ErrorKind::kConfig,
                     "login to " + who + " failed: the PIN is wrong (" + RvName(rv) + ")");
  if (rv == CKR_PIN_LOCKED)
    return MakeError(ErrorKind::kConfig,
                     "login to " + who + " failed: the PIN is locked (CKR_PIN_LOCKED)");
  return failed.error().Context("login to " + who);
}

Expected<ck_session_handle_t> Token::Acquire(uint64_t generation) {
  const ck_function_list& f = module_->f();
  std::lock_guard lock(mutex_);
  if (ready_generation_ == generation && !idle_.empty()) {
    ck_session_handle_t s = idle_.back();
    idle_.pop_back();
    return s;
  }
  if (ready_generation_ != generation) {
    idle_.clear();  // handles of an earlier generation are gone with it
    EDGESEC_ASSIGN_OR_RETURN(slot_, FindSlot(f));
  }
  ck_session_handle_t session = 0;
  EDGESEC_TRY(
      Check(f.C_OpenSession(slot_, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session),
            "opening a session on token '" + label_ + "'"));
  if (ready_generation_ != generation) {
    if (Status st = Login(f, session, slot_); !st) {
      f.C_CloseSession(session);
      return st.error();
    }
    ready_generation_ = generation;
  }
  return session;
}

void Token::Release(ck_session_handle_t session, uint64_t generation, bool reusable) {
  std::lock_guard lock(mutex_);
  if (generation != ready_generation_) return;
  if (reusable && idle_.size() < kMaxIdleSessions) {
    idle_.push_back(session);
    return;
  }
  module_->f().C_CloseSession(session);
}

}  // namespace edgesec::keyd::engines::pkcs11
