#pragma once

namespace edgesec::certd {

// edgesec-certd's whole life; tests call it too.
int Main(int argc, char** argv);

}  // namespace edgesec::certd
