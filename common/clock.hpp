#pragma once
// The one time source of the daemons (DESIGN.md: "Times are computed from the certificates and an
// injected clock"; STYLE.md: "Time ... is injected"). Seconds since the epoch: the wall clock, a
// fake one for tests, and a wall clock with an offset read from a file for the integration tests
// (the EDGESEC_TEST_CLOCK_FILE hook, honoured only under --root). No function here fails.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "common/paths.hpp"

namespace edgesec {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t Now() const = 0;
};

class SystemClock : public Clock {
 public:
  int64_t Now() const override;
};

// Wall time + the integer number of seconds written in `path` (re-read at every Now(); a missing or
// unreadable file counts as 0).
class OffsetFileClock : public Clock {
 public:
  explicit OffsetFileClock(std::string path) : path_(std::move(path)) {}
  int64_t Now() const override;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t now = 1'800'000'000) : now_(now) {}
  int64_t Now() const override { return now_.load(); }
  void Set(int64_t now) { now_.store(now); }
  void Advance(int64_t seconds) { now_.fetch_add(seconds); }

 private:
  std::atomic<int64_t> now_;
};

// The test hook: an OffsetFileClock on $EDGESEC_TEST_CLOCK_FILE when `layout` is rooted (--root)
// and the variable is set and not empty; null otherwise (production never reads the variable).
std::shared_ptr<const OffsetFileClock> TestClockFromEnv(const Layout& layout);

// The earliest plausible time: the build's commit date (meson passes EDGESEC_BUILD_EPOCH). A clock
// before it is wrong (no RTC, NTP not synced yet): nothing is issued or renewed until it moves on.
int64_t BuildEpoch();

}  // namespace edgesec
