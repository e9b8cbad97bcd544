// edgectl key create|list|show|sign
#include <cstdio>

#include "cli/cli.hpp"
#include "common/base64.hpp"
#include "common/fs.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::cli {
namespace {

keyd::KeydClient Client(const Context& ctx) {
  return keyd::KeydClient(ctx.layout.Socket("keyd"));
}

struct KeyDetails {
  std::string algorithm, engine, security_level, public_pem;
};

Expected<KeyDetails> Details(keyd::KeydClient& client, const std::string& handle) {
  KeyDetails d;
  EDGESEC_ASSIGN_OR_RETURN(d.engine, client.GetParameter(handle, "engine"));
  EDGESEC_ASSIGN_OR_RETURN(d.security_level, client.GetParameter(handle, "security-level"));
  EDGESEC_ASSIGN_OR_RETURN(EvpPkeyPtr pub, client.PublicKey(handle));
  EDGESEC_ASSIGN_OR_RETURN(d.public_pem, PublicKeyToPem(pub.get()));
  int type = EVP_PKEY_get_base_id(pub.get());
  int bits = EVP_PKEY_get_bits(pub.get());
  d.algorithm = type == EVP_PKEY_EC    ? (bits == 384 ? "ec-p384" : "ec-p256")
                : type == EVP_PKEY_RSA ? "rsa-" + std::to_string(bits)
                                       : "ed25519";
  return d;
}

int Create(Context& ctx) {
  auto client = Client(ctx);
  const std::string& id = ctx.args[0];
  std::optional<std::string> algs;
  if (ctx.Has("--alg")) algs = ctx.Option("--alg");
  auto handle = client.CreateKeyPairIfNotExists(id, algs);
  if (!handle) return Fail("creating key pair '" + id + "': " + handle.error().message);
  auto d = Details(client, *handle);
  if (!d) return Fail(d.error().message);
  ctx.Print({{"keyId", id},
             {"keyHandle", *handle},
             {"algorithm", d->algorithm},
             {"engine", d->engine},
             {"securityLevel", d->security_level}},
            "key pair '" + id + "': " + d->algorithm + " in engine '" + d->engine + "' (" +
                d->security_level + ")");
  return kOk;
}

int List(Context& ctx) {
  auto client = Client(ctx);
  auto keys = client.ListKeyPairs();
  if (!keys) return Fail("listing keys: " + keys.error().message);
  Json j = Json::array();
  std::string text;
  char line[256];
  std::snprintf(line, sizeof line, "%-32s %-10s %-8s %s\n", "KEY ID", "ALGORITHM", "ENGINE",
                "LEVEL");
  text += line;
  for (const auto& k : *keys) {
    j.push_back({{"keyId", k.key_id},
                 {"algorithm", k.algorithm},
                 {"engine", k.engine},
                 {"securityLevel", "SL" + std::to_string(k.security_level)}});
    std::snprintf(line, sizeof line, "%-32s %-10s %-8s SL%u\n", k.key_id.c_str(),
                  k.algorithm.c_str(), k.engine.c_str(), k.security_level);
    text += line;
  }
  ctx.Print(Json{{"keys", j}}, text);
  return kOk;
}

int Show(Context& ctx) {
  auto client = Client(ctx);
  const std::string& id = ctx.args[0];
  auto handle = client.GetKeyPair(id);
  if (!handle) return Fail(handle.error().message);
  auto d = Details(client, *handle);
  if (!d) return Fail(d.error().message);
  ctx.Print({{"keyId", id},
             {"algorithm", d->algorithm},
             {"engine", d->engine},
             {"securityLevel", d->security_level},
             {"publicKey", d->public_pem}},
            "key id:         " + id + "\nalgorithm:      " + d->algorithm + "\nengine:         " +
                d->engine + "\nsecurity level: " + d->security_level + "\n" + d->public_pem);
  return kOk;
}

int Sign(Context& ctx) {
  auto client = Client(ctx);
  const std::string& id = ctx.args[0];
  Bytes data;
  if (ctx.Has("--data-file")) {
    auto text = fs::ReadFile(ctx.Option("--data-file"), 64 << 20);
    if (!text) return Fail(text.error().message);
    data.assign(text->begin(), text->end());
  } else if (ctx.Has("--data")) {
    std::string s = ctx.Option("--data");
    data.assign(s.begin(), s.end());
  } else {
    std::fprintf(stderr, "edgectl key sign: give --data TEXT or --data-file FILE\n");
    return kUsage;
  }
  std::optional<keyd::api::SignAlgorithm> chosen;
  if (ctx.Has("--alg")) {
    for (auto a : {keyd::api::SignAlgorithm::kEcdsa, keyd::api::SignAlgorithm::kRsaPkcs1Sha256,
                   keyd::api::SignAlgorithm::kRsaPssSha256, keyd::api::SignAlgorithm::kEdDsa})
      if (ctx.Option("--alg") == keyd::api::SignAlgorithmName(a)) chosen = a;
    if (!chosen) {
      std::fprintf(
          stderr,
          "edgectl key sign: --alg must be ECDSA, RSA-PKCS1-SHA256, RSA-PSS-SHA256 or EdDSA\n");
      return kUsage;
    }
  }
  auto handle = client.GetKeyPair(id);
  if (!handle) return Fail(handle.error().message);
  keyd::api::SignRequest req;
  req.key_handle = *handle;
  if (chosen) {
    req.algorithm = *chosen;
  } else {
    auto kind = client.GetParameter(*handle, "algorithm");
    if (!kind) return Fail(kind.error().message);
    req.algorithm = *kind == "ECDSA" ? keyd::api::SignAlgorithm::kEcdsa
                    : *kind == "RSA" ? keyd::api::SignAlgorithm::kRsaPkcs1Sha256
                                     : keyd::api::SignAlgorithm::kEdDsa;
  }
  std::string alg = keyd::api::SignAlgorithmName(req.algorithm);
  // The caller hashes (keys API): SHA-256 of the data, except EdDSA, which signs the message
  // itself.
  req.data =
      keyd::api::SignAlgorithmTakesMessage(req.algorithm) ? data : Sha256(data.data(), data.size());
  auto sig = client.Sign(req);
  if (!sig) return Fail("signing with '" + id + "': " + sig.error().message);
  if (ctx.Has("--out")) {
    std::string raw(sig->begin(), sig->end());
    if (auto st = fs::AtomicWriteFile(ctx.Option("--out"), raw, 0644); !st)
      return Fail(st.error().Describe());
  }
  ctx.Print({{"keyId", id}, {"algorithm", alg}, {"signature", Base64Encode(*sig)}},
            ctx.Has("--out") ? "signature (" + alg + ", " + std::to_string(sig->size()) +
                                   " bytes) written to '" + ctx.Option("--out") + "'"
                             : Base64Encode(*sig));
  return kOk;
}

}  // namespace

std::vector<Command> KeyCommands() {
  return {
      {{"key", "create"},
       "<key-id>",
       1,
       1,
       "create a key pair in keyd (kept if it exists)",
       {{"--alg", "ALGS", "preferred algorithms, e.g. ec-p256:rsa-2048:* (default: keyd's)"}},
       &Create},
      {{"key", "list"}, "", 0, 0, "list the key pairs you may use", {}, &List},
      {{"key", "show"},
       "<key-id>",
       1,
       1,
       "show a key pair's algorithm, engine, level and public key",
       {},
       &Show},
      {{"key", "sign"},
       "<key-id>",
       1,
       1,
       "sign data with a key pair (SHA-256 digest; EdDSA signs the data)",
       {{"--data", "TEXT", "the data to sign"},
        {"--data-file", "FILE", "a file whose content to sign"},
        {"--alg", "ALG", "ECDSA, RSA-PKCS1-SHA256, RSA-PSS-SHA256 or EdDSA (default: by key type)"},
        {"--out", "FILE", "write the raw signature (DER for ECDSA) to FILE"}},
       &Sign},
  };
}

}  // namespace edgesec::cli
