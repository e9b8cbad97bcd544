#include "certd/renewal/pause.hpp"

#include <unistd.h>

#include "common/fs.hpp"
#include "common/log.hpp"

namespace edgesec::certd::renewal {
namespace {

std::string& Phase() {
  static std::string phase;
  return phase;
}
std::string& Dir() {
  static std::string dir;
  return dir;
}

}  // namespace

void EnablePausePoint(std::string phase, std::string state_dir) {
  Phase() = std::move(phase);
  Dir() = std::move(state_dir);
}

void PauseAt(const char* phase) {
  if (Phase().empty() || Phase() != phase) return;
  log::Warning(std::string("certd: test pause point '") + phase + "' reached; sleeping");
  (void)fs::AtomicWriteFile(Dir() + "/paused-" + phase, "paused\n", 0644);
  for (;;) ::pause();
}

}  // namespace edgesec::certd::renewal
