#include "common/state_format.hpp"

#include <fcntl.h>
#include <stdio.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "common/fs.hpp"

namespace edgesec {

Status CheckStateDirFormat(const std::string& dir, std::string_view format, mode_t mode,
                           std::string_view daemon) {
  std::string path = dir + "/FORMAT";
  auto text = fs::ReadFile(path, 64);
  if (!text) {
    if (text.error().kind != ErrorKind::kNotFound) return text.error();
    return fs::AtomicWriteFile(path, std::string(format) + "\n", mode);
  }
  std::string v = text->substr(0, text->find('\n'));
  if (v != format)
    return MakeError(ErrorKind::kConfig, "state directory '" + dir + "' has format version " + v +
                                             ", newer than this " + std::string(daemon) +
                                             " understands (" + std::string(format) +
                                             "); run the edgesec version that wrote it");
  return {};
}

Status CheckStateFileFormat(const Json& state, int understood, const std::string& path) {
  if (!state.is_object()) return {};
  auto format = JsonFields(state).OptionalInt64("format");
  if (!format)
    return MakeError(ErrorKind::kConfig, "'" + path + "' is damaged: " + format.error().message +
                                             "; restore it from a backup or remove the file");
  int64_t found = format->value_or(0);
  if (found > understood)
    return MakeError(ErrorKind::kConfig, "'" + path + "' was written by a newer edgesec (format " +
                                             std::to_string(found) +
                                             "); upgrade edgesec or remove the file");
  return {};
}

std::string KeepAside(const std::string& path, int64_t now) {
  time_t t = static_cast<time_t>(now);
  struct tm tm {};
  ::gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::string base = path + ".bad-" + stamp;
  for (int i = 0; i < 100; ++i) {
    std::string aside = i == 0 ? base : base + "." + std::to_string(i);
    if (::renameat2(AT_FDCWD, path.c_str(), AT_FDCWD, aside.c_str(), RENAME_NOREPLACE) == 0) {
      (void)fs::FsyncDirectoryOf(path);
      return "kept aside as '" + aside + "'";
    }
    if (errno != EEXIST) break;
  }
  return "could not keep it aside (" + std::string(std::strerror(errno)) +
         "), it is overwritten at the next save";
}

}  // namespace edgesec
