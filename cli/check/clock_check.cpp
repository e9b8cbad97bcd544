// The clock is not obviously wrong: not before this build's date (certd refuses to issue or renew
// then), not before the notBefore of the certs certd serves, and synchronised (adjtimex).
#include <sys/timex.h>

#include "common/clock.hpp"
#include "common/x509/pem.hpp"
#include "cli/check/check.hpp"

namespace edgesec::cli::check {
namespace {

// Certs are often issued by servers a little ahead; only more than this is the clock's fault.
constexpr int64_t kSkew = 5 * 60;
const char* kSetClock =
    "set the clock (timedatectl set-time 'YYYY-MM-DD hh:mm:ss') and keep it synchronised "
    "(timedatectl set-ntp true)";

}  // namespace

void CheckClock(Env& env, Report& report) {
  int64_t build = BuildEpoch();
  std::string now = edgesec::x509::Rfc3339(env.now);
  if (env.now < build) {
    report.Fail("clock",
                "the clock (" + now + ") is before this build's date (" +
                    edgesec::x509::Rfc3339(build) + "); certd issues and renews nothing",
                kSetClock);
    return;
  }
  const CertSeen* ahead = nullptr;
  for (const auto& c : env.certs)
    if (c.not_before > env.now + kSkew && (!ahead || c.not_before > ahead->not_before)) ahead = &c;
  if (ahead != nullptr) {
    report.Warn("clock",
                "the clock (" + now + ") is " + Span(ahead->not_before - env.now) +
                    " before cert '" + ahead->id + "' becomes valid (notBefore " +
                    edgesec::x509::Rfc3339(ahead->not_before) + ")",
                kSetClock);
    return;
  }
  timex tx{};
  int state = ::adjtimex(&tx);
  if (state == -1) {
    report.Skip("clock",
                "the clock (" + now + ") is after the build date; its NTP state is unknown");
    return;
  }
  if (state == TIME_ERROR || (tx.status & STA_UNSYNC) != 0) {
    report.Warn("clock", "the clock (" + now + ") is not synchronised (NTP)",
                "enable time synchronisation: timedatectl set-ntp true (systemd-timesyncd or "
                "chrony); check it with timedatectl status");
    return;
  }
  report.Pass("clock", "the clock (" + now + ") is synchronised and after the build date");
}

}  // namespace edgesec::cli::check
