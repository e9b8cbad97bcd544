#pragma once
// edgectl provision (factory batches) and provision device (one identity on this device): shared
// between cli/provision_*.cpp. docs/provisioning.md describes the commands, the directory layout
// and the exit codes.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli.hpp"
#include "common/error.hpp"
#include "common/ossl.hpp"
#include "common/x509/pem.hpp"
#include "keyd/client/keyd_client.hpp"

namespace edgesec::cli::provision {

// Device numbers are zero-padded to this width, whatever --count is, so that a rerun with a larger
// count names the existing devices alike: "device-000001".
inline constexpr int kIdWidth = 6;
inline constexpr long kMaxCount = 999999;

struct BatchArgs {
  std::string ca_cert, ca_key, out, manifest, engine = "file", prefix = "device";
  std::string key_type = "ec-p256";
  long count = 0;
  int days = 365;
};

// The batch's options from the command line, checked: kInvalidParameter naming the option.
Expected<BatchArgs> ParseBatchArgs(const Context& ctx);
// --prefix: 1–40 of [A-Za-z0-9_.], starting with a letter or digit ('-' would make ids ambiguous).
Status CheckPrefix(const std::string& prefix);
Status CheckKeyType(const std::string& key_type);
Expected<int> ParseDays(const std::string& text);
// "<prefix>-<n>" with n zero-padded to kIdWidth.
std::string DeviceId(const std::string& prefix, long n);
// The number of a device id of `prefix`, or 0 when `name` is not one ("device-000012" → 12).
long DeviceNumber(const std::string& prefix, const std::string& name);

// The issuing CA: its certificate (and the chain above it, as in the file) and its signing key,
// a PEM file's or a keyd key's ("edgesec:KEY").
struct Ca {
  x509::Chain chain;  // [0] is the CA that signs
  EvpPkeyPtr key;
  std::shared_ptr<keyd::KeydClient> keyd;  // set for an edgesec: key
  std::string chain_pem;                   // appended to each leaf
};
// Checks that `cert_path` is a CA (basicConstraints CA:TRUE, keyCertSign), valid now, and that the
// key is its key; the errors name the file. A key file readable by group or others is refused.
Expected<Ca> LoadCa(const std::string& cert_path, const std::string& key_spec,
                    const Layout& layout);

struct LeafSpec {
  std::string device_id;
  EVP_PKEY* key = nullptr;  // the device's key (a keyd key through the provider, or a file key)
  int days = 365;
  int64_t now = 0;
};
// The device's certificate: CN = device id, a random 128-bit serial, clientAuth, digitalSignature,
// SKI/AKI, not after the CA's own notAfter.
Expected<X509Ptr> IssueLeaf(const Ca& ca, const LeafSpec& spec);

// One manifest row (docs/provisioning.md): serial and fingerprint as `openssl x509 -serial
// -fingerprint -sha256` prints them, not-after in RFC 3339 UTC.
struct ManifestRow {
  std::string device_id, serial, sha256, not_after;
};
inline constexpr const char* kManifestHeader = "device_id,serial,sha256_fingerprint,not_after";
Expected<ManifestRow> RowOf(const std::string& device_id, X509* cert);
// Header and rows sorted by device id, each id once (the last row of an id wins).
std::string ManifestText(std::vector<ManifestRow> rows);
// The inverse, for tests and for checking a manifest: kInvalidParameter naming the line.
Expected<std::vector<ManifestRow>> ParseManifest(const std::string& text);

// The keyd client for edgectl's layout.
std::shared_ptr<keyd::KeydClient> KeydFor(const Layout& layout);
// A key pair `key_id` in keyd that must be in `engine` (keyd's config decides where keys go):
// created when absent unless `must_be_new`, refused (and, when it was made here, deleted) when keyd
// put it in another engine. The key as an EVP_PKEY whose private operations are keyd calls.
Expected<EvpPkeyPtr> KeydKey(const std::shared_ptr<keyd::KeydClient>& keyd,
                             const std::string& key_id, const std::string& key_type,
                             const std::string& engine, bool must_be_new);

int RunBatch(Context& ctx);   // provision_batch.cpp
int RunDevice(Context& ctx);  // provision_device.cpp

}  // namespace edgesec::cli::provision
