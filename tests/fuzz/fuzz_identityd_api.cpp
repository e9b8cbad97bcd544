// Fuzz target: a request body → the typed requests of the workload and identity APIs
// (daemon/api/identity_api.hpp), and any string → the RFC 3339 parser of `expiration`. Properties:
// nothing throws or crashes; whatever FromJson accepts, ToJson writes back so that FromJson reads
// the same request again; an accepted time is printed back by certd's formatter without loss of the
// second.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/x509/pem.hpp"
#include "daemon/api/identity_api.hpp"
#include "daemon/server/module_certs.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace edgesec;
using namespace edgesec::identityd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (auto t = x509::ParseRfc3339(text); t && *t >= 0) {
    auto again = x509::ParseRfc3339(x509::Rfc3339(*t));
    FUZZ_CHECK(again && *again == *t);
  }
  (void)ServerSans(text, text);
  (void)ModuleDnsName(text);
  auto j = ParseJsonObject(text);
  if (!j) return 0;
  if (auto r = api::ServerCertRequest::FromJson(*j)) {
    auto back = api::ServerCertRequest::FromJson(r->ToJson());
    FUZZ_CHECK(back && back->common_name == r->common_name && back->expiration == r->expiration);
  }
  if (auto r = api::CreateModuleRequest::FromJson(*j)) {
    auto back = api::CreateModuleRequest::FromJson(r->ToJson());
    FUZZ_CHECK(back && back->module_id == r->module_id && back->type == r->type &&
               back->attributes == r->attributes);
  }
  if (auto r = api::IssuedCert::FromJson(*j)) {
    auto back = api::IssuedCert::FromJson(r->ToJson());
    FUZZ_CHECK(back && back->certificate == r->certificate &&
               back->private_key_pem == r->private_key_pem && back->expiration == r->expiration);
  }
  for (bool decrypt : {false, true}) {
    if (auto r = api::ModuleDataRequest::FromJson(*j, decrypt)) {
      auto back = api::ModuleDataRequest::FromJson(r->ToJson(decrypt), decrypt);
      FUZZ_CHECK(back && back->data == r->data && back->iv == r->iv);
    }
  }
  return 0;
}
