#pragma once
// Command line shared by the daemons: --root DIR, --log-level L, --help, --version.

#include <string>

#include "common/error.hpp"
#include "common/paths.hpp"

namespace edgesec {

struct DaemonArgs {
  Layout layout = Layout::System();
  bool help = false;
  bool version = false;
};

// Applies --log-level (after $EDGESEC_LOG). kInvalidParameter with a usage message on a bad
// argument.
Expected<DaemonArgs> ParseDaemonArgs(int argc, char** argv);
std::string DaemonUsage(const std::string& binary, const std::string& what);

}  // namespace edgesec
