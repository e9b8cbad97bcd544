#pragma once
// The benches that need all three daemons: a temp --root where `edgectl up` starts them, stopped by
// `edgectl down` and removed when the object goes.

#include <memory>
#include <string>

namespace edgesec::bench {

class EdgectlRoot {
 public:
  // Null, with `error` set, when the temp dir or `edgectl up` fails.
  static std::unique_ptr<EdgectlRoot> Up(const std::string& edgectl, std::string* error);
  ~EdgectlRoot();
  EdgectlRoot(const EdgectlRoot&) = delete;
  EdgectlRoot& operator=(const EdgectlRoot&) = delete;
  const std::string& path() const { return path_; }

 private:
  EdgectlRoot(std::string edgectl, std::string path);
  std::string edgectl_, path_;
};

// <build>/edgectl, for a bench at <build>/bench/<name>.
std::string EdgectlBesideBench();

}  // namespace edgesec::bench
