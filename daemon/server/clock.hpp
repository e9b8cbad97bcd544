#pragma once
// identityd's clock: wall time, plus — only in test/dev mode (--root) — the offset in seconds read
// from $EDGESEC_TEST_CLOCK_FILE on every call, the same hook certd honours, so that a test can move
// both daemons' clocks together.

#include <cstdint>
#include <functional>

#include "common/paths.hpp"

namespace edgesec::identityd {

using Clock = std::function<int64_t()>;  // seconds since the epoch
Clock MakeClock(const Layout& layout);

}  // namespace edgesec::identityd
