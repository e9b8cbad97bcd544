#include "certd/x509/profile.hpp"

#include <openssl/objects.h>

#include <algorithm>

namespace edgesec::certd::x509 {
namespace {

const std::vector<std::string>& KeyUsageWords() {
  static const std::vector<std::string> v = {
      "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement",
      "keyCertSign",      "cRLSign",        "encipherOnly",    "decipherOnly"};
  return v;
}

}  // namespace

Profile DefaultLeafProfile() {
  return Profile{};
}

Profile DefaultCaProfile() {
  Profile p;
  p.name = "ca";
  p.validity_days = 3650;
  p.key_usage = {"keyCertSign", "cRLSign", "digitalSignature"};
  p.ca = true;
  return p;
}

Profile EdgeCaProfile() {
  Profile p;
  p.name = "edge-ca";
  p.validity_days = 90;
  p.key_usage = {"digitalSignature", "keyCertSign"};
  p.ca = true;
  p.pathlen = 0;
  return p;
}

Profile ModuleServerProfile() {
  Profile p;
  p.name = "module-server";
  p.validity_days = 30;
  p.key_usage = {"digitalSignature", "keyEncipherment"};
  p.extended_key_usage = {"serverAuth"};
  p.san_policy = SanPolicy::kCopyFromCsr;
  return p;
}

Profile ModuleClientProfile() {
  Profile p = ModuleServerProfile();
  p.name = "module-client";
  p.extended_key_usage = {"clientAuth"};
  return p;
}

Status ValidateProfile(const Profile& p, std::string* field) {
  auto fail = [&](const char* key, const std::string& message) -> Status {
    if (field != nullptr) *field = key;
    return InvalidParameter("profile '" + p.name + "': " + message);
  };
  if (p.validity_days < 1 || p.validity_days > 36500)
    return fail("validity_days", "validity_days must be between 1 and 36500");
  for (const auto& ku : p.key_usage)
    if (std::find(KeyUsageWords().begin(), KeyUsageWords().end(), ku) == KeyUsageWords().end())
      return fail("key_usage", "unknown key usage '" + ku +
                                   "'; use digitalSignature, "
                                   "keyEncipherment, keyCertSign, cRLSign, …");
  for (const auto& eku : p.extended_key_usage)
    if (OBJ_txt2nid(eku.c_str()) == NID_undef)
      return fail("extended_key_usage",
                  "unknown extended key usage '" + eku +
                      "'; use serverAuth, clientAuth, codeSigning, … or an OID");
  if (p.pathlen && (!p.ca || *p.pathlen < 0))
    return fail("pathlen", "pathlen needs ca = true and must not be negative");
  return {};
}

}  // namespace edgesec::certd::x509
