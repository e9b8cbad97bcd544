#include "common/fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>

namespace edgesec::fs {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("write failed", errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Expected<std::string> ReadAll(int fd, const std::string& path, size_t max_bytes) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot read '" + path + "'", errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes)
      return MakeError(ErrorKind::kIo, "file '" + path + "' is larger than " +
                                           std::to_string(max_bytes) + " bytes");
  }
  return out;
}

}  // namespace

std::string DirName(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status FsyncDirectoryOf(const std::string& path) {
  Fd dir{::open(DirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0) return IoError("cannot open directory of '" + path + "'", errno);
  if (::fsync(dir.fd) != 0) return IoError("cannot fsync directory of '" + path + "'", errno);
  return {};
}

Status AtomicWriteFile(const std::string& path, std::string_view data, mode_t mode) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rng());
  Fd file{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)};
  if (file.fd < 0) return IoError("cannot create '" + tmp + "'", errno);
  // The umask may have narrowed the mode; a secret file must end exactly at `mode`.
  Status st = [&]() -> Status {
    if (::fchmod(file.fd, mode) != 0) return IoError("cannot chmod '" + tmp + "'", errno);
    EDGESEC_TRY(WriteAll(file.fd, data));
    if (::fsync(file.fd) != 0) return IoError("cannot fsync '" + tmp + "'", errno);
    return {};
  }();
  if (!st) {
    ::unlink(tmp.c_str());
    return st.error().Context("writing '" + path + "'");
  }
  ::close(file.fd);
  file.fd = -1;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return IoError("cannot rename '" + tmp + "' to '" + path + "'", err);
  }
  return FsyncDirectoryOf(path);
}

Expected<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) {
    if (errno == ENOENT) return NotFound("file '" + path + "' does not exist");
    return IoError("cannot open '" + path + "'", errno);
  }
  return ReadAll(file.fd, path, max_bytes);
}

Expected<std::string> ReadOwnedFile(const std::string& path, mode_t forbidden, size_t max_bytes) {
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)};
  if (file.fd < 0) {
    if (errno == ENOENT) return NotFound("file '" + path + "' does not exist");
    if (errno == ELOOP) return Internal("'" + path + "' is a symbolic link, not a file");
    return IoError("cannot open '" + path + "'", errno);
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return IoError("cannot stat '" + path + "'", errno);
  if (!S_ISREG(st.st_mode)) return Internal("'" + path + "' is not a regular file");
  if (st.st_uid != ::geteuid())
    return Internal("'" + path + "' is owned by uid " + std::to_string(st.st_uid) +
                    ", not by this service's uid " + std::to_string(::geteuid()) +
                    "; it is not used (chown it, or restore it from a backup)");
  if ((st.st_mode & forbidden) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    char wanted[8];
    std::snprintf(wanted, sizeof wanted, "%04o",
                  static_cast<unsigned>(st.st_mode & 0777 & ~forbidden));
    return Internal("'" + path + "' has mode " + mode +
                    ", open to other users; it is not used (chmod " + wanted + " it" +
                    ((forbidden & 044) ? ", and treat its secret as exposed)" : ")"));
  }
  return ReadAll(file.fd, path, max_bytes);
}

std::string SetAside(const std::string& path, int64_t now) {
  time_t t = static_cast<time_t>(now);
  struct tm tm {};
  ::gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  std::string base = path + ".bad-" + stamp;
  for (int i = 0; i < 100; ++i) {
    std::string aside = i == 0 ? base : base + "." + std::to_string(i);
    if (::renameat2(AT_FDCWD, path.c_str(), AT_FDCWD, aside.c_str(), RENAME_NOREPLACE) == 0) {
      (void)FsyncDirectoryOf(path);
      return "kept aside as '" + aside + "'";
    }
    if (errno != EEXIST) break;
  }
  return "could not keep it aside (" + std::string(std::strerror(errno)) + ")";
}

Status MakeDirs(const std::string& path, mode_t mode) {
  if (path.empty()) return {};
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST)
      return IoError("cannot create directory '" + partial + "'", errno);
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return MakeError(ErrorKind::kIo, "'" + path + "' is not a directory");
  return {};
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return {};
    return IoError("cannot remove '" + path + "'", errno);
  }
  return FsyncDirectoryOf(path);
}

Expected<std::vector<std::string>> ListFiles(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return names;
    return IoError("cannot list '" + dir + "'", errno);
  }
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_type == DT_REG) names.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<FileStamp> FileStamp::Of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return FileStamp{st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim, st.st_uid, st.st_mode};
}

bool FileStamp::operator==(const FileStamp& o) const {
  return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
         mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec &&
         ctime.tv_nsec == o.ctime.tv_nsec && uid == o.uid && mode == o.mode;
}

}  // namespace edgesec::fs
