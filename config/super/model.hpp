#pragma once
// The super config (/etc/edgesec/config.toml, DESIGN.md "Configuration") as read by
// ReadSuperConfig: the keys integrators know from IoT Edge plus edgesec's own, every one documented
// in config/examples/config.toml. Apply() turns it into the three per-service configs.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/certd/issuance_method.hpp"

namespace edgesec::config::super {

// A renewal policy as the seeds write it ([….auto_renew]); unset fields keep certd's defaults.
struct RenewPolicy {
  std::optional<std::string> threshold, retry;
  std::optional<bool> rotate_key;
  std::optional<bool> enabled;  // edgesec: false turns automatic renewal off
};

// Where an issued certificate's EST request goes and how it authenticates, when it differs from
// [cert_issuance.est].
struct EstOverrides {
  std::string url;
  std::string url_position;  // "file:line:col: 'dotted.key'" of the url
  std::string username;
  std::optional<std::string> password;
  std::string password_file;
};

// A certificate edgesec issues and renews: the Edge CA with `method`, the device identity of
// [provisioning.authentication.identity_cert].
struct IssuedCert {
  certd::IssuanceMethod method = certd::IssuanceMethod::kSelfSigned;  // est, local_ca, self_signed
  std::vector<std::pair<std::string, std::string>> subject;  // CN first when common_name is given
  std::optional<int64_t> expiry_days;
  std::string algorithm;  // ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096; empty: certd's default
  std::vector<std::string> sans;
  // est: enroll through /serverkeygen (the EST server makes the key); unset: [cert_issuance.est]'s.
  std::optional<bool> server_keygen;
  EstOverrides est;
  std::optional<RenewPolicy> auto_renew;
  std::string position;  // "file:line:col: 'dotted.method'", for cross-section errors
};

struct EdgeCa {
  enum class Mode { kQuickstart, kFiles, kIssued } mode = Mode::kQuickstart;
  std::optional<int64_t> quickstart_expiry_days;  // auto_generated_edge_ca_expiry_days
  std::string cert, pk;                           // kFiles: file:// (cert), file:// or pkcs11: (pk)
  IssuedCert issued;                              // kIssued
  std::optional<RenewPolicy> auto_renew;          // quickstart and issued
  std::vector<std::string> on_change;             // command run when the Edge CA changes
};

struct DeviceIdentity {
  enum class Mode { kNone, kFiles, kIssued } mode = Mode::kNone;
  std::string cert, pk;  // kFiles
  IssuedCert issued;     // kIssued
};

struct Est {
  bool present = false;
  std::vector<std::string> trusted_certs;  // file:// URIs or absolute paths
  std::string url;                         // [cert_issuance.est.urls] default, as written
  std::string label;                       // edgesec: CA label (else taken from the URL)
  std::optional<std::string> max_wait;     // edgesec: longest 202 + Retry-After wait
  std::string username;
  std::optional<std::string> password;
  std::string password_file;
  // Bootstrap identity and EST identity: cert file:// URI or name, key file:// / pkcs11: URI or
  // name.
  std::string bootstrap_cert, bootstrap_pk, identity_cert, identity_pk;
  std::string identity_common_name;
  std::optional<RenewPolicy> identity_auto_renew;
  std::string identity_auto_renew_position;  // "file:line:col: 'dotted.key'", for a warning
  bool server_keygen = false;  // edgesec: the default of the issued certs' server_keygen
};

struct LocalCa {
  std::string cert, pk;  // file:// URIs (preloaded) or ids of certd's store / keyd
};

struct Keys {
  std::string pkcs11_lib_path, pkcs11_base_slot;
  std::optional<int64_t> pkcs11_security_level;
  // Directories the PKCS#11 module writes (keyd's sandbox must allow them); unset: SoftHSM2's.
  std::optional<std::vector<std::string>> pkcs11_state_dirs;
  std::string default_engine;  // empty: "pkcs11" with a base slot, else "file"
  std::string default_engine_position;
  std::string preferred_algorithms;
};

struct Tpm {
  std::string tcti;
  std::string owner_auth_file;
  std::optional<std::string> owner_auth;  // [tpm.hierarchy_authorization] owner (IoT Edge)
  std::optional<int64_t> persistent_handle;
  std::optional<int64_t> security_level;
};

struct VendorEngine {
  std::string name, path, options;
  std::optional<int64_t> security_level;
};

struct KeyEngineRule {
  std::vector<std::string> keys;
  std::string engine;
  std::string position;
};

struct Principal {
  std::optional<int64_t> uid;
  std::string name;
  std::vector<std::string> keys, certs, modules;
  std::string idtype;    // "device" | "module" | empty
  std::string position;  // "file:line:col" of the entry, for cross-check errors
};

struct Profile {
  std::string name;
  std::optional<int64_t> validity_days, pathlen;
  std::optional<std::vector<std::string>> key_usage, extended_key_usage;
  std::optional<std::string> san;
  std::optional<bool> ca;
};

struct ModuleCerts {
  std::optional<int64_t> validity_days;
  std::string algorithm;
};

// A file the services will read, for the cross-checks: it must exist and be readable by `user`.
struct FileRef {
  std::string path;
  std::string service;   // "keyd", "certd", "identityd"
  std::string position;  // "file:line:col: 'dotted.key'"
};

// [aziot_max_requests] / [iotedge_max_requests]: the requests one uid may have at once on each
// socket (common/http/uid_limit.hpp); unset: the service's default (10).
struct MaxRequestLimits {
  std::optional<int64_t> keyd, certd, identityd, workload;
};

// [revocation] (edgesec): certd's lookup of the certs it holds in their OCSP responders and CRLs
// (docs/certd.md, "Revocation"); unset: certd's defaults (on, refresh 24h without nextUpdate).
struct RevocationSettings {
  std::optional<bool> check;
  std::optional<std::string> refresh;  // a span: "12h", "1d"
};

struct SuperConfig {
  std::string hostname;
  std::string trust_bundle_cert;
  std::string manifest_trust_bundle_cert;  // file:// URI; identityd serves it on the workload API
  std::vector<std::string> expiry_warnings;
  DeviceIdentity device;
  Est est;
  std::optional<LocalCa> local_ca;
  EdgeCa edge_ca;
  Keys keys;
  std::optional<Tpm> tpm;
  std::map<std::string, std::string> preloaded_keys, preloaded_certs;
  std::vector<VendorEngine> engines;
  std::vector<KeyEngineRule> key_engines;
  std::vector<Principal> principals;
  std::vector<Profile> profiles;
  ModuleCerts module_certs;
  MaxRequestLimits max_requests;
  RevocationSettings revocation;
  std::vector<FileRef> files;
};

}  // namespace edgesec::config::super
