#include "common/trust_store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <set>

#include "common/fs.hpp"
#include "common/x509/details.hpp"
#include "common/x509/pem.hpp"

namespace edgesec::trust {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The subject's CN (else the whole subject) in lower case, runs of other characters as one '-',
// at most 48 characters; "cert" when nothing is left.
std::string Slug(X509* cert) {
  char cn[256] = {0};
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  std::string text =
      n > 0 ? std::string(cn, static_cast<size_t>(n)) : x509::NameText(X509_get_subject_name(cert));
  std::string slug;
  for (unsigned char c : text) {
    if (std::isalnum(c))
      slug += static_cast<char>(std::tolower(c));
    else if (!slug.empty() && slug.back() != '-')
      slug += '-';
    if (slug.size() >= 48) break;
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug.empty() ? "cert" : slug;
}

}  // namespace

std::string StoreDir(const Layout& layout) {
  return layout.root + "/usr/local/share/ca-certificates/edgesec";
}

bool Installed(const Layout& layout) {
  struct stat st {};
  return ::stat(StoreDir(layout).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string FileNameFor(X509* cert) {
  std::string hex;
  for (char c : x509::Sha256Fingerprint(cert))
    if (std::isxdigit(static_cast<unsigned char>(c)))
      hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return Slug(cert) + "-" + hex.substr(0, 16) + ".crt";
}

Expected<WriteResult> Write(const std::string& dir, std::string_view bundle_pem) {
  auto chain = x509::ParsePemChain(bundle_pem);
  if (!chain)
    return InvalidParameter("the trust bundle holds no certificate: " + chain.error().message);
  EDGESEC_TRY(fs::MakeDirs(dir, 0755));
  WriteResult result;
  std::set<std::string> wanted;
  for (const auto& cert : *chain) {
    std::string name = FileNameFor(cert.get());
    if (!wanted.insert(name).second) continue;
    EDGESEC_ASSIGN_OR_RETURN(std::string pem, x509::ToPem(cert.get()));
    std::string path = dir + "/" + name;
    auto existing = fs::ReadFile(path);
    struct stat st {};
    if (existing && *existing == pem && ::stat(path.c_str(), &st) == 0 &&
        (st.st_mode & 07777) == 0644)
      continue;
    EDGESEC_TRY(fs::AtomicWriteFile(path, pem, 0644));
    result.added.push_back(name);
  }
  EDGESEC_ASSIGN_OR_RETURN(auto present, fs::ListFiles(dir));
  for (const auto& name : present) {
    if (wanted.count(name) || !EndsWith(name, ".crt")) continue;
    EDGESEC_TRY(fs::RemoveFile(dir + "/" + name));
    result.removed.push_back(name);
  }
  result.files.assign(wanted.begin(), wanted.end());
  return result;
}

Expected<std::vector<std::string>> Remove(const std::string& dir) {
  EDGESEC_ASSIGN_OR_RETURN(auto present, fs::ListFiles(dir));
  for (const auto& name : present) EDGESEC_TRY(fs::RemoveFile(dir + "/" + name));
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT)
    return IoError("cannot remove the folder '" + dir + "' (is there anything else in it?)", errno);
  if (!present.empty()) EDGESEC_TRY(fs::FsyncDirectoryOf(dir));
  return present;
}

}  // namespace edgesec::trust
