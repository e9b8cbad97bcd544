#include "bench/edgectl_root.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace edgesec::bench {
namespace {

// Runs `argv` with its stdout to /dev/null; its exit code (1 when it did not exit).
int RunQuiet(const std::vector<std::string>& argv) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

EdgectlRoot::EdgectlRoot(std::string edgectl, std::string path)
    : edgectl_(std::move(edgectl)), path_(std::move(path)) {}

std::unique_ptr<EdgectlRoot> EdgectlRoot::Up(const std::string& edgectl, std::string* error) {
  char dir_template[] = "/tmp/es-bench-XXXXXX";  // mkdtemp's pattern
  if (::mkdtemp(dir_template) == nullptr) {
    *error = "cannot create a temp directory";
    return nullptr;
  }
  std::unique_ptr<EdgectlRoot> root(new EdgectlRoot(edgectl, dir_template));
  if (RunQuiet({edgectl, "up", "--root", root->path_}) != 0) {
    *error = "'" + edgectl + " up --root " + root->path_ + "' failed";
    return nullptr;  // the destructor stops what did start and removes the dir
  }
  return root;
}

EdgectlRoot::~EdgectlRoot() {
  RunQuiet({edgectl_, "down", "--root", path_});
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string EdgectlBesideBench() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path().parent_path() / "edgectl").string();
}

}  // namespace edgesec::bench
