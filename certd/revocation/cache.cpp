#include "certd/revocation/cache.hpp"

#include <openssl/pem.h>

#include "common/fs.hpp"
#include "common/log.hpp"
#include "common/ossl.hpp"

namespace edgesec::certd::revocation {
namespace {

constexpr const char* kUrlLine = "edgesec-crl-url: ";

Expected<CrlPtr> ParseCacheFile(const std::string& text, const std::string& url) {
  size_t eol = text.find('\n');
  if (text.rfind(kUrlLine, 0) != 0 || eol == std::string::npos)
    return InvalidParameter("the first line is not 'edgesec-crl-url: <url>'");
  std::string named = text.substr(std::string(kUrlLine).size(), eol - std::string(kUrlLine).size());
  if (named != url) return InvalidParameter("it names URL '" + named + "', not '" + url + "'");
  std::string_view body(text.data() + eol + 1, text.size() - eol - 1);
  if (body.find("-----BEGIN X509 CRL-----") == std::string_view::npos)
    return InvalidParameter("it holds no PEM CRL");
  return ParseCrl(body);
}

}  // namespace

std::string CrlCache::PathFor(const std::string& url) const {
  return dir_ + "/" + HexLower(Sha256(url)).substr(0, 32) + ".crl";
}

std::optional<CrlPtr> CrlCache::Load(const std::string& url) const {
  std::string path = PathFor(url);
  auto text = fs::ReadOwnedFile(path, 022, kMaxFetchBytes * 2);
  if (!text) {
    if (text.error().kind == ErrorKind::kNotFound) return std::nullopt;
    log::Error("certd: the cached CRL '" + path + "' cannot be used (" + text.error().message +
               "); " + fs::SetAside(path, clock_.Now()));
    return std::nullopt;
  }
  auto crl = ParseCacheFile(*text, url);
  if (!crl) {
    log::Error("certd: the cached CRL '" + path + "' is damaged (" + crl.error().message + "); " +
               fs::SetAside(path, clock_.Now()) + "; it is fetched again");
    return std::nullopt;
  }
  return std::move(*crl);
}

Status CrlCache::Save(const std::string& url, X509_CRL* crl) const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_CRL(bio.get(), crl) != 1)
    return OpenSslError("cannot encode the CRL of '" + url + "'");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string text = kUrlLine + url + "\n" + std::string(data, static_cast<size_t>(len));
  EDGESEC_TRY(fs::MakeDirs(dir_, 0755));
  return fs::AtomicWriteFile(PathFor(url), text, 0644);
}

}  // namespace edgesec::certd::revocation
