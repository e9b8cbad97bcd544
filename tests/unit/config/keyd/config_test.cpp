// config/keyd/config: keyd's config.toml + config.d/*.toml under a --root layout, and the errors an
// operator sees: "file:line:col: 'dotted.key': what to change".
#include <catch2/catch.hpp>
#include <string>

#include "common/fs.hpp"
#include "config/keyd/config.hpp"
#include "tests/support/temp_root.hpp"

using edgesec::ErrorKind;
using edgesec::Layout;
using edgesec::keyd::KeydConfig;
using edgesec::keyd::LoadKeydConfig;

namespace {

struct ConfigRoot {
  edgesec::testing::TempDir dir;
  Layout layout = Layout::UnderRoot(dir.path());

  // Writes etc/edgesec/keyd/<name> ("config.toml" or "config.d/NN.toml"); returns its path.
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = layout.etc() + "/keyd/" + name;
    REQUIRE(edgesec::fs::MakeDirs(edgesec::fs::DirName(path), 0755));
    REQUIRE(edgesec::fs::AtomicWriteFile(path, text, 0600));
    return path;
  }
  std::string Main(const std::string& text) { return Write("config.toml", text); }

  // Loads and expects a kConfig error; returns its message.
  std::string Error() {
    auto c = LoadKeydConfig(layout);
    REQUIRE_FALSE(c);
    CHECK(c.error().kind == ErrorKind::kConfig);
    return c.error().message;
  }
};

}  // namespace

TEST_CASE("keyd config has the embedded defaults when no file exists") {
  ConfigRoot root;
  auto c = LoadKeydConfig(root.layout);
  REQUIRE(c);
  CHECK(c->default_engine == "file");
  CHECK(c->preferred_algorithms == "*");
  CHECK(c->socket_mode == 0660);
  CHECK(c->preloaded_keys.empty());
  CHECK(c->engines.empty());
  CHECK(c->key_engines.empty());
  CHECK(c->principals.empty());
}

TEST_CASE("keyd config reads every key of config.toml") {
  ConfigRoot root;
  root.Main(R"(
preferred_algorithms = "ec-p384:rsa-2048:*"
socket_mode = "0666"

[preloaded_keys]
"device-id" = "file:///etc/keys/device.pem"

[engines.vendor]
path = "/usr/lib/vendor.so"
options = "slot=1"
security_level = 1

[[key_engine]]
keys = ["vendor-*", "hsm-?"]
engine = "vendor"

[[principal]]
uid = 1001
keys = ["module-*"]

[[principal]]
name = "root"
keys = ["*"]
)");
  auto c = LoadKeydConfig(root.layout);
  REQUIRE(c);
  CHECK(c->preferred_algorithms == "ec-p384:rsa-2048:*");
  CHECK(c->socket_mode == 0666);
  CHECK(c->preloaded_keys ==
        std::map<std::string, std::string>{{"device-id", "file:///etc/keys/device.pem"}});
  REQUIRE(c->engines.size() == 1);
  CHECK(c->engines[0].name == "vendor");
  CHECK(c->engines[0].path == "/usr/lib/vendor.so");
  CHECK(c->engines[0].options == "slot=1");
  CHECK(c->engines[0].security_level == 1u);
  REQUIRE(c->key_engines.size() == 1);
  CHECK(c->key_engines[0].key_globs == std::vector<std::string>{"vendor-*", "hsm-?"});
  CHECK(c->key_engines[0].engine == "vendor");
  REQUIRE(c->principals.size() == 2);
  CHECK(c->principals[0].uid == 1001);
  CHECK(c->principals[0].key_globs == std::vector<std::string>{"module-*"});
  CHECK(c->principals[1].uid == 0);  // resolved from the user name
}

TEST_CASE("a later config.d file overrides the keys of earlier files, in lexical order") {
  ConfigRoot root;
  root.Main("socket_mode = \"0600\"\npreferred_algorithms = \"rsa-2048\"\n");
  root.Write("config.d/10-first.toml", "socket_mode = \"0640\"\n");
  root.Write("config.d/20-second.toml", "socket_mode = \"0666\"\n");
  root.Write("config.d/9-last.toml",
             "preferred_algorithms = \"ed25519\"\n");  // "9" sorts after "20"
  root.Write("config.d/99-ignored.toml.bak", "this is not toml");
  root.Write("config.d/README", "not a config file either");
  auto c = LoadKeydConfig(root.layout);
  REQUIRE(c);
  CHECK(c->socket_mode == 0666);
  CHECK(c->preferred_algorithms == "ed25519");
}

TEST_CASE(
    "a later file adds preloaded keys and engines to an earlier file's, replacing those of the "
    "same name") {
  // DESIGN.md: later files override earlier *keys*. preloaded_keys.<id> and engines.<name> are keys
  // of their own, so a drop-in that adds one must not drop the others (a dropped preloaded key
  // would be silently replaced by a fresh file key of the same id).
  ConfigRoot root;
  root.Write(
      "config.d/00-super.toml",
      "[preloaded_keys]\ndevice-id = \"file:///keys/device.pem\"\nold = \"file:///keys/old.pem\"\n"
      "[engines.hsm]\npath = \"/lib/hsm-v1.so\"\n[engines.tpm2]\npath = \"/lib/tpm.so\"\n");
  root.Write(
      "config.d/50-local.toml",
      "[preloaded_keys]\nold = \"file:///keys/new.pem\"\nextra = \"file:///keys/extra.pem\"\n"
      "[engines.hsm]\npath = \"/lib/hsm-v2.so\"\n[engines.other]\npath = \"/lib/other.so\"\n");
  auto c = LoadKeydConfig(root.layout);
  REQUIRE(c);
  CHECK(c->preloaded_keys ==
        std::map<std::string, std::string>{{"device-id", "file:///keys/device.pem"},
                                           {"old", "file:///keys/new.pem"},
                                           {"extra", "file:///keys/extra.pem"}});
  std::map<std::string, std::string> engines;
  for (const auto& e : c->engines) engines[e.name] = e.path;
  CHECK(c->engines.size() == 3);
  CHECK(engines == std::map<std::string, std::string>{{"hsm", "/lib/hsm-v2.so"},
                                                      {"tpm2", "/lib/tpm.so"},
                                                      {"other", "/lib/other.so"}});
}

TEST_CASE("config.d files work without a config.toml, and a key absent from a later file is kept") {
  ConfigRoot root;
  root.Write("config.d/00-super.toml",
             "socket_mode = \"0600\"\n[[principal]]\nuid = 5000\nkeys = [\"a\"]\n");
  root.Write("config.d/50-local.toml", "preferred_algorithms = \"ec-p256\"\n");
  auto c = LoadKeydConfig(root.layout);
  REQUIRE(c);
  CHECK(c->socket_mode == 0600);
  CHECK(c->preferred_algorithms == "ec-p256");
  REQUIRE(c->principals.size() == 1);
  CHECK(c->principals[0].uid == 5000);
}

TEST_CASE("an unknown key is an error with its position and a did-you-mean") {
  ConfigRoot root;
  std::string path = root.Main("# keyd\n\nsocket_mod = \"0660\"\n");
  std::string message = root.Error();
  CHECK_THAT(message, Catch::StartsWith(path + ":3:1: "));  // where the key itself starts
  CHECK_THAT(message,
             Catch::Contains("'socket_mod'") && Catch::Contains("did you mean 'socket_mode'"));
}

TEST_CASE("an unknown key inside a table names the dotted key") {
  ConfigRoot root;
  std::string path = root.Main("[engines.vendor]\npath = \"/x.so\"\n  security_levl = 1\n");
  std::string message = root.Error();
  CHECK_THAT(message, Catch::StartsWith(path + ":3:3: "));
  CHECK_THAT(message, Catch::Contains("'engines.vendor.security_levl'") &&
                          Catch::Contains("did you mean 'engines.vendor.security_level'"));
}

TEST_CASE("an unknown key far from any known key is an error without a suggestion") {
  ConfigRoot root;
  std::string path = root.Main("completely_unrelated = true\n");
  std::string message = root.Error();
  CHECK_THAT(message, Catch::StartsWith(path + ":1:") && Catch::Contains("'completely_unrelated'"));
  CHECK_THAT(message, !Catch::Contains("did you mean"));
}

TEST_CASE("a value of the wrong type is an error naming the key and the types") {
  ConfigRoot root;
  std::string path = root.Main("\n\nsocket_mode = 660\n");
  std::string message = root.Error();
  CHECK_THAT(message, Catch::StartsWith(path + ":3:"));
  CHECK_THAT(message, Catch::Contains("'socket_mode'") && Catch::Contains("must be a string") &&
                          Catch::Contains("integer"));
}

TEST_CASE("a wrongly typed array element is an error naming the dotted key") {
  ConfigRoot root;
  std::string path = root.Main("[[principal]]\nuid = 7\nkeys = [\"a\", 3]\n");
  std::string message = root.Error();
  CHECK_THAT(message, Catch::StartsWith(path + ":3:") && Catch::Contains("'principal[0].keys'"));
}

TEST_CASE("a bad socket_mode is an error that shows a valid mode") {
  for (const char* bad : {"0999", "rw-rw----", "", "01777", "0660x"}) {
    ConfigRoot root;
    std::string path = root.Main(std::string("socket_mode = \"") + bad + "\"\n");
    std::string message = root.Error();
    INFO("socket_mode = '" << bad << "'");
    CHECK_THAT(message, Catch::StartsWith(path + ":1:") && Catch::Contains("'socket_mode'") &&
                            Catch::Contains("octal"));
  }
}

TEST_CASE("an empty preferred_algorithms or an empty token is an error") {
  for (const char* bad : {"", "ec-p256:", "::"}) {
    ConfigRoot root;
    std::string path = root.Main(std::string("preferred_algorithms = \"") + bad + "\"\n");
    INFO("preferred_algorithms = '" << bad << "'");
    CHECK_THAT(root.Error(),
               Catch::StartsWith(path + ":1:") && Catch::Contains("'preferred_algorithms'"));
  }
}

TEST_CASE("an unknown preferred_algorithms token is an error naming the token") {
  ConfigRoot root;
  std::string path = root.Main("\npreferred_algorithms = \"ec-p256:dsa-1024\"\n");
  std::string message = root.Error();
  CHECK_THAT(message, Catch::StartsWith(path + ":2:") &&
                          Catch::Contains("'preferred_algorithms'") && Catch::Contains("dsa-1024"));
}

TEST_CASE("a principal with an unknown user name is an error naming the user") {
  ConfigRoot root;
  std::string path = root.Main(
      "[[principal]]\nuid = 1\nkeys = [\"*\"]\n[[principal]]\nname = \"no-such-user-zz9\"\nkeys = "
      "[\"*\"]\n");
  std::string message = root.Error();
  CHECK_THAT(message, Catch::StartsWith(path + ":5:") && Catch::Contains("'principal[1].name'") &&
                          Catch::Contains("no-such-user-zz9"));
}

TEST_CASE("a principal without uid or name, or with both, is an error") {
  {
    ConfigRoot root;
    root.Main("[[principal]]\nkeys = [\"*\"]\n");
    CHECK_THAT(root.Error(), Catch::Contains("principal[0]") && Catch::Contains("'uid' or 'name'"));
  }
  {
    ConfigRoot root;
    root.Main("[[principal]]\nuid = 1\nname = \"root\"\nkeys = [\"*\"]\n");
    CHECK_THAT(root.Error(), Catch::Contains("'principal[0].name'") && Catch::Contains("not both"));
  }
}

TEST_CASE("a preloaded key with a URI no engine serves is an error naming the key") {
  {
    // pkcs11: URIs belong to the pkcs11 engine, which needs its [pkcs11] section.
    ConfigRoot root;
    root.Main("[preloaded_keys]\ndevice = \"file:///ok.pem\"\nhsm = \"pkcs11:token=t;object=o\"\n");
    std::string message = root.Error();
    CHECK_THAT(message, Catch::Contains("preloaded key 'hsm'") && Catch::Contains("[pkcs11]"));
  }
  {
    ConfigRoot root;
    std::string path = root.Main("[preloaded_keys]\nweb = \"https://example.com/key.pem\"\n");
    std::string message = root.Error();
    CHECK_THAT(message, Catch::StartsWith(path + ":2:") &&
                            Catch::Contains("'preloaded_keys.web'") && Catch::Contains("file:///"));
  }
}

TEST_CASE("a TOML syntax error gives the file and the position of the error") {
  ConfigRoot root;
  std::string path =
      root.Write("config.d/10-broken.toml", "socket_mode = \"0660\"\n\nkeys = [\"a\",\n= 3\n");
  std::string message = root.Error();
  CHECK_THAT(message, Catch::StartsWith(path + ":4:"));
}

TEST_CASE("an unterminated string is a syntax error on its line") {
  ConfigRoot root;
  std::string path = root.Main("default_engine = \"file\"\nsocket_mode = \"0660\n");
  CHECK_THAT(root.Error(), Catch::StartsWith(path + ":2:"));
}

TEST_CASE("a key_engine rule naming an engine that is not configured is an error") {
  ConfigRoot root;
  root.Main("[[key_engine]]\nkeys = [\"x-*\"]\nengine = \"missing\"\n");
  CHECK_THAT(root.Error(), Catch::Contains("'missing'") && Catch::Contains("[engines]"));
}

TEST_CASE("a default_engine that is not configured is an error") {
  ConfigRoot root;
  root.Main("default_engine = \"tpm\"\n");
  CHECK_THAT(root.Error(), Catch::Contains("default_engine 'tpm'"));
}

TEST_CASE("a vendor engine named 'file' or without a path is an error") {
  {
    ConfigRoot root;
    std::string path = root.Main("[engines.file]\npath = \"/x.so\"\n");
    CHECK_THAT(root.Error(), Catch::StartsWith(path + ":") && Catch::Contains("'engines.file'"));
  }
  {
    ConfigRoot root;
    std::string path = root.Main("[engines.vendor]\noptions = \"x\"\n");
    CHECK_THAT(root.Error(),
               Catch::StartsWith(path + ":") && Catch::Contains("'engines.vendor.path'"));
  }
}

TEST_CASE("max_requests: 10 by default, a positive integer, anything else an error naming it") {
  {
    ConfigRoot root;
    auto c = LoadKeydConfig(root.layout);
    REQUIRE(c);
    CHECK(c->max_requests == 10);
  }
  {
    ConfigRoot root;
    root.Main("max_requests = 25\n");
    auto c = LoadKeydConfig(root.layout);
    REQUIRE(c);
    CHECK(c->max_requests == 25);
  }
  for (const char* bad : {"0", "-3", "\"ten\"", "2147483648", "1.5"}) {
    ConfigRoot root;
    std::string path = root.Main(std::string("max_requests = ") + bad + "\n");
    INFO("max_requests = " << bad);
    std::string message = root.Error();
    CHECK_THAT(message, Catch::StartsWith(path + ":1:") && Catch::Contains("'max_requests'"));
    CHECK_THAT(message, Catch::Contains("positive integer") || Catch::Contains("integer, not"));
  }
}

TEST_CASE("[audit] sets the audit log's rotation; principals may carry audit = true") {
  ConfigRoot root;
  auto defaults = LoadKeydConfig(root.layout);
  REQUIRE(defaults);
  CHECK(defaults->audit.max_size == 10 * 1024 * 1024);
  CHECK(defaults->audit.keep == 5);
  root.Main("[audit]\nmax_size = 2048\nkeep = 2\n\n[[principal]]\nuid = 7\nkeys = [\"a-*\"]\n"
            "audit = true\n\n[[principal]]\nuid = 8\nkeys = [\"b-*\"]\n");
  auto c = LoadKeydConfig(root.layout);
  REQUIRE(c);
  CHECK(c->audit.max_size == 2048);
  CHECK(c->audit.keep == 2);
  REQUIRE(c->principals.size() == 2);
  CHECK(c->principals[0].audit);
  CHECK_FALSE(c->principals[1].audit);
  // Written back (config apply) and read again: the same.
  std::string text = WriteKeydConfig(*c, "# test");
  CHECK_THAT(text, Catch::Contains("audit = true") && Catch::Contains("max_size = 2048"));
}

TEST_CASE("[audit] values out of range are errors naming the key and the range") {
  ConfigRoot root;
  std::string path = root.Main("[audit]\nmax_size = 100\n");
  std::string message = root.Error();
  CHECK_THAT(message, Catch::StartsWith(path + ":2:") && Catch::Contains("1024"));
  root.Main("[audit]\nkeep = 0\n");
  CHECK_THAT(root.Error(), Catch::Contains("keep") && Catch::Contains("between 1 and 100"));
  root.Main("[audit]\nmax_sise = 2048\n");
  CHECK_THAT(root.Error(), Catch::Contains("did you mean 'audit.max_size'"));
}
