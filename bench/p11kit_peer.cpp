#include "bench/p11kit_peer.hpp"

// p11-kit's GNU spelling of the PKCS#11 header (see keyd/engines/pkcs11/p11.hpp for why).
#define CRYPTOKI_GNU 1
#include <dlfcn.h>
#include <fcntl.h>
#include <p11-kit/pkcs11.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

namespace edgesec::bench {
namespace {

std::string RvText(ck_rv_t rv) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "CKR 0x%lx", rv);
  return buf;
}

Error P11Failure(const std::string& what, ck_rv_t rv) {
  return MakeError(ErrorKind::kUnavailable,
                   what + " through p11-kit-client.so failed: " + RvText(rv));
}

// A token label is space-padded to 32 bytes.
bool LabelIs(const unsigned char (&label)[32], const std::string& want) {
  std::string have(reinterpret_cast<const char*>(label), sizeof label);
  have.erase(have.find_last_not_of(' ') + 1);
  return have == want;
}

}  // namespace

Expected<std::unique_ptr<P11KitServer>> P11KitServer::Start(const std::string& module,
                                                            const std::string& token_uri,
                                                            const std::string& dir) {
  std::unique_ptr<P11KitServer> s(new P11KitServer);
  s->socket_ = dir + "/p11-kit.sock";
  std::string log_path = dir + "/p11-kit-server.log";
  std::vector<std::string> args = {"p11-kit", "server", "--foreground", "--provider",
                                   module,    "--name", s->socket_,     token_uri};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  s->pid_ = ::fork();
  if (s->pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive a bench that died
    if (log_fd >= 0) {
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
    }
    ::execvp("p11-kit", argv.data());
    ::_exit(127);
  }
  if (log_fd >= 0) ::close(log_fd);
  if (s->pid_ < 0) return IoError("fork for p11-kit server", errno);
  for (int i = 0; i < 1000; ++i) {
    struct stat st {};
    if (::stat(s->socket_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) return s;
    if (::waitpid(s->pid_, nullptr, WNOHANG) == s->pid_) {
      s->pid_ = -1;
      return MakeError(ErrorKind::kUnavailable,
                       "p11-kit server exited during start-up; see " + log_path);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return MakeError(ErrorKind::kUnavailable,
                   "p11-kit server made no socket within 10 s; see " + log_path);
}

P11KitServer::~P11KitServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
}

Expected<std::unique_ptr<P11KitClient>> P11KitClient::Open(const std::string& module_path,
                                                           const std::string& address,
                                                           const std::string& token_label,
                                                           const std::string& pin,
                                                           const std::string& key_label) {
  std::unique_ptr<P11KitClient> c(new P11KitClient);
  ::setenv("P11_KIT_SERVER_ADDRESS", address.c_str(), 1);
  c->dl_ = ::dlopen(module_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (c->dl_ == nullptr)
    return MakeError(ErrorKind::kUnavailable, "cannot load '" + module_path + "': " + ::dlerror());
  using GetFunctionList = ck_rv_t (*)(ck_function_list**);
  auto get = reinterpret_cast<GetFunctionList>(::dlsym(c->dl_, "C_GetFunctionList"));
  if (get == nullptr || get(&c->f_) != CKR_OK || c->f_ == nullptr)
    return MakeError(ErrorKind::kUnavailable,
                     "'" + module_path + "' has no usable C_GetFunctionList");
  ck_c_initialize_args init{};
  init.flags = CKF_OS_LOCKING_OK;
  if (ck_rv_t rv = c->f_->C_Initialize(&init); rv != CKR_OK) return P11Failure("C_Initialize", rv);
  c->initialized_ = true;
  EDGESEC_TRY(c->Connect(token_label, pin, key_label));
  return c;
}

// The slot of the token, a login on a session kept open (logins are per application), the key.
Status P11KitClient::Connect(const std::string& token_label, const std::string& pin,
                             const std::string& key_label) {
  unsigned long n = 0;
  if (ck_rv_t rv = f_->C_GetSlotList(1, nullptr, &n); rv != CKR_OK)
    return P11Failure("C_GetSlotList", rv);
  std::vector<ck_slot_id_t> slots(n);
  if (ck_rv_t rv = f_->C_GetSlotList(1, slots.data(), &n); rv != CKR_OK)
    return P11Failure("C_GetSlotList", rv);
  bool found = false;
  for (unsigned long i = 0; i < n && !found; ++i) {
    ck_token_info info{};
    if (f_->C_GetTokenInfo(slots[i], &info) == CKR_OK && LabelIs(info.label, token_label)) {
      slot_ = slots[i];
      found = true;
    }
  }
  if (!found) return NotFound("no token labelled '" + token_label + "' behind p11-kit server");
  login_session_ = OpenSession();
  if (login_session_ == 0) return P11Failure("C_OpenSession", CKR_GENERAL_ERROR);
  ck_rv_t rv =
      f_->C_Login(login_session_, CKU_USER,
                  reinterpret_cast<unsigned char*>(const_cast<char*>(pin.data())), pin.size());
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) return P11Failure("C_Login", rv);
  ck_object_class_t cls = CKO_PRIVATE_KEY;
  ck_attribute tmpl[] = {{CKA_CLASS, &cls, sizeof cls},
                         {CKA_LABEL, const_cast<char*>(key_label.data()), key_label.size()}};
  if ((rv = f_->C_FindObjectsInit(login_session_, tmpl, 2)) != CKR_OK)
    return P11Failure("C_FindObjectsInit", rv);
  unsigned long count = 0;
  rv = f_->C_FindObjects(login_session_, &key_, 1, &count);
  f_->C_FindObjectsFinal(login_session_);
  if (rv != CKR_OK) return P11Failure("C_FindObjects", rv);
  if (count != 1)
    return NotFound("no private key labelled '" + key_label + "' on token '" + token_label + "'");
  return {};
}

P11KitClient::~P11KitClient() {
  if (f_ != nullptr && initialized_) {
    if (login_session_ != 0) {
      f_->C_Logout(login_session_);
      f_->C_CloseSession(login_session_);
    }
    f_->C_Finalize(nullptr);
  }
  if (dl_ != nullptr) ::dlclose(dl_);
}

unsigned long P11KitClient::OpenSession() {
  ck_session_handle_t session = 0;
  if (f_->C_OpenSession(slot_, CKF_SERIAL_SESSION, nullptr, nullptr, &session) != CKR_OK) return 0;
  return session;
}

void P11KitClient::CloseSession(unsigned long session) {
  if (session != 0) f_->C_CloseSession(session);
}

bool P11KitClient::Sign(unsigned long session, std::string* raw) {
  static const unsigned char digest[32] = {0x5a};
  ck_mechanism mech{CKM_ECDSA, nullptr, 0};
  ck_rv_t rv = f_->C_SignInit(session, &mech, key_);
  unsigned char sig[64];
  unsigned long len = sizeof sig;
  if (rv == CKR_OK)
    rv = f_->C_Sign(session, const_cast<unsigned char*>(digest), sizeof digest, sig, &len);
  if (rv != CKR_OK)
    std::fprintf(stderr, "pkcs11-sign: C_Sign through p11-kit server: %s\n", RvText(rv).c_str());
  if (rv == CKR_OK && raw != nullptr) raw->assign(reinterpret_cast<const char*>(sig), len);
  return rv == CKR_OK;
}

}  // namespace edgesec::bench
