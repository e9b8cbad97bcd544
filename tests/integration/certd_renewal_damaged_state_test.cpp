// A damaged renewal.json (wrongly typed fields, not an object, not JSON, empty) never stops certd:
// one <3> line names the file and the field, the file is kept aside as renewal.json.bad-<time>,
// the renewal state is rebuilt from the stored certs, and the certs themselves are unchanged.
#include <dirent.h>

#include <map>
#include <vector>

#include "tests/integration/certd_renewal_support.hpp"

using namespace edgesec;
using namespace edgesec::testing;

namespace {

// Files in `dir` whose names start with `prefix`.
std::vector<std::string> FilesStartingWith(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  REQUIRE(d != nullptr);
  while (dirent* e = ::readdir(d))
    if (std::string(e->d_name).rfind(prefix, 0) == 0) out.push_back(dir + "/" + e->d_name);
  ::closedir(d);
  return out;
}

struct Damage {
  std::string name;
  std::string content;
  std::string named;  // what the error line must name besides the file
};

}  // namespace

TEST_CASE("a damaged renewal.json is kept aside, reported once and rebuilt; certd keeps serving") {
  std::string config = R"(
[[credential]]
cert_id = "one"
method = "self_signed"
[[credential]]
cert_id = "two"
method = "self_signed"
)" + kNoQuickstart;
  CertdStack s(config);
  std::map<std::string, std::string> pems;
  for (const char* id : {"one", "two"}) {
    certd::api::CreateCertRequest r;
    r.cert_id = id;
    MUST(s.client->Issue(r));
    pems[id] = MUST(s.client->Get(id));
  }
  std::string state_dir = s.dir.path() + "/var/lib/edgesec/certd";
  std::string file = state_dir + "/renewal.json";
  const std::vector<Damage> damages = {
      {"attempts a string", R"({"format":1,"credentials":{"one":{"attempts":"x"}}})",
       "credentials.one.attempts"},
      {"lastError a number", R"({"format":1,"credentials":{"two":{"lastError":5}}})",
       "credentials.two.lastError"},
      {"format a string", R"({"format":"1","credentials":{}})", "'format'"},
      {"credentials not an object", R"({"format":1,"credentials":[1]})", "'credentials'"},
      {"a credential not an object", R"({"format":1,"credentials":{"one":7}})", "credentials.one"},
      {"a JSON array", R"([{"format":1}])", "not a JSON object"},
      {"garbage bytes", std::string("\x00\xff\x7f{{\"format", 10), "not valid JSON"},
      {"0 bytes", "", "not valid JSON"},
  };
  int n = 0;
  for (const Damage& d : damages) {
    INFO("damage: " << d.name);
    s.certd->Stop();
    for (const auto& old : FilesStartingWith(state_dir, "renewal.json.bad-")) ::unlink(old.c_str());
    WriteText(file, d.content);
    std::string log = s.dir.path() + "/certd-" + std::to_string(++n) + ".log";
    {
      StderrToFile redirect(log);
      s.StartCertd();  // fails the test when certd does not come up
    }
    std::string text = ReadTextFile(log);
    CHECK(CountOf(text, "<3>") == 1);
    CHECK_THAT(text, Catch::Contains("<3>certd: renewal state '" + file + "'") &&
                         Catch::Contains(d.named) && Catch::Contains("rebuilt"));
    auto aside = FilesStartingWith(state_dir, "renewal.json.bad-");
    REQUIRE(aside.size() == 1);
    CHECK(ReadTextFile(aside[0]) == d.content);
    CHECK_THAT(text, Catch::Contains(aside[0]));
    // Rebuilt: every credential listed with its next renewal, the certs unchanged.
    auto list = MUST(s.client->ListCredentials());
    REQUIRE(list.size() == 2);
    for (const auto& c : list) {
      INFO("credential " << c.cert_id);
      CHECK(c.state == "valid");
      CHECK(c.attempts == 0);
      CHECK_FALSE(c.next_renewal.empty());
      CHECK(MUST(s.client->Get(c.cert_id)) == pems[c.cert_id]);
    }
    // Renewing still works and writes a good renewal.json that the next start reads quietly.
    MUST(s.client->Renew("one"));
    REQUIRE(WaitUntil([&] { return MUST(s.client->Get("one")) != pems["one"]; }, 10));
    pems["one"] = MUST(s.client->Get("one"));
  }
  s.certd->Stop();
  std::string log = s.dir.path() + "/certd-clean.log";
  {
    StderrToFile redirect(log);
    s.StartCertd();
  }
  CHECK(CountOf(ReadTextFile(log), "<3>") == 0);
  CHECK(FilesStartingWith(state_dir, "renewal.json.bad-").size() == 1);  // the last one, kept
}
