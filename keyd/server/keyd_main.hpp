#pragma once

namespace edgesec::keyd {

// edgesec-keyd: serves the keys API until SIGTERM. Exit codes: 0 clean stop, 1 failure, 2 usage.
int Main(int argc, char** argv);

}  // namespace edgesec::keyd
