// edgectl provision …: the command table and the checks of its options.
#include <cctype>
#include <cstdio>

#include "cli/provision.hpp"
#include "common/x509/keygen.hpp"

namespace edgesec::cli {
namespace provision {

Status CheckPrefix(const std::string& prefix) {
  if (prefix.empty() || prefix.size() > 40)
    return InvalidParameter("--prefix '" + prefix + "' must be 1 to 40 characters long");
  if (!std::isalnum(static_cast<unsigned char>(prefix[0])))
    return InvalidParameter("--prefix '" + prefix + "' must start with a letter or a digit");
  for (char c : prefix)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.')
      return InvalidParameter("--prefix '" + prefix +
                              "' may hold only letters, digits, '_' and '.' (the device id is "
                              "<prefix>-<number>)");
  return {};
}

Status CheckKeyType(const std::string& key_type) {
  for (const char* known : {"ec-p256", "ec-p384", "rsa-2048", "rsa-3072", "rsa-4096"})
    if (key_type == known) return {};
  return InvalidParameter("--key-type '" + key_type +
                          "' must be ec-p256, ec-p384, rsa-2048, rsa-3072 or rsa-4096");
}

Expected<int> ParseDays(const std::string& text) {
  if (text.empty() || text.size() > 5 ||
      text.find_first_not_of("0123456789") != std::string::npos || std::stol(text) < 1 ||
      std::stol(text) > 36500)
    return InvalidParameter("--days '" + text + "' must be a number of days from 1 to 36500");
  return static_cast<int>(std::stol(text));
}

std::string DeviceId(const std::string& prefix, long n) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%0*ld", kIdWidth, n);
  return prefix + "-" + digits;
}

long DeviceNumber(const std::string& prefix, const std::string& name) {
  if (name.size() != prefix.size() + 1 + kIdWidth || name.compare(0, prefix.size(), prefix) != 0 ||
      name[prefix.size()] != '-')
    return 0;
  std::string digits = name.substr(prefix.size() + 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stol(digits);
}

Expected<BatchArgs> ParseBatchArgs(const Context& ctx) {
  BatchArgs a;
  for (const char* required : {"--ca", "--ca-key", "--count", "--out"})
    if (!ctx.Has(required) || ctx.Option(required).empty())
      return InvalidParameter(std::string("missing ") + required);
  a.ca_cert = ctx.Option("--ca");
  a.ca_key = ctx.Option("--ca-key");
  a.out = ctx.Option("--out");
  std::string count = ctx.Option("--count");
  if (count.size() > 6 || count.find_first_not_of("0123456789") != std::string::npos ||
      std::stol(count) < 1)
    return InvalidParameter("--count '" + count + "' must be a number from 1 to " +
                            std::to_string(kMaxCount));
  a.count = std::stol(count);
  a.manifest = ctx.Option("--manifest", a.out + "/manifest.csv");
  a.engine = ctx.Option("--engine", "file");
  if (a.engine != "file" && a.engine != "pkcs11" && a.engine != "tpm")
    return InvalidParameter("--engine '" + a.engine + "' must be file, pkcs11 or tpm");
  a.prefix = ctx.Option("--prefix", "device");
  EDGESEC_TRY(CheckPrefix(a.prefix));
  a.key_type = ctx.Option("--key-type", "ec-p256");
  EDGESEC_TRY(CheckKeyType(a.key_type));
  if (ctx.Has("--days")) {
    EDGESEC_ASSIGN_OR_RETURN(a.days, ParseDays(ctx.Option("--days")));
  }
  return a;
}

}  // namespace provision

namespace {

std::vector<OptionSpec> CaOptions() {
  return {{"--ca", "CERT",
           "the issuing CA (intermediate) certificate, PEM; the chain above it may follow"},
          {"--ca-key", "edgesec:KEY|FILE", "its key: a keyd key id, or a PEM key file (mode 0600)"},
          {"--days", "N", "validity of each device certificate (default 365; capped by the CA's)"},
          {"--key-type", "TYPE", "ec-p256 (default), ec-p384, rsa-2048, rsa-3072 or rsa-4096"}};
}

std::vector<OptionSpec> BatchOptions() {
  auto o = CaOptions();
  o.push_back({"--count", "N", "how many device identities the batch holds (1 to 999999)"});
  o.push_back(
      {"--out", "DIR", "the batch directory: DIR/<device-id>/cert.pem, key.pem or key.uri"});
  o.push_back({"--manifest", "FILE", "the registration manifest (default DIR/manifest.csv)"});
  o.push_back({"--engine", "ENGINE",
               "where device keys live: file (default; key.pem), pkcs11 or tpm (keyd)"});
  o.push_back({"--prefix", "ID", "device ids are ID-000001, ID-000002, … (default 'device')"});
  return o;
}

std::vector<OptionSpec> DeviceOptions() {
  auto o = CaOptions();
  o.push_back(
      {"--engine", "ENGINE", "the keyd engine the device key must be in: tpm, pkcs11 or file"});
  o.push_back({"--device-id", "ID", "the certificate's CN (default: this host's name)"});
  o.push_back(
      {"--cert-id", "ID", "the certd cert id of the device identity (default 'device-id')"});
  o.push_back({"--key-id", "ID", "the keyd key id (default: the cert id)"});
  o.push_back({"--force", "", "replace an existing cert (a new key is made only if none exists)"});
  return o;
}

}  // namespace

std::vector<Command> ProvisionCommands() {
  return {
      {{"provision"},
       "",
       0,
       0,
       "make a batch of device identities signed by an intermediate CA (resumable)",
       BatchOptions(),
       &provision::RunBatch},
      {{"provision", "device"},
       "",
       0,
       0,
       "make this device's identity: key in keyd, cert from the intermediate, stored in certd",
       DeviceOptions(),
       &provision::RunDevice},
  };
}

}  // namespace edgesec::cli
