#pragma once
// The tpm engine: keys in a TPM 2.0 through tpm2-tss ESYS, created under a persistent storage
// primary key, their public/private blobs kept in keyd's state directory and loaded on use
// (security level 2). It implements the same C ABI as a vendor engine (edgesec/key_engine.h).

#include "common/error.hpp"
#include "common/json.hpp"
#include "config/toml_reader.hpp"
#include "edgesec/key_engine.h"

namespace edgesec::keyd::engines::tpm {

const edgesec_key_engine* Table();

// keyd's [tpm] section (docs/keyd.md):
//   tcti = "device:/dev/tpmrm0" | "tabrmd" | "tabrmd:bus_type=session" |
//   "swtpm:host=127.0.0.1,port=2321" owner_auth = "…" or owner_auth_file = "/path"   (owner
//   hierarchy auth; neither: empty) persistent_handle = 0x81000100                  (the storage
//   primary; 0x81000000-0x817fffff) security_level = 2                              (may lower what
//   the engine reports)
// into the engine's "options" object; kConfig with file:line:col on a bad key.
Expected<Json> ParseSection(config::Reader& section);

}  // namespace edgesec::keyd::engines::tpm
