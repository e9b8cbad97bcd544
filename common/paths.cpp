#include "common/paths.hpp"

#include <filesystem>

namespace edgesec {

Layout Layout::UnderRoot(const std::string& dir) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(dir, ec);
  std::string root = ec ? dir : abs.lexically_normal().string();
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root == "/") root.clear();
  return Layout{root};
}

}  // namespace edgesec
