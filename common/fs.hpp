#pragma once
// Filesystem helpers. Every file that matters is written with AtomicWriteFile: temp file in the
// same directory, fsync, rename over the target, fsync the directory — a crash leaves old or new,
// never half.

#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace edgesec::fs {

Status AtomicWriteFile(const std::string& path, std::string_view data, mode_t mode);
// Fails (kIo) when the file is larger than max_bytes; kNotFound when it does not exist.
Expected<std::string> ReadFile(const std::string& path, size_t max_bytes = 1 << 20);
// mkdir -p with `mode` for the directories it creates.
Status MakeDirs(const std::string& path, mode_t mode);
bool Exists(const std::string& path);
// unlink + fsync of the directory; a missing file is not an error.
Status RemoveFile(const std::string& path);
Status FsyncDirectoryOf(const std::string& path);
// Names of the regular files in `dir` (not recursive), sorted; empty when the directory is missing.
Expected<std::vector<std::string>> ListFiles(const std::string& dir);
std::string DirName(const std::string& path);

// ReadFile for state that others must not touch: kInternal, naming the file, when it is not a
// regular file owned by this process's effective uid, or when its mode has any of the `forbidden`
// bits (077 for secrets, 022 for files others must not write). kNotFound when it does not exist.
Expected<std::string> ReadOwnedFile(const std::string& path, mode_t forbidden,
                                    size_t max_bytes = 1 << 20);

// Renames the damaged `path` to `path`.bad-<UTC time of `now`> (a numbered suffix rather than over
// an earlier one) and says where, as a phrase for a log line ("kept aside as '…'"). Never throws.
std::string SetAside(const std::string& path, int64_t now);

// What a file was when it was stat'ed, for caches of parsed files: another inode (an atomic
// replace), size, modification or change time (an edit in place, chmod, chown), owner or mode is
// another file. Of(): nullopt when `path` cannot be stat'ed. Take it before reading the file, so
// that a file replaced meanwhile differs from it and is read again.
struct FileStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  timespec mtime{}, ctime{};
  uid_t uid = 0;
  mode_t mode = 0;
  static std::optional<FileStamp> Of(const std::string& path);
  bool operator==(const FileStamp& o) const;
};

}  // namespace edgesec::fs
