#include "certd/est/est_factory.hpp"

#include <chrono>

namespace edgesec::certd::est {

Expected<EstClient> MakeEstClient(const EstSettings& est, const EstCredential* cred) {
  EstConfig c;
  c.base_url = cred != nullptr && !cred->url.empty() ? cred->url : est.url;
  c.label = est.label;
  c.trusted_certs = est.trusted_certs;
  bool own = cred != nullptr && !cred->username.empty();
  c.username = own ? cred->username : est.username;
  const auto& password = own ? cred->password : est.password;
  if (password) c.password = password->Copy();
  c.password_file = own ? cred->password_file : est.password_file;
  c.max_total_wait = std::chrono::seconds(est.max_wait_seconds);
  if (c.base_url.empty())
    return InvalidParameter("no EST server configured: set [est] url in certd's config");
  auto client = EstClient::Create(std::move(c));
  if (!client) return client.error().Context("EST client");
  return client;
}

}  // namespace edgesec::certd::est
