#include "common/state_format.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

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
  bool number =
      !v.empty() && v.size() < 10 && v.find_first_not_of("0123456789") == std::string::npos;
  std::string rest = text->substr(v.size());
  if (!number || (rest != "" && rest != "\n"))
    return MakeError(
        ErrorKind::kConfig,
        "'" + path + "' is damaged (" +
            (text->empty() ? std::string("it is empty") : "it holds no version number") +
            "); it records the format of " + std::string(daemon) +
            "'s state: if this edgesec made the directory, write '" + std::string(format) +
            "' into it, else restore it from a backup");
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
  std::string where = fs::SetAside(path, now);
  return where.rfind("could not", 0) == 0 ? where + ", it is overwritten at the next save" : where;
}

namespace {

std::string UserName(uid_t uid) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buf[1024];
  if (::getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found != nullptr)
    return found->pw_name;
  return std::to_string(uid);
}

std::string Octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace

Expected<StateFileText> ReadStateFile(const std::string& path, mode_t mode, std::string_view daemon,
                                      std::string_view if_removed) {
  struct stat st {};
  std::string why;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return StateFileText{};
    why = std::strerror(errno);
  }
  if (why.empty() && !S_ISREG(st.st_mode)) why = "it is not a regular file";
  Expected<std::string> text = std::string();
  if (why.empty()) {
    text = fs::ReadFile(path, 64 << 20);
    if (!text) why = text.error().message;
  }
  if (!why.empty()) {
    std::string user = UserName(::geteuid());
    return MakeError(ErrorKind::kIo, "cannot read state file '" + path + "': " + why + "; " +
                                         std::string(daemon) + " runs as user '" + user +
                                         "': run `chown " + user + ": '" + path + "' && chmod " +
                                         Octal(mode) + " '" + path + "'`, or remove it (" +
                                         std::string(if_removed) + ")");
  }
  StateFileText out{std::move(*text), {}};
  if ((st.st_mode & 07777) != mode) out.wrong = "mode " + Octal(st.st_mode);
  if (st.st_uid != ::geteuid())
    out.wrong +=
        (out.wrong.empty() ? "" : ", ") + std::string("owner uid ") + std::to_string(st.st_uid);
  return out;
}

}  // namespace edgesec
