// The EST client library (certd/est) against the project's own EST test server (tests/est/est_server.py):
// enrollment in every encoding the field uses, re-enrollment, /csrattrs, /serverkeygen, Basic auth, TLS
// client auth with a keyd-held key, and a changed client identity never riding on an earlier connection.
// Every enrolled certificate is checked with `openssl verify` against the chain the server returned.
#include <fstream>

#include "keyd/client/keyd_client.hpp"
#include "keyd/client/remote_key.hpp"
#include "tests/integration/est_helpers.hpp"
#include "tests/support/temp_root.hpp"

using edgesec::testing::LocalEcKey;
using edgesec::testing::TempDir;

TEST_CASE("cacerts are ordered issuing CA then root, in every encoding the server may use") {
  for (const char* encoding : {"b64", "b64-nowrap", "pem", "pem-certs"}) {
    EstServer server({"--encoding", encoding});
    auto client = MakeClient(server);
    auto certs = client.CaCerts();
    INFO(encoding << ": " << (certs ? "" : certs.error().Describe()));
    REQUIRE(certs);
    REQUIRE(certs->size() == 2);
    CHECK(SubjectOf((*certs)[0].get()).rfind("/CN=EST Test Issuing CA ", 0) == 0);
    CHECK(SubjectOf((*certs)[1].get()).rfind("/CN=EST Test Root CA ", 0) == 0);
  }
}

TEST_CASE("simpleenroll returns a cert for the CSR's key, full chain or leaf only, in every encoding") {
  TempDir dir;
  for (const char* chain : {"full", "leaf"}) {
    for (const char* encoding : {"b64", "b64-nowrap", "pem", "pem-certs"}) {
      EstServer server({"--encoding", encoding, "--chain", chain});
      auto client = MakeClient(server);
      EvpPkeyPtr key = LocalEcKey();
      auto r = EnrollFor(client, key.get(), "device-1", {"DNS:device-1.example", "IP:10.0.0.7"});
      INFO(chain << " " << encoding);
      CHECK(EVP_PKEY_eq(X509_get0_pubkey(r.cert.get()), key.get()) == 1);
      CHECK(r.subject_as_requested);
      CHECK(r.chain.size() == (std::string(chain) == "full" ? 2u : 0u));
      // Leaf only: the chain comes from /cacerts.
      std::vector<X509Ptr> verify_chain;
      if (r.chain.empty()) {
        auto ca = client.CaCerts();
        REQUIRE(ca);
        verify_chain = std::move(*ca);
      } else {
        for (auto& c : r.chain) verify_chain.push_back(std::move(c));
      }
      RequireOpensslVerifies(dir.path(), r.cert.get(), verify_chain);
      auto log = RequestLog(server);
      auto& entry = log.front();
      CHECK(entry["csr_subject"] == "O=edgesec tests,CN=device-1");
      CHECK(entry["csr_sans"].size() == 2);
    }
  }
}

TEST_CASE("simplereenroll over TLS with the current cert keeps subject and SANs, with a new key or the same") {
  TempDir dir;
  EstServer server;
  auto client = MakeClient(server);
  EvpPkeyPtr key = LocalEcKey();
  auto first = EnrollFor(client, key.get(), "device-2", {"DNS:device-2.example"});
  for (bool rotate : {true, false}) {
    EvpPkeyPtr new_key = rotate ? LocalEcKey() : nullptr;
    EVP_PKEY* csr_key = rotate ? new_key.get() : key.get();
    client.SetIdentity(Identity(first, key.get()));
    auto csr = est::BuildReenrollCsr(first.cert.get(), csr_key);
    REQUIRE(csr);
    CHECK(X509_NAME_cmp(X509_REQ_get_subject_name(csr->get()), X509_get_subject_name(first.cert.get())) == 0);
    auto r = client.SimpleReenroll(csr->get());
    INFO((r ? "" : r.error().Describe()));
    REQUIRE(r);
    CHECK(EVP_PKEY_eq(X509_get0_pubkey(r->cert.get()), csr_key) == 1);
    CHECK(X509_NAME_cmp(X509_get_subject_name(r->cert.get()), X509_get_subject_name(first.cert.get())) == 0);
    RequireOpensslVerifies(dir.path(), r->cert.get(), r->chain);
  }
  auto log = RequestLog(server);
  REQUIRE(log.size() == 3);
  CHECK(log[1]["path"] == "/.well-known/est/simplereenroll");
  CHECK(log[1]["client_subject"] == "O=edgesec tests,CN=device-2");
  CHECK(log[1]["csr_sans"][0] == "<DNSName(value='device-2.example')>");
  // The server refuses a re-enrollment CSR whose subject differs (400, final, message kept).
  EvpPkeyPtr other = LocalEcKey();
  auto bad = Csr(other.get(), "someone-else");
  auto r = client.SimpleReenroll(bad.get());
  REQUIRE(!r);
  CHECK(r.error().kind == ErrorKind::kInvalidParameter);
  CHECK(!est::IsRetryable(r.error()));
  CHECK(r.error().message.find("differ from the current cert") != std::string::npos);
}

TEST_CASE("csrattrs shape the CSR: P-384 key, SHA-384, challengePassword, requested extension") {
  TempDir dir;
  EstServer server;
  auto client = MakeClient(server);
  auto attrs = client.CsrAttributes();
  INFO((attrs ? "" : attrs.error().Describe()));
  REQUIRE(attrs);
  CHECK(attrs->challenge_password);
  CHECK(attrs->key_type == EVP_PKEY_EC);
  CHECK(attrs->curve == "secp384r1");
  CHECK(attrs->digest == "SHA384");
  CHECK(attrs->requested_extensions.size() == 1);
  CHECK(attrs->other_oids == std::vector<std::string>{"1.3.6.1.1.1.1.22"});
  auto key = est::GenerateKeyFor(&*attrs);
  REQUIRE(key);
  CHECK(est::KeyMatchesAttrs(key->get(), *attrs));
  est::CsrSpec spec;
  spec.subject = {{"CN", "shaped"}};
  spec.key = key->get();
  spec.attrs = &*attrs;
  spec.challenge_password = Secret::FromString("otp-1234");
  auto csr = est::BuildCsr(spec);
  REQUIRE(csr);
  auto r = client.SimpleEnroll(csr->get());
  REQUIRE(r);
  RequireOpensslVerifies(dir.path(), r->cert.get(), r->chain);
  auto entry = RequestLog(server).back();
  CHECK(entry["csr_key"] == "secp384r1");
  CHECK(entry["csr_sig_hash"] == "sha384");
  CHECK(entry["csr_challenge"] == "otp-1234");
  CHECK(entry["csr_extensions"][0] == "2.5.29.15");

  // A body padded with NUL bytes (a third-party server, issue 11 trap 7b): the same requests.
  EstServer padded({"--csrattrs-nul-padding"});
  auto padded_client = MakeClient(padded);
  auto padded_attrs = padded_client.CsrAttributes();
  INFO((padded_attrs ? "" : padded_attrs.error().Describe()));
  REQUIRE(padded_attrs);
  CHECK(padded_attrs->key_type == EVP_PKEY_EC);
  CHECK(padded_attrs->curve == "secp384r1");
  CHECK(padded_attrs->digest == "SHA384");
  CHECK(padded_attrs->challenge_password);

  EstServer none({"--no-csrattrs"});
  auto none_client = MakeClient(none);
  auto empty = none_client.CsrAttributes();
  REQUIRE(empty);
  CHECK(!empty->challenge_password);
  CHECK(!empty->key_type);
}

TEST_CASE("serverkeygen returns the key as PKCS#8 whether the server sends PKCS#8 or PKCS#1") {
  TempDir dir;
  for (const char* format : {"pkcs8", "pkcs1"}) {
    EstServer server({"--keygen-format", format});
    auto client = MakeClient(server);
    EvpPkeyPtr placeholder = LocalEcKey();
    auto csr = Csr(placeholder.get(), "keygen");
    auto r = client.ServerKeygen(csr.get());
    INFO(format << ": " << (r ? "" : r.error().Describe()));
    REQUIRE(r);
    auto key = PrivateKeyFromPkcs8Der(Bytes(r->pkcs8_der.data(), r->pkcs8_der.data() + r->pkcs8_der.size()));
    REQUIRE(key);
    CHECK(EVP_PKEY_get_base_id(key->get()) == (std::string(format) == "pkcs1" ? EVP_PKEY_RSA : EVP_PKEY_EC));
    REQUIRE(r->chain.size() == 3);
    CHECK(EVP_PKEY_eq(X509_get0_pubkey(r->chain[0].get()), key->get()) == 1);
    std::vector<X509Ptr> rest;
    for (size_t i = 1; i < r->chain.size(); ++i) rest.push_back(std::move(r->chain[i]));
    RequireOpensslVerifies(dir.path(), r->chain[0].get(), rest);
  }
}

TEST_CASE("Basic auth: the right password enrolls, a wrong one is a final 401 with the server's message") {
  for (bool challenge : {true, false}) {
    std::vector<std::string> flags = {"--user", "device", "--password", "s3cret"};
    if (!challenge) flags.push_back("--no-challenge");
    EstServer server(flags);
    TempDir dir;
    {
      est::EstConfig config;
      config.base_url = server.BaseUrl();
      config.trusted_certs = {server.RootPem()};
      config.username = "device";
      testing::WriteFile(dir.path() + "/pw", "s3cret\n");
      config.password_file = dir.path() + "/pw";
      auto client = est::EstClient::Create(std::move(config));
      REQUIRE(client);
      EvpPkeyPtr key = LocalEcKey();
      EnrollFor(*client, key.get(), "basic-ok");
    }
    est::EstConfig config;
    config.base_url = server.BaseUrl();
    config.trusted_certs = {server.RootPem()};
    config.username = "device";
    config.password = Secret::FromString("wrong");
    auto client = est::EstClient::Create(std::move(config));
    REQUIRE(client);
    EvpPkeyPtr key = LocalEcKey();
    auto csr = Csr(key.get(), "basic-bad");
    auto r = client->SimpleEnroll(csr.get());
    REQUIRE(!r);
    CHECK(r.error().kind == ErrorKind::kUnauthorized);
    CHECK(!est::IsRetryable(r.error()));
    CHECK(client->last_status() == 401);
    CHECK(r.error().message.find("bad or missing credentials") != std::string::npos);
    CHECK(r.error().message.find(challenge ? "challenge 'Basic realm" : "(no challenge)") != std::string::npos);
    CHECK(r.error().message.find("wrong") == std::string::npos);  // never the password
    CHECK(RequestLog(server)[0]["user"] == "device:s3cret");
  }
}
