#pragma once
// identityd (edgesec-identityd), the identity daemon and Edge CA. Its sources live in daemon/ — the
// folder keeps the product layout's name; the daemon is identityd everywhere else.

namespace edgesec::identityd {
// edgesec-identityd's whole program; main() only calls this (tests too).
int Main(int argc, char** argv);
}  // namespace edgesec::identityd
