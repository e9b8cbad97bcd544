#include "daemon/server/clock.hpp"

#include <cstdlib>
#include <ctime>
#include <string>

#include "common/fs.hpp"

namespace edgesec::identityd {

Clock MakeClock(const Layout& layout) {
  const char* file = std::getenv("EDGESEC_TEST_CLOCK_FILE");
  if (!layout.is_rooted() || file == nullptr || *file == '\0')
    return [] { return static_cast<int64_t>(std::time(nullptr)); };
  std::string path = file;
  return [path] {
    int64_t offset = 0;
    if (auto text = fs::ReadFile(path, 64)) offset = std::strtoll(text->c_str(), nullptr, 10);
    return static_cast<int64_t>(std::time(nullptr)) + offset;
  };
}

}  // namespace edgesec::identityd
