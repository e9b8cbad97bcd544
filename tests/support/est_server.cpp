#include "tests/support/est_server.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace edgesec::testing {

std::string EstServer::ScriptPath() {
  const char* root = std::getenv("EDGESEC_SOURCE_ROOT");
  return std::string(root != nullptr ? root : ".") + "/tests/est/est_server.py";
}

EstServer::EstServer(std::vector<std::string> flags) {
  std::string port_file = dir_.path() + "/port";
  std::vector<std::string> args = {
      "python3",     ScriptPath(), "--dir", dir_.path(),
      "--port-file", port_file,    "--log", dir_.path() + "/requests.log"};
  args.insert(args.end(), flags.begin(), flags.end());
  for (const auto& f : flags) plain_http_ = plain_http_ || f == "--plain-http";
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string err_log = dir_.path() + "/server.stderr";
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    FILE* f = std::freopen(err_log.c_str(), "w", stderr);
    (void)f;
    FILE* o = std::freopen("/dev/null", "w", stdout);
    (void)o;
    ::execvp("python3", argv.data());
    ::_exit(127);
  }
  for (int i = 0; i < 300; ++i) {
    std::ifstream in(port_file);
    if (in >> port_) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream e(err_log);
      std::stringstream ss;
      ss << e.rdbuf();
      throw std::runtime_error("EST test server exited: " + ss.str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("EST test server did not write its port within 15 s");
}

EstServer::~EstServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::string EstServer::BaseUrl(const std::string& host) const {
  return (plain_http_ ? "http://" : "https://") + host + ":" + std::to_string(port_);
}

std::vector<std::string> EstServer::Requests() const {
  std::vector<std::string> out;
  std::ifstream in(dir_.path() + "/requests.log");
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

}  // namespace edgesec::testing
