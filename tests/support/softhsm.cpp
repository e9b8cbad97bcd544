#include "tests/support/softhsm.hpp"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace edgesec::testing {
namespace {

std::string RunCapture(const std::string& command, int* exit_code) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) throw std::runtime_error("cannot run " + command);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

}  // namespace

bool SoftHsm::Available() {
  return ::access(ModulePath().c_str(), R_OK) == 0 && ::access("/usr/bin/softhsm2-util", X_OK) == 0;
}

std::string SoftHsm::ModulePath() { return "/usr/lib/softhsm/libsofthsm2.so"; }

SoftHsm::SoftHsm(const std::string& dir, std::string label, std::string pin, std::string so_pin)
    : dir_(dir), label_(std::move(label)), pin_(std::move(pin)), so_pin_(std::move(so_pin)) {
  std::filesystem::create_directories(dir_);
  conf_ = dir_ + "/softhsm2.conf";
  token_dir_ = dir_ + "/tokens";
  std::filesystem::create_directories(token_dir_);
  {
    std::ofstream conf(conf_);
    conf << "directories.tokendir = " << token_dir_ << "\nobjectstore.backend = file\nlog.level = ERROR\n";
  }
  ::setenv("SOFTHSM2_CONF", conf_.c_str(), 1);
  int rc = -1;
  std::string out = RunCapture("softhsm2-util --init-token --free --label '" + label_ + "' --pin '" + pin_ +
                                   "' --so-pin '" + so_pin_ + "'",
                               &rc);
  if (rc != 0) throw std::runtime_error("softhsm2-util --init-token failed:\n" + out);
}

std::string SoftHsm::BaseSlot() const { return "pkcs11:token=" + label_ + "?pin-value=" + pin_; }

std::string SoftHsm::KeydSection(const std::string& extra) const {
  return "[pkcs11]\nlib_path = \"" + ModulePath() + "\"\nbase_slot = \"" + BaseSlot() + "\"\n" + extra;
}

void SoftHsm::RemoveToken() { std::filesystem::rename(token_dir_, token_dir_ + ".away"); }
void SoftHsm::RestoreToken() { std::filesystem::rename(token_dir_ + ".away", token_dir_); }

}  // namespace edgesec::testing
