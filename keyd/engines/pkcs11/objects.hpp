#pragma once
// Objects on a token: finding them by class, label and CKA_ID, reading attributes, and what keyd
// needs to know about a key pair (its algorithm and public key as SubjectPublicKeyInfo).

#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/ossl.hpp"
#include "keyd/engines/pkcs11/token.hpp"

namespace edgesec::keyd::engines::pkcs11 {

// Which objects make up a key: a key keyd created has label = key id and CKA_ID = the first 16
// bytes of SHA-256(key id); a preloaded key is what its URI names.
struct Locator {
  std::optional<std::string> label;
  std::optional<Bytes> id;
};
Locator LocatorForKeyId(const std::string& key_id);
Bytes CkaIdForKeyId(const std::string& key_id);

Expected<std::vector<ck_object_handle_t>> FindObjects(const Call& c, unsigned long object_class,
                                                      const Locator& where);
// kNotFound when the token has no such attribute for this object.
Expected<Bytes> GetAttribute(const Call& c, ck_object_handle_t object, unsigned long type);
Expected<unsigned long> GetUlong(const Call& c, ck_object_handle_t object, unsigned long type);
bool GetBool(const Call& c, ck_object_handle_t object, unsigned long type);

// A private key, as the sign operations need it.
struct PrivateKey {
  ck_object_handle_t handle = 0;
  uint64_t generation = 0;
  unsigned long key_type = 0;  // CKK_EC or CKK_RSA
  std::string algorithm;       // "ec-p256", …
  size_t size = 0;             // RSA modulus bytes; EC field bytes
};
// kInvalidParameter for a key type or size keyd does not offer.
Expected<PrivateKey> DescribePrivateKey(const Call& c, ck_object_handle_t handle);
// kNotFound for `what`; when the token holds no objects at all it has most likely gone away
// (SoftHSM2 shows an empty token while its directory is missing, until the module is initialized
// again), so the failure is also marked recoverable (CKR_TOKEN_NOT_PRESENT) for Token::Run to
// reopen and retry.
Error NotFoundOnToken(const Call& c, const std::string& what);
// The one private key at `where`: kNotFound when none, kInvalidParameter when several match.
Expected<PrivateKey> FindPrivateKey(const Call& c, const Locator& where, const std::string& what);
// SubjectPublicKeyInfo DER, from the public key object next to `key` (same CKA_ID), else from the
// private key's own public attributes.
Expected<Bytes> PublicKeySpki(const Call& c, const PrivateKey& key, const Locator& where);

// DER OIDs of the curves keyd offers, as CKA_EC_PARAMS.
Bytes EcParamsFor(const std::string& algorithm);

// Sets label and CKA_ID on an object.
Status Relabel(const Call& c, ck_object_handle_t object, const std::string& label, const Bytes& id);

}  // namespace edgesec::keyd::engines::pkcs11
