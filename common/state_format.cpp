#include "common/state_format.hpp"

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

}  // namespace edgesec
