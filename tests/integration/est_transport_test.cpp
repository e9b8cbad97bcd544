// The EST client's transport (certd/est/est_client.cpp) against the project's EST test server: TLS
// client auth with a keyd-held key, a changed identity on a new connection, 202 polling, error
// classification (retryable or final, the server's message kept), TLS 1.2, hostname and trust checks.
#include "keyd/client/keyd_client.hpp"
#include "keyd/client/remote_key.hpp"
#include "tests/integration/est_helpers.hpp"
#include "tests/support/temp_root.hpp"

using edgesec::testing::KeydUnderTest;
using edgesec::testing::LocalEcKey;
using edgesec::testing::TempDir;

namespace {

Error EnrollError(est::EstClient& client) {
  EvpPkeyPtr key = LocalEcKey();
  auto csr = Csr(key.get(), "failing");
  auto r = client.SimpleEnroll(csr.get());
  REQUIRE(!r);
  return r.error();
}

}  // namespace

TEST_CASE("TLS client auth with a keyd-held key: CSR signed by keyd, identity accepted by the server") {
  KeydUnderTest keyd;
  auto kc = std::make_shared<keyd::KeydClient>(keyd.socket());
  auto handle = kc->CreateKeyPairIfNotExists("est-identity", "ec-p256");
  REQUIRE(handle);
  auto key = keyd::LoadRemoteKey(kc, *handle);
  INFO((key ? "" : key.error().Describe()));
  REQUIRE(key);
  TempDir dir;
  // The keyd key gets its cert from one server; a second server that requires client certs trusts that
  // server's CA.
  EstServer open;
  auto open_client = MakeClient(open);
  auto issued = EnrollFor(open_client, key->get(), "keyd-device", {"DNS:keyd-device.example"});
  RequireOpensslVerifies(dir.path(), issued.cert.get(), issued.chain);
  EstServer closed({"--require-client-cert", "--client-ca", open.ChainPem()});
  auto client = MakeClient(closed);
  CHECK(EnrollError(client).kind == ErrorKind::kUnauthorized);  // no identity yet
  client.SetIdentity(Identity(issued, key->get()));
  EvpPkeyPtr next = LocalEcKey();
  auto r = EnrollFor(client, next.get(), "after-bootstrap");
  RequireOpensslVerifies(dir.path(), r.cert.get(), r.chain);
  auto log = RequestLog(closed);
  REQUIRE(log.size() == 2);
  CHECK(log[0]["client_subject"].is_null());
  CHECK(log[1]["client_subject"] == "O=edgesec tests,CN=keyd-device");
}

TEST_CASE("a changed client identity never rides on an earlier connection or TLS session") {
  EstServer issuer;
  auto issuer_client = MakeClient(issuer);
  EvpPkeyPtr key_a = LocalEcKey(), key_b = LocalEcKey();
  auto a = EnrollFor(issuer_client, key_a.get(), "identity-a");
  auto b = EnrollFor(issuer_client, key_b.get(), "identity-b");
  EstServer closed({"--require-client-cert", "--client-ca", issuer.ChainPem()});
  auto client = MakeClient(closed);
  for (int round = 0; round < 2; ++round) {
    client.SetIdentity(Identity(a, key_a.get()));
    EvpPkeyPtr k1 = LocalEcKey();
    EnrollFor(client, k1.get(), "via-a");
    client.SetIdentity(Identity(b, key_b.get()));
    EvpPkeyPtr k2 = LocalEcKey();
    EnrollFor(client, k2.get(), "via-b");
  }
  client.SetIdentity(std::nullopt);
  CHECK(EnrollError(client).kind == ErrorKind::kUnauthorized);
  auto log = RequestLog(closed);
  REQUIRE(log.size() == 5);
  for (int i = 0; i < 4; ++i)
    CHECK(log[i]["client_subject"] == (i % 2 == 0 ? "O=edgesec tests,CN=identity-a" : "O=edgesec tests,CN=identity-b"));
  CHECK(log[4]["client_subject"].is_null());
}

TEST_CASE("202 with Retry-After in seconds or as an HTTP date is polled until the cert comes") {
  TempDir dir;
  for (const char* form : {"seconds", "date"}) {
    EstServer server({"--mode", "pending", "--pending", "2", "--retry-after", "2", "--retry-after-form", form});
    Waits waits;
    auto client = MakeClient(server, &waits);
    EvpPkeyPtr key = LocalEcKey();
    auto r = EnrollFor(client, key.get(), "pending");
    RequireOpensslVerifies(dir.path(), r.cert.get(), r.chain);
    INFO(form);
    REQUIRE(waits.seconds.size() == 2);
    for (long s : waits.seconds) CHECK((s >= 1 && s <= 2));
    CHECK(RequestLog(server).size() == 3);
  }
}

TEST_CASE("202 polling stops at the bound with a retryable error") {
  EstServer server({"--mode", "pending", "--pending", "100", "--retry-after", "2"});
  Waits waits;
  est::EstConfig config;
  config.base_url = server.BaseUrl();
  config.trusted_certs = {server.RootPem()};
  config.max_total_wait = std::chrono::seconds(5);
  config.sleep = [&](std::chrono::seconds s) { waits.seconds.push_back(static_cast<long>(s.count())); };
  auto client = est::EstClient::Create(std::move(config));
  REQUIRE(client);
  Error e = EnrollError(*client);
  CHECK(est::IsRetryable(e));
  CHECK(e.message.find("still processing") != std::string::npos);
  CHECK(waits.seconds == std::vector<long>{2, 2});
}

TEST_CASE("500, a timeout and a dropped connection are retryable; 400 and 401 are final; messages kept") {
  {
    EstServer server({"--mode", "error500"});
    auto client = MakeClient(server);
    Error e = EnrollError(client);
    CHECK(est::IsRetryable(e));
    CHECK(client.last_status() == 500);
    CHECK(e.message.find("signer offline") != std::string::npos);
  }
  {
    EstServer server({"--mode", "slow", "--slow", "4"});
    est::EstConfig config;
    config.base_url = server.BaseUrl();
    config.trusted_certs = {server.RootPem()};
    config.request_timeout = std::chrono::seconds(1);
    auto client = est::EstClient::Create(std::move(config));
    REQUIRE(client);
    Error e = EnrollError(*client);
    INFO(e.Describe());
    CHECK(est::IsRetryable(e));
  }
  {
    EstServer server({"--mode", "drop"});
    auto client = MakeClient(server);
    Error e = EnrollError(client);
    INFO(e.Describe());
    CHECK(est::IsRetryable(e));
  }
  {
    EstServer server({"--mode", "badreq"});
    auto client = MakeClient(server);
    Error e = EnrollError(client);
    CHECK(!est::IsRetryable(e));
    CHECK(e.kind == ErrorKind::kInvalidParameter);
    CHECK(e.message.find("HTTP 400") != std::string::npos);
    CHECK(e.message.find("key too weak") != std::string::npos);
  }
  for (bool challenge : {true, false}) {
    std::vector<std::string> flags = {"--mode", "unauth"};
    if (!challenge) flags.push_back("--no-challenge");
    EstServer server(flags);
    auto client = MakeClient(server);
    Error e = EnrollError(client);
    CHECK(e.kind == ErrorKind::kUnauthorized);
    CHECK(!est::IsRetryable(e));
    CHECK(e.message.find("not allowed to enroll") != std::string::npos);
  }
}

TEST_CASE("a garbage body is refused with a clear, final error") {
  EstServer server({"--mode", "garbage"});
  auto client = MakeClient(server);
  Error e = EnrollError(client);
  CHECK(e.kind == ErrorKind::kUnprocessable);
  CHECK(!est::IsRetryable(e));
  CHECK(e.message.find("simpleenroll") != std::string::npos);
  CHECK(e.message.find("neither") != std::string::npos);
}

TEST_CASE("a TLS 1.2-only server works; localhost and a CA label work") {
  EstServer server({"--tls12-only", "--label", "devices"});
  auto client = MakeClient(server, nullptr, "localhost", "devices");
  EvpPkeyPtr key = LocalEcKey();
  EnrollFor(client, key.get(), "tls12");
  CHECK(RequestLog(server)[0]["tls_version"] == "TLSv1.2");
  CHECK(RequestLog(server)[0]["path"] == "/.well-known/est/devices/simpleenroll");
  auto unlabelled = MakeClient(server, nullptr, "localhost");
  auto r = unlabelled.CaCerts();
  REQUIRE(!r);
  CHECK(r.error().kind == ErrorKind::kNotFound);
}

TEST_CASE("a server cert for another host, or from an untrusted CA, is refused (final)") {
  {
    EstServer server({"--wrong-host"});
    auto client = MakeClient(server);
    auto r = client.CaCerts();
    REQUIRE(!r);
    CHECK(r.error().kind == ErrorKind::kUnauthorized);
    CHECK(!est::IsRetryable(r.error()));
    // Issue 11 7d: the name did not match (not libcurl's "SSL peer certificate ... was not OK"),
    // and the chain itself was trusted, by the configured anchors.
    INFO(r.error().Describe());
    CHECK(r.error().message.find("is not for this host name") != std::string::npos);
    CHECK(r.error().message.find("127.0.0.1") != std::string::npos);
    CHECK(r.error().message.find("chain is trusted") != std::string::npos);
    CHECK(r.error().message.find("'" + server.RootPem() + "'") != std::string::npos);
    CHECK(r.error().message.find("SSH remote key") == std::string::npos);
  }
  EstServer server;
  EstServer other;  // another PKI: its root is not the server's
  est::EstConfig config;
  config.base_url = server.BaseUrl();
  config.trusted_certs = {other.RootPem(), other.ChainPem()};
  auto client = est::EstClient::Create(std::move(config));
  REQUIRE(client);
  auto r = client->CaCerts();
  REQUIRE(!r);
  INFO(r.error().Describe());
  CHECK(r.error().kind == ErrorKind::kUnauthorized);
  // Untrusted, with OpenSSL's verify reason (the server sends its own root: 19, self-signed
  // certificate in certificate chain) and every anchor file used; never the name-mismatch wording.
  CHECK(r.error().message.find(std::string("chain is not trusted: ") +
                               X509_verify_cert_error_string(19) + " (verify error 19)") !=
        std::string::npos);
  CHECK(r.error().message.find("trust anchors: '" + other.RootPem() + "', '" + other.ChainPem() +
                               "' (trusted_certs; the system store is not used)") !=
        std::string::npos);
  CHECK(r.error().message.find("host name") == std::string::npos);
  CHECK(r.error().message.find("SSH remote key") == std::string::npos);
}

TEST_CASE("a subject-changing server is reported, the cert still returned") {
  EstServer server({"--change-subject"});
  auto client = MakeClient(server);
  EvpPkeyPtr key = LocalEcKey();
  auto r = EnrollFor(client, key.get(), "asked-for");
  CHECK(!r.subject_as_requested);
  CHECK(SubjectOf(r.cert.get()) == "/CN=changed-by-server");
}
