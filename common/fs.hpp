#pragma once
// Filesystem helpers. Every file that matters is written with AtomicWriteFile: temp file in the
// same directory, fsync, rename over the target, fsync the directory — a crash leaves old or new,
// never half.

#include <sys/types.h>

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

}  // namespace edgesec::fs
