#pragma once
// The file engine: key pairs as PKCS#8 PEM files and secret keys as small text files in keyd's
// state directory, mode 0600, written atomically. Keys preloaded from file:// URIs are read, never
// written. It implements the same C ABI as a vendor engine (edgesec/key_engine.h).

#include "edgesec/key_engine.h"

namespace edgesec::keyd::engines::file {

const edgesec_key_engine* Table();

}  // namespace edgesec::keyd::engines::file
