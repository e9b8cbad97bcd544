#include "common/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace edgesec::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
}

bool ParseLevel(std::string_view text, Level* out) {
  if (text == "error")
    *out = Level::kError;
  else if (text == "warn" || text == "warning")
    *out = Level::kWarning;
  else if (text == "notice")
    *out = Level::kNotice;
  else if (text == "info")
    *out = Level::kInfo;
  else if (text == "debug" || text == "trace")
    *out = Level::kDebug;
  else
    return false;
  return true;
}

void SetLevel(Level level) {
  g_level = static_cast<int>(level);
}

void InitFromEnvironment() {
  const char* env = std::getenv("EDGESEC_LOG");
  Level level;
  if (env != nullptr && ParseLevel(env, &level)) SetLevel(level);
}

bool Enabled(Level level) {
  return static_cast<int>(level) <= g_level.load();
}

void Write(Level level, std::string_view message) {
  if (!Enabled(level)) return;
  std::string line = "<" + std::to_string(static_cast<int>(level)) + ">";
  line.append(message);
  line += '\n';
  // One write() per line so that concurrent threads never interleave within a line.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace edgesec::log
