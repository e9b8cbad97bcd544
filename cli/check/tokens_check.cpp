// The hardware behind keyd answers: when keyd's config uses the pkcs11, tpm or a vendor engine,
// every key keyd lists on it gives its public key (a call that reaches the token or the TPM). For
// pkcs11, before that: SoftHSM2's config and token directory are keyd's user's to use, and every
// pkcs11: URI of keyd's config names a token the module has.
#include <map>
#include <set>
#include <variant>

#include "cli/check/check.hpp"
#include "config/keyd/config.hpp"
#include "config/super/super.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::cli::check {
namespace {

std::string EngineHint(const std::string& engine) {
  if (engine == "pkcs11")
    return "check keyd's [pkcs11] lib_path, base_slot and PIN, and that the token is present "
           "(pkcs11-tool --module LIB --list-slots)";
  if (engine == "tpm")
    return "check keyd's [tpm] tcti and that the TPM is reachable by keyd's user "
           "(/dev/tpmrm0, or tpm2-abrmd running)";
  return "check keyd's [engines." + engine + "] path and options, and keyd's log";
}

// The pkcs11 engine's module, before keyd uses it: SoftHSM2 under keyd's user, and the tokens that
// keyd's pkcs11: URIs name. Returns false when a problem was reported.
bool CheckPkcs11Module(Env& env, Report& report, const keyd::KeydConfig& config) {
  auto it = config.builtin_engines.find("pkcs11");
  if (it == config.builtin_engines.end()) return true;
  const auto* section = std::get_if<keyd::Pkcs11EngineSection>(&it->second);
  if (section == nullptr) return true;
  bool ok = true;
  ServiceUser user = env.UserOf("keyd");
  if (user.exists)
    for (const auto& p : config::super::SofthsmAccessProblems(section->lib_path, user.name)) {
      size_t fix = p.rfind("; ");
      report.Fail(
          "token-pkcs11:softhsm", p.substr(0, fix),
          (fix == std::string::npos ? p : p.substr(fix + 2)) + " && " + env.RestartHint("keyd"));
      ok = false;
    }
  std::vector<std::pair<std::string, std::string>> uris = {
      {"[pkcs11] base_slot", section->base_slot}};
  for (const auto& [id, uri] : config.preloaded_keys)
    uris.emplace_back("[preloaded_keys] " + id, uri);
  for (const auto& p : config::super::Pkcs11SlotProblems(section->lib_path, uris)) {
    report.Fail("token-pkcs11:slot", p,
                "name a token that exists in keyd's config (or config.toml, then edgectl config "
                "apply), then " +
                    env.RestartHint("keyd"));
    ok = false;
  }
  return ok;
}

}  // namespace

void CheckTokens(Env& env, Report& report) {
  auto config = keyd::LoadKeydConfig(env.layout);
  if (!config) {
    report.Skip("tokens", "keyd's config does not load (see the config check): tokens not checked");
    return;
  }
  std::set<std::string> engines;
  for (const auto& [name, section] : config->builtin_engines)
    if (name != "file") engines.insert(name);
  for (const auto& e : config->engines) engines.insert(e.name);
  if (engines.empty()) {
    report.Skip("tokens", "keyd uses no PKCS#11 token, TPM or vendor engine");
    return;
  }
  if (!CheckPkcs11Module(env, report, *config)) return;
  if (!env.Reachable("keyd")) {
    report.Skip("tokens", "keyd is not reachable: its engines not checked", env.StartHint("keyd"));
    return;
  }
  keyd::KeydClient keyd(env.layout.Socket("keyd"));
  auto keys = keyd.ListKeyPairs();
  if (!keys) {
    report.Fail("tokens", "keyd does not list its key pairs: " + keys.error().message,
                "run edgectl check as root, or see keyd's log");
    return;
  }
  std::map<std::string, int> answered;
  std::set<std::string> failed;
  for (const auto& k : *keys) {
    if (!engines.count(k.engine)) continue;
    auto handle = keyd.GetKeyPair(k.key_id);
    auto pub = handle ? keyd.PublicKey(*handle) : Expected<EvpPkeyPtr>(handle.error());
    if (pub) {
      ++answered[k.engine];
      continue;
    }
    failed.insert(k.engine);
    report.Fail("token-" + k.engine + ":" + k.key_id,
                "key '" + k.key_id + "' on engine '" + k.engine +
                    "' does not answer: " + pub.error().message,
                EngineHint(k.engine));
  }
  for (const auto& e : engines) {
    if (failed.count(e)) continue;
    if (answered[e] == 0)
      report.Pass("token-" + e, "engine '" + e + "' is configured and keyd runs; no key on it yet");
    else
      report.Pass("token-" + e, "engine '" + e + "': " + std::to_string(answered[e]) +
                                    " key(s) answer through keyd");
  }
}

}  // namespace edgesec::cli::check
