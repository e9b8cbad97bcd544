#include "keyd/client/audit_report.hpp"

#include <openssl/bn.h>
#include <openssl/x509.h>

#include <atomic>

#include "common/log.hpp"
#include "common/x509/details.hpp"
#include "common/x509/pem.hpp"

namespace edgesec::keyd {
namespace {

std::atomic<bool> g_failing{false};

std::string LowerHex(const std::string& s) {
  std::string out;
  for (char c : s)
    if (std::isxdigit(static_cast<unsigned char>(c)))
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// An error message as an audit `reason`: no control characters, at most 200 bytes.
std::string Reason(const std::string& error) {
  std::string out;
  for (char c : error) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  if (out.size() > 200) out = out.substr(0, 197) + "...";
  return out.empty() ? "failed" : out;
}

}  // namespace

void ReportAudit(KeydClient& keyd, const Json& event, const std::string& who) {
  Status st = keyd.PostAudit(event);
  if (!st) {
    if (!g_failing.exchange(true))
      log::Warning(who + ": cannot record '" + event.value("event", "") +
                   "' in keyd's audit log (not retried; later failures are not logged until one "
                   "succeeds): " +
                   st.error().Describe());
    return;
  }
  if (g_failing.exchange(false)) log::Notice(who + ": keyd's audit log takes events again");
}

Json CertEvent(const std::string& service, const std::string& event, const std::string& id,
               const std::string& pem) {
  Json j = {{"service", service}, {"event", event}, {"object", id}, {"outcome", "success"}};
  auto chain = x509::ParsePemChain(pem);
  if (!chain || chain->empty()) return j;
  X509* leaf = chain->front().get();
  j["fingerprint"] = LowerHex(x509::Sha256Fingerprint(leaf));
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), nullptr)) {
    if (char* hex = BN_bn2hex(bn)) {
      j["serial"] = LowerHex(hex);
      OPENSSL_free(hex);
    }
    BN_free(bn);
  }
  return j;
}

Json FailedEvent(const std::string& service, const std::string& event, const std::string& id,
                 const std::string& error) {
  return {{"service", service},
          {"event", event},
          {"object", id},
          {"outcome", "failure"},
          {"reason", Reason(error)}};
}

}  // namespace edgesec::keyd
