#pragma once
// edgectl cert …: shared between cert_commands.cpp and cert_import.cpp.

#include "certd/client/certd_client.hpp"
#include "cli/cli.hpp"

namespace edgesec::cli {

certd::CertdClient CertdClientFor(const Context& ctx);
int CertImport(Context& ctx);

}  // namespace edgesec::cli
