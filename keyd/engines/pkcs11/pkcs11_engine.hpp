#pragma once
// The pkcs11 engine: keys on a PKCS#11 token, used through the module's own function list (dlopen
// once per process, C_GetFunctionList, C_Initialize with OS locking). Debian 12's libp11 0.4.12
// cannot generate or import EC keys, has no secret keys and does not parse RFC 7512 URIs, so the
// engine does not use it; p11-kit supplies the header and the URI parser. It implements the same C
// ABI as a vendor engine (edgesec/key_engine.h), security level 2 (a [pkcs11] section may report a
// lower one).

#include "common/error.hpp"
#include "edgesec/key_engine.h"

namespace edgesec::keyd::engines::pkcs11 {

const edgesec_key_engine* Table();

// Its config section ([pkcs11]) is read by config/keyd (engine_sections.hpp) and reaches the engine
// as the "options" JSON of open().

}  // namespace edgesec::keyd::engines::pkcs11
