#pragma once
// The EST client as certd's config describes it: [est] with a credential's own URL and HTTP Basic
// overrides. Used by certd's EST issuance and by `edgectl est`.

#include "certd/est/est_client.hpp"
#include "common/error.hpp"
#include "config/certd/est_config.hpp"

namespace edgesec::certd::est {

// The client for a credential: [est] with the credential's overrides (a null `cred`: [est] alone).
// kInvalidParameter when no EST server URL is configured; the client's own errors otherwise.
Expected<EstClient> MakeEstClient(const EstSettings& est, const EstCredential* cred);

}  // namespace edgesec::certd::est
