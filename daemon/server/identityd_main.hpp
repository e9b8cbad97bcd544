#pragma once

namespace edgesec::identityd {
// edgesec-identityd's whole program; main() only calls this (tests too).
int Main(int argc, char** argv);
}  // namespace edgesec::identityd
