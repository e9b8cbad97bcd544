#pragma once
// A test case that cannot run here (no root, no D-Bus, a tool missing) is a skip, not a pass. The
// Catch2 programs run with `-w NoAssertions`, so a case that returned early with nothing checked fails;
// SkipCase() instead says SKIP loudly, records one assertion (the case did decide something) and marks
// the program: when the run ends with no failure, the program exits 77 and meson reports SKIP.
//
//   if (::geteuid() != 0) return edgesec::testing::SkipCase("needs root to drop to uid 65534");

#include <string>

namespace edgesec::testing {

void SkipCase(const std::string& reason);

}  // namespace edgesec::testing
