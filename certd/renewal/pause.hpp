#pragma once
// Test-only pause points of a renewal (EDGESEC_TEST_PAUSE=<phase>, honoured only under --root):
// at that phase the renewal writes <state dir>/paused-<phase> and sleeps forever, so that a test
// can SIGKILL certd there. Phases: after-key, after-cert, before-commit, after-commit.

#include <string>

namespace edgesec::certd::renewal {

void EnablePausePoint(std::string phase, std::string state_dir);
// No-op unless `phase` is the enabled one.
void PauseAt(const char* phase);

}  // namespace edgesec::certd::renewal
