#include "common/reload_ack.hpp"

#include <unistd.h>

#include <thread>

#include "common/fs.hpp"
#include "common/log.hpp"

namespace edgesec {

std::string ReloadAckPath(const Layout& layout, const std::string& service) {
  return layout.ServiceStateDir(service) + "/reloaded";
}

void WriteReloadAck(const Layout& layout, const std::string& service, unsigned generation,
                    const Status& result) {
  std::string text = std::to_string(::getpid()) + " " + std::to_string(generation) + " " +
                     (result ? std::string("ok") : "failed: " + result.error().message) + "\n";
  if (Status st = fs::AtomicWriteFile(ReloadAckPath(layout, service), text, 0600); !st)
    log::Warning(service +
                 ": cannot record that the configuration was read: " + st.error().Describe());
}

std::string ReadReloadAck(const Layout& layout, const std::string& service) {
  auto text = fs::ReadFile(ReloadAckPath(layout, service), 64 * 1024);
  return text ? *text : std::string();
}

Expected<std::string> WaitReloadAck(const Layout& layout, const std::string& service,
                                    const std::string& before, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::string now = ReadReloadAck(layout, service);
    if (!now.empty() && now != before) return now;
    if (std::chrono::steady_clock::now() >= deadline)
      return MakeError(ErrorKind::kUnavailable,
                       "edgesec-" + service + " did not confirm that it read its configuration " +
                           "within " + std::to_string(timeout.count() / 1000) + " s (" +
                           ReloadAckPath(layout, service) + " unchanged)");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace edgesec
