// The EST servers of certd's config answer over TLS with the configured trust: a handshake that
// verifies the server against [est] trusted_certs (and its host name), then GET /cacerts.
#include <set>

#include "certd/est/est_client.hpp"
#include "cli/check/check.hpp"
#include "common/url.hpp"
#include "config/certd/config.hpp"

namespace edgesec::cli::check {
namespace {

void CheckServer(Report& report, const certd::EstSettings& est, const std::string& written,
                 const std::string& config_name) {
  const std::string url = RedactUrl(written);  // what is printed; the client gets `written`
  std::string id = "est:" + url;
  std::string anchors;
  for (const auto& a : est.trusted_certs) anchors += (anchors.empty() ? "'" : ", '") + a + "'";
  if (est.trusted_certs.empty()) {
    report.Fail(id, "EST server '" + url + "' has no trust anchors",
                "set [est] trusted_certs in " + config_name +
                    " to the PEM file(s) of the CA that issued the EST server's TLS certificate");
    return;
  }
  certd::est::EstConfig cfg;
  cfg.base_url = written;
  cfg.label = est.label;
  cfg.trusted_certs = est.trusted_certs;
  cfg.connect_timeout = std::chrono::seconds(5);
  cfg.request_timeout = std::chrono::seconds(10);
  cfg.max_total_wait = std::chrono::seconds(0);
  auto client = certd::est::EstClient::Create(std::move(cfg));
  if (!client) {
    report.Fail(id, "EST server '" + url + "': " + client.error().message,
                "fix [est] url / trusted_certs in " + config_name);
    return;
  }
  auto certs = client->CaCerts();
  if (!certs) {
    const Error& e = certs.error();
    std::string hint =
        e.kind == ErrorKind::kUnauthorized
            ? "the server's TLS certificate does not verify against " + anchors +
                  " (or not for its host name): put the CA that issued it in [est] trusted_certs"
            : "check that the EST server runs and that this device can reach '" + url +
                  "' (firewall, proxy, DNS); try: edgectl est cacerts";
    report.Fail(id, "EST server '" + url + "' is not reachable over TLS: " + e.message, hint);
    return;
  }
  report.Pass(id, "EST server '" + client->Url("cacerts") + "' answers over TLS trusted by " +
                      anchors + " (" + std::to_string(certs->size()) + " CA cert(s))");
}

}  // namespace

void CheckEst(Env& env, Report& report) {
  auto config = certd::LoadCertdConfig(env.layout);
  if (!config) {
    report.Skip("est", "certd's config does not load (see the config check): EST not checked");
    return;
  }
  std::string config_name = "certd's config ('" + env.layout.ServiceConfigFile("certd") + "' or '" +
                            env.layout.ServiceConfigDir("certd") + "/')";
  std::set<std::string> urls;
  if (!config->est.url.empty()) urls.insert(config->est.url);
  for (const auto& [id, cred] : config->credentials)
    if (cred.method == certd::IssuanceMethod::kEst && !cred.est.url.empty())
      urls.insert(cred.est.url);
  if (urls.empty()) {
    report.Skip("est", "no EST server is configured");
    return;
  }
  for (const auto& url : urls) CheckServer(report, config->est, url, config_name);
}

}  // namespace edgesec::cli::check
