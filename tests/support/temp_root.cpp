#include "tests/support/temp_root.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "common/http/client.hpp"

namespace edgesec::testing {

TempDir::TempDir() {
  char tmpl[] = "/tmp/es-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
  ::chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string BinaryFromEnv(const char* variable) {
  const char* v = std::getenv(variable);
  if (v == nullptr || *v == '\0') throw std::runtime_error(std::string("$") + variable + " is not set (run through meson test)");
  return v;
}

DaemonProcess::DaemonProcess(std::string binary, std::string root, std::string socket, std::vector<std::string> extra)
    : socket_(std::move(socket)) {
  pid_ = ::fork();
  if (pid_ == 0) {
    std::vector<char*> argv;
    std::string root_flag = "--root";
    argv.push_back(binary.data());
    argv.push_back(root_flag.data());
    argv.push_back(root.data());
    for (auto& e : extra) argv.push_back(e.data());
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  http::UnixClient client(socket_, 1000);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error(binary + " exited during start-up");
    }
    auto r = client.Send("GET", "/version?api-version=2020-09-01");
    if (r && r->status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Kill();
  throw std::runtime_error(binary + " did not answer on " + socket_);
}

int DaemonProcess::Stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

void DaemonProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

DaemonProcess::~DaemonProcess() { Stop(); }

KeydUnderTest::KeydUnderTest()
    : keyd(BinaryFromEnv("EDGESEC_KEYD"), dir.path(), dir.path() + "/run/edgesec/keyd.sock") {}

}  // namespace edgesec::testing
