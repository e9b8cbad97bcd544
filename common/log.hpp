#pragma once
// Logging to stderr with journald priority prefixes ("<3>message"), so journald keeps the level.
// Messages quote user values in '…' and never carry secrets (Secret has no formatter on purpose).

#include <string>
#include <string_view>

namespace edgesec::log {

enum class Level { kError = 3, kWarning = 4, kNotice = 5, kInfo = 6, kDebug = 7 };

// Parses "error", "warn"/"warning", "notice", "info", "debug"; false when unknown.
bool ParseLevel(std::string_view text, Level* out);
void SetLevel(Level level);
// Level from $EDGESEC_LOG when set and valid; otherwise unchanged.
void InitFromEnvironment();
bool Enabled(Level level);
void Write(Level level, std::string_view message);

inline void Error(std::string_view m) {
  Write(Level::kError, m);
}
inline void Warning(std::string_view m) {
  Write(Level::kWarning, m);
}
inline void Notice(std::string_view m) {
  Write(Level::kNotice, m);
}
inline void Info(std::string_view m) {
  Write(Level::kInfo, m);
}
inline void Debug(std::string_view m) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, m);
}

}  // namespace edgesec::log
