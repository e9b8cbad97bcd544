// keyd's [tpm] section, read into the options the engine's open() gets.
#include "keyd/engines/tpm/tpm.hpp"
#include "keyd/engines/tpm/tpm_engine.hpp"

namespace edgesec::keyd::engines::tpm {

Expected<Json> ParseSection(config::Reader& r) {
  Json options = Json::object();
  EDGESEC_ASSIGN_OR_RETURN(auto tcti, r.String("tcti"));
  if (!tcti || tcti->empty())
    return r.ErrorAt("tcti",
                     "the [tpm] section needs 'tcti', e.g. \"device:/dev/tpmrm0\", \"tabrmd\" or "
                     "\"swtpm:host=127.0.0.1,port=2321\"");
  options["tcti"] = *tcti;
  EDGESEC_ASSIGN_OR_RETURN(auto auth, r.String("owner_auth"));
  EDGESEC_ASSIGN_OR_RETURN(auto auth_file, r.String("owner_auth_file"));
  if (auth && auth_file)
    return r.ErrorAt("owner_auth_file", "give either 'owner_auth' or 'owner_auth_file', not both");
  if (auth) options["owner_auth"] = *auth;
  if (auth_file) {
    if (auth_file->empty() || (*auth_file)[0] != '/')
      return r.ErrorAt("owner_auth_file", "must be an absolute path");
    options["owner_auth_file"] = *auth_file;
  }
  EDGESEC_ASSIGN_OR_RETURN(auto handle, r.Integer("persistent_handle"));
  if (handle) {
    if (*handle < 0x81000000 || *handle > 0x817FFFFF)
      return r.ErrorAt(
          "persistent_handle",
          "must be an owner persistent handle, 0x81000000 to 0x817fffff (default 0x81000100)");
    options["persistent_handle"] = *handle;
  }
  EDGESEC_ASSIGN_OR_RETURN(auto level, r.Integer("security_level"));
  if (level) {
    if (*level < 0 || *level > 2) return r.ErrorAt("security_level", "must be 0, 1 or 2");
    options["security_level"] = static_cast<uint32_t>(*level);
  }
  return options;
}

}  // namespace edgesec::keyd::engines::tpm
