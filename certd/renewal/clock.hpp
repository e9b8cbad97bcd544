#pragma once
// The time source of certd (DESIGN.md: "Times are computed from the certificates and an injected
// clock"). Seconds since the epoch; a fake one for tests, a wall clock with an offset read from a
// file for the integration tests (honoured only under --root).

#include <atomic>
#include <cstdint>
#include <string>

namespace edgesec::certd::renewal {

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
// unreadable file counts as 0). The EDGESEC_TEST_CLOCK_FILE hook.
class OffsetFileClock : public Clock {
 public:
  explicit OffsetFileClock(std::string path) : path_(std::move(path)) {}
  int64_t Now() const override;

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

// The earliest plausible time: the build's commit date (meson passes EDGESEC_BUILD_EPOCH). A clock
// before it is wrong (no RTC, NTP not synced yet): nothing is issued or renewed until it moves on.
int64_t BuildEpoch();

}  // namespace edgesec::certd::renewal
