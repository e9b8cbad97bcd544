#pragma once
// edgesec's part of the OS trust store (Debian's update-ca-certificates): one certificate per
// `.crt` file under DIR/usr/local/share/ca-certificates/edgesec/, named stably by subject and
// fingerprint. The folder is edgesec's alone and is also the marker that the integrator installed
// the trust bundle (`edgectl trust install`): edgesec-trust.service and identityd's rollover
// refresh do nothing without it. Nothing outside the folder is touched here; running
// update-ca-certificates is the caller's business.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/ossl.hpp"
#include "common/paths.hpp"

namespace edgesec::trust {

// DIR/usr/local/share/ca-certificates/edgesec ("/usr/local/…" for the system layout).
std::string StoreDir(const Layout& layout);
// True when the folder exists (trust was installed and not removed).
bool Installed(const Layout& layout);

// "<subject slug>-<first 16 hex digits of the SHA-256 fingerprint>.crt", e.g.
// "edgesec-edge-ca-myhost-3f2a9c0d11e4b7a8.crt".
std::string FileNameFor(X509* cert);

struct WriteResult {
  std::vector<std::string> files;    // every file of the folder now, sorted
  std::vector<std::string> added;    // written because new or different
  std::vector<std::string> removed;  // stale .crt files of the folder, deleted
};

// Writes each certificate of `bundle_pem` to its own file in `dir` (0644, atomically; a file with
// the same content is left alone), creates `dir` (0755) and deletes the folder's other `.crt`
// files. kInvalidParameter when the bundle holds no certificate (nothing is changed then).
Expected<WriteResult> Write(const std::string& dir, std::string_view bundle_pem);

// Deletes the folder's files and the folder. A missing folder is not an error; a folder with
// anything else in it (a subfolder) is left with that and reported.
Expected<std::vector<std::string>> Remove(const std::string& dir);

}  // namespace edgesec::trust
