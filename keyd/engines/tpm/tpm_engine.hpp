#pragma once
// The tpm engine: keys in a TPM 2.0 through tpm2-tss ESYS, created under a persistent storage
// primary key, their public/private blobs kept in keyd's state directory and loaded on use
// (security level 2). It implements the same C ABI as a vendor engine (edgesec/key_engine.h).

#include "common/error.hpp"
#include "edgesec/key_engine.h"

namespace edgesec::keyd::engines::tpm {

const edgesec_key_engine* Table();

// Its config section ([tpm]) is read by config/keyd (engine_sections.hpp) and reaches the engine
// as the "options" JSON of open().

}  // namespace edgesec::keyd::engines::tpm
