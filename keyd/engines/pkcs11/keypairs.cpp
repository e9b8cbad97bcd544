// Key pairs made on the token, their public halves, and delete / move / list of every key keyd
// made.
#include <set>

#include "common/ids.hpp"
#include "keyd/engines/pkcs11/operations.hpp"

namespace edgesec::keyd::engines::pkcs11 {
namespace {

ck_attribute Attr(unsigned long type, const void* data, size_t len) {
  return ck_attribute{type, const_cast<void*>(data), len};
}

const unsigned char kTrue = 1;
const unsigned char kFalse = 0;
const unsigned char kRsaExponent[] = {0x01, 0x00, 0x01};

unsigned long ClassOf(edgesec_key_kind kind) {
  return kind == EDGESEC_KEY_PAIR ? CKO_PRIVATE_KEY : CKO_SECRET_KEY;
}

// Every object keyd made for `key_id` of this kind: private and public key, or the secret key.
Expected<std::vector<ck_object_handle_t>> ObjectsOf(const Call& c, edgesec_key_kind kind,
                                                    const Locator& where) {
  EDGESEC_ASSIGN_OR_RETURN(auto objects, FindObjects(c, ClassOf(kind), where));
  if (kind == EDGESEC_KEY_PAIR) {
    EDGESEC_ASSIGN_OR_RETURN(auto pubs, FindObjects(c, CKO_PUBLIC_KEY, where));
    objects.insert(objects.end(), pubs.begin(), pubs.end());
  }
  return objects;
}

}  // namespace

void DestroyAll(const Call& c, const std::vector<ck_object_handle_t>& objects) {
  for (ck_object_handle_t o : objects) c.f.C_DestroyObject(c.session, o);
}

bool CanGenerate(const std::string& a) {
  return a == "ec-p256" || a == "ec-p384" || a == "rsa-2048" || a == "rsa-3072" || a == "rsa-4096";
}

Status GenerateKeyPair(Context& ctx, const std::string& key_id, const std::string& algorithm) {
  Context::Where where = ctx.KeyPairAt(key_id);
  bool ec = algorithm.rfind("ec-", 0) == 0;
  Bytes ec_params = EcParamsFor(algorithm);
  unsigned long bits = ec ? 0 : std::stoul(algorithm.substr(4));
  const std::string& label = *where.locator.label;
  const Bytes& id = *where.locator.id;
  auto done = where.token->Run<bool>([&](const Call& c) -> Expected<bool> {
    EDGESEC_ASSIGN_OR_RETURN(auto old, ObjectsOf(c, EDGESEC_KEY_PAIR, where.locator));
    std::vector<ck_attribute> pub = {
        Attr(CKA_TOKEN, &kTrue, 1), Attr(CKA_PRIVATE, &kFalse, 1), Attr(CKA_VERIFY, &kTrue, 1),
        Attr(CKA_LABEL, label.data(), label.size()), Attr(CKA_ID, id.data(), id.size())};
    std::vector<ck_attribute> priv = {
        Attr(CKA_TOKEN, &kTrue, 1),        Attr(CKA_PRIVATE, &kTrue, 1),
        Attr(CKA_SENSITIVE, &kTrue, 1),    Attr(CKA_EXTRACTABLE, &kFalse, 1),
        Attr(CKA_SIGN, &kTrue, 1),         Attr(CKA_LABEL, label.data(), label.size()),
        Attr(CKA_ID, id.data(), id.size())};
    ck_mechanism mech{};
    if (ec) {
      mech.mechanism = CKM_EC_KEY_PAIR_GEN;
      pub.push_back(Attr(CKA_EC_PARAMS, ec_params.data(), ec_params.size()));
    } else {
      mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
      pub.push_back(Attr(CKA_MODULUS_BITS, &bits, sizeof bits));
      pub.push_back(Attr(CKA_PUBLIC_EXPONENT, kRsaExponent, sizeof kRsaExponent));
      pub.push_back(Attr(CKA_ENCRYPT, &kTrue, 1));
      priv.push_back(Attr(CKA_DECRYPT, &kTrue, 1));
    }
    ck_object_handle_t pub_handle = 0, priv_handle = 0;
    EDGESEC_TRY(Check(c.f.C_GenerateKeyPair(c.session, &mech, pub.data(), pub.size(), priv.data(),
                                            priv.size(), &pub_handle, &priv_handle),
                      "generating an " + algorithm + " key pair on token '" + label + "'"));
    DestroyAll(c, old);  // replaced: a key id names one key pair
    return true;
  });
  ctx.Forget(key_id);
  if (!done) return done.error();
  return {};
}

Expected<PublicKeyPair> GetKeyPair(Context& ctx, const std::string& key_id) {
  Context::Where where = ctx.KeyPairAt(key_id);
  return where.token->Run<PublicKeyPair>([&](const Call& c) -> Expected<PublicKeyPair> {
    EDGESEC_ASSIGN_OR_RETURN(PrivateKey key, ctx.KeyPair(c, key_id, where));
    auto spki = PublicKeySpki(c, key, where.locator);
    if (!spki) {
      ctx.Forget(key_id);  // perhaps a stale handle
      return spki.error();
    }
    return PublicKeyPair{key.algorithm, std::move(*spki)};
  });
}

Status DeleteKey(Context& ctx, edgesec_key_kind kind, const std::string& key_id) {
  Context::Where where = kind == EDGESEC_KEY_PAIR ? ctx.KeyPairAt(key_id) : ctx.SecretAt(key_id);
  auto done = where.token->Run<bool>([&](const Call& c) -> Expected<bool> {
    EDGESEC_ASSIGN_OR_RETURN(auto objects, FindObjects(c, ClassOf(kind), where.locator));
    if (objects.empty()) return NotFound(where.what + " does not exist");
    EDGESEC_ASSIGN_OR_RETURN(auto all, ObjectsOf(c, kind, where.locator));
    for (ck_object_handle_t o : all)
      EDGESEC_TRY(Check(c.f.C_DestroyObject(c.session, o), "C_DestroyObject"));
    return true;
  });
  ctx.Forget(key_id);
  if (!done) return done.error();
  return {};
}

Status MoveKey(Context& ctx, edgesec_key_kind kind, const std::string& from,
               const std::string& to) {
  Context::Where source = kind == EDGESEC_KEY_PAIR ? ctx.KeyPairAt(from) : ctx.SecretAt(from);
  Locator target = LocatorForKeyId(to);
  auto done = source.token->Run<bool>([&](const Call& c) -> Expected<bool> {
    EDGESEC_ASSIGN_OR_RETURN(auto primary, FindObjects(c, ClassOf(kind), source.locator));
    if (primary.empty()) return NotFound(source.what + " does not exist");
    EDGESEC_ASSIGN_OR_RETURN(auto moving, ObjectsOf(c, kind, source.locator));
    EDGESEC_ASSIGN_OR_RETURN(auto replaced, ObjectsOf(c, kind, target));
    // Relabel every object of `from`; on failure put back those already done, so the key stays put.
    for (size_t i = 0; i < moving.size(); ++i) {
      Status st = Relabel(c, moving[i], *target.label, *target.id);
      if (!st) {
        for (size_t j = 0; j < i; ++j)
          (void)Relabel(c, moving[j], *source.locator.label, *source.locator.id);
        return st.error();
      }
    }
    DestroyAll(c, replaced);
    return true;
  });
  ctx.Forget(from);
  ctx.Forget(to);
  if (!done) return done.error();
  return {};
}

Expected<std::vector<ListedKey>> ListKeys(Context& ctx) {
  auto listed = ctx.base().Run<std::vector<ListedKey>>(
      [&](const Call& c) -> Expected<std::vector<ListedKey>> {
        std::vector<ListedKey> out;
        for (edgesec_key_kind kind : {EDGESEC_KEY_PAIR, EDGESEC_KEY_SECRET}) {
          EDGESEC_ASSIGN_OR_RETURN(auto objects, FindObjects(c, ClassOf(kind), Locator{}));
          for (ck_object_handle_t o : objects) {
            // Only keys keyd made: label a valid key id and CKA_ID derived from it.
            auto label = GetAttribute(c, o, CKA_LABEL);
            auto id = GetAttribute(c, o, CKA_ID);
            if (!label || !id) continue;
            std::string key_id(label->begin(), label->end());
            if (!IsValidId(key_id) || *id != CkaIdForKeyId(key_id) || ctx.IsPreloaded(key_id))
              continue;
            std::string algorithm;
            if (kind == EDGESEC_KEY_PAIR) {
              auto described = DescribePrivateKey(c, o);
              if (!described) continue;
              algorithm = described->algorithm;
            }
            out.push_back({key_id, kind, algorithm});
          }
        }
        return out;
      });
  if (!listed) return listed.error();
  for (const std::string& id : ctx.PreloadedIds()) {
    auto pub = GetKeyPair(ctx, id);
    if (pub)
      listed->push_back(
          {id, EDGESEC_KEY_PAIR, pub->algorithm});  // an unusable one is reported on use
  }
  return listed;
}

}  // namespace edgesec::keyd::engines::pkcs11
