#pragma once
// Secrets (PINs, passwords, raw key bytes) live in a move-only buffer that wipes itself and has no
// stream operator, so it cannot be logged by accident.

#include <openssl/crypto.h>

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace edgesec {

class Secret {
 public:
  Secret() = default;
  explicit Secret(size_t size) : bytes_(size) {}
  Secret(const unsigned char* data, size_t len) : bytes_(data, data + len) {}
  static Secret FromString(std::string_view s) {
    return Secret(reinterpret_cast<const unsigned char*>(s.data()), s.size());
  }
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  Secret(Secret&& o) noexcept : bytes_(std::move(o.bytes_)) { o.bytes_.clear(); }
  Secret& operator=(Secret&& o) noexcept {
    if (this != &o) {
      Wipe();
      bytes_ = std::move(o.bytes_);
      o.bytes_.clear();
    }
    return *this;
  }
  ~Secret() { Wipe(); }

  unsigned char* data() { return bytes_.data(); }
  const unsigned char* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  std::string_view view() const {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
  }
  Secret Copy() const { return Secret(bytes_.data(), bytes_.size()); }

 private:
  void Wipe() {
    if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  }
  std::vector<unsigned char> bytes_;
};

}  // namespace edgesec
