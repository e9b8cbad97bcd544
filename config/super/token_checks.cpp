// pkcs11: URIs against the tokens the module has now (C_GetSlotList with tokens present,
// C_GetTokenInfo): a URI whose token fields (token, manufacturer, serial, model, slot-id) match no
// initialized token would make keyd fail at start. The module is loaded in this process only to
// list its tokens (no login, no session) and unloaded at once.
#define CRYPTOKI_GNU 1
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include "config/keyd/pkcs11_uri.hpp"
#include "config/super/super.hpp"

namespace edgesec::config::super {
namespace {

struct TokenSeen {
  unsigned long slot = 0;
  std::string label, manufacturer, serial, model;
};

std::string Trimmed(const unsigned char* data, size_t len) {
  std::string s(reinterpret_cast<const char*>(data), len);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

// The initialized tokens of the module; nullopt when it cannot be loaded or initialized (keyd
// reports that itself, with the module's reason).
std::optional<std::vector<TokenSeen>> ListTokens(const std::string& lib_path) {
  void* dl = ::dlopen(lib_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (dl == nullptr) return std::nullopt;
  using GetList = ck_rv_t (*)(ck_function_list**);
  auto get = reinterpret_cast<GetList>(::dlsym(dl, "C_GetFunctionList"));
  ck_function_list* f = nullptr;
  std::optional<std::vector<TokenSeen>> out;
  ck_c_initialize_args args{};
  args.flags = CKF_OS_LOCKING_OK;
  if (get != nullptr && get(&f) == CKR_OK && f != nullptr) {
    ck_rv_t rv = f->C_Initialize(&args);
    unsigned long n = 0;
    if ((rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) &&
        f->C_GetSlotList(1, nullptr, &n) == CKR_OK) {
      std::vector<ck_slot_id_t> slots(n);
      if (f->C_GetSlotList(1, slots.data(), &n) == CKR_OK) {
        out.emplace();
        slots.resize(n);
        for (ck_slot_id_t slot : slots) {
          ck_token_info info{};
          if (f->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
          if ((info.flags & CKF_TOKEN_INITIALIZED) == 0) continue;
          out->push_back({slot, Trimmed(info.label, sizeof info.label),
                          Trimmed(info.manufacturer_id, sizeof info.manufacturer_id),
                          Trimmed(info.serial_number, sizeof info.serial_number),
                          Trimmed(info.model, sizeof info.model)});
        }
      }
    }
    if (rv == CKR_OK) f->C_Finalize(nullptr);
  }
  ::dlclose(dl);
  return out;
}

bool Matches(const keyd::TokenFields& want, const TokenSeen& t) {
  auto same = [](const std::optional<std::string>& w, const std::string& have) {
    return !w || *w == have;
  };
  return (!want.slot_id || *want.slot_id == t.slot) && same(want.label, t.label) &&
         same(want.manufacturer, t.manufacturer) && same(want.serial, t.serial) &&
         same(want.model, t.model);
}

std::string Describe(const std::vector<TokenSeen>& tokens) {
  if (tokens.empty()) return "the module has no initialized token";
  std::string text = "its tokens are:";
  for (const auto& t : tokens)
    text += " slot-id=" + std::to_string(t.slot) + " (token '" + t.label + "', serial '" +
            t.serial + "')";
  return text;
}

}  // namespace

std::vector<std::string> Pkcs11SlotProblems(
    const std::string& lib_path, const std::vector<std::pair<std::string, std::string>>& uris) {
  std::vector<std::string> problems;
  std::vector<std::pair<std::string, keyd::Pkcs11Uri>> parsed;
  for (const auto& [what, uri] : uris) {
    if (uri.rfind("pkcs11:", 0) != 0) continue;
    auto p = keyd::ParsePkcs11Uri(uri);
    if (p && !p->token.Empty()) parsed.emplace_back(what, std::move(*p));
  }
  if (parsed.empty() || lib_path.empty()) return problems;
  auto tokens = ListTokens(lib_path);
  if (!tokens) return problems;
  for (const auto& [what, uri] : parsed) {
    bool found = false;
    for (const auto& t : *tokens) found = found || Matches(uri.token, t);
    if (!found)
      problems.push_back(what + ": '" + uri.redacted + "' names no token of '" + lib_path +
                         "' (" + uri.token.Describe() + "); " + Describe(*tokens) +
                         "; name one of them (pkcs11-tool --module " + lib_path +
                         " --list-slots)");
  }
  return problems;
}

}  // namespace edgesec::config::super
