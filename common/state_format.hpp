#pragma once
// State directories and state files carry a format version (DESIGN.md, "Packaging"): a daemon
// refuses a newer one with a clear message, so that a downgrade never misreads state. One check for
// keyd's and certd's state directories (a FORMAT file) and identityd's state files (a "format"
// member).

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/json.hpp"

namespace edgesec {

// `dir`/FORMAT: written with `format` (mode `mode`) when absent; kConfig "state directory '…' has
// format version N, newer than this <daemon> understands (…)" when it holds another version; the
// read or write error (kIo, …) otherwise.
Status CheckStateDirFormat(const std::string& dir, std::string_view format, mode_t mode,
                           std::string_view daemon);

// The "format" member of the state file `path` (0 when absent); kConfig "'…' was written by a newer
// edgesec (format N); upgrade edgesec or remove the file" when it is above `understood`.
Status CheckStateFileFormat(const Json& state, int understood, const std::string& path);

// A damaged state file is kept for the operator, never read again: renamed to `path`.bad-<UTC time
// of `now`> (never over an earlier one; ".1", ".2", … appended). Says what happened, for the log
// line: "kept aside as '…'", or why it could not be (then the next save overwrites it).
std::string KeepAside(const std::string& path, int64_t now);

// A state file as a daemon reads it at start: its text (nullopt when absent), and, when its mode or
// owner is not what the daemon writes (`mode`, the daemon's own uid), what differs — the caller
// writes it again (atomically: a new file, the daemon's, with `mode`).
struct StateFileText {
  std::optional<std::string> text;
  std::string wrong;  // e.g. "mode 0644", "owner uid 0"; empty when right
};
// kIo naming the file, the daemon's uid and what to run when the file exists but cannot be read
// (owner, mode, a directory in its place); `if_removed` says what removing it would cost.
Expected<StateFileText> ReadStateFile(const std::string& path, mode_t mode, std::string_view daemon,
                                      std::string_view if_removed);

}  // namespace edgesec
