#include "common/clock.hpp"

#include <cstdlib>
#include <ctime>
#include <fstream>

#ifndef EDGESEC_BUILD_EPOCH
#define EDGESEC_BUILD_EPOCH 1767225600  // 2026-01-01T00:00:00Z
#endif

namespace edgesec {

int64_t SystemClock::Now() const {
  return static_cast<int64_t>(std::time(nullptr));
}

int64_t OffsetFileClock::Now() const {
  int64_t offset = 0;
  std::ifstream in(path_);
  std::string text;
  if (in && std::getline(in, text)) {
    char* end = nullptr;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (end != text.c_str()) offset = v;
  }
  return static_cast<int64_t>(std::time(nullptr)) + offset;
}

std::shared_ptr<const OffsetFileClock> TestClockFromEnv(const Layout& layout) {
  if (!layout.is_rooted()) return nullptr;
  const char* file = std::getenv("EDGESEC_TEST_CLOCK_FILE");
  if (file == nullptr || *file == '\0') return nullptr;
  return std::make_shared<const OffsetFileClock>(file);
}

int64_t BuildEpoch() {
  return static_cast<int64_t>(EDGESEC_BUILD_EPOCH);
}

}  // namespace edgesec
