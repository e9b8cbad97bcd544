// common/audit: the audit log's chain verifier (docs/audit.md, "Verify") on files written here:
// an intact chain across rotated files, and each kind of tampering named at its FILE:LINE.
#include "common/audit/verify.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "common/audit/format.hpp"

namespace audit = edgesec::audit;

namespace {

// `n` chained lines starting at seq `first` after `prev`.
std::vector<std::string> Chain(int n, uint64_t first = 1,
                               std::string prev = std::string(audit::kGenesisPrev)) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string line =
        "{\"seq\":" + std::to_string(first + i) +
        ",\"time\":\"2026-01-01T00:00:00Z\",\"service\":\"keyd\",\"caller\":{\"uid\":0}"
        ",\"event\":\"key.create\",\"object\":\"k" +
        std::to_string(i) + "\",\"prev\":\"" + prev + "\"}";
    prev = audit::HashOf(line);
    out.push_back(line);
  }
  return out;
}

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/es-audit-unit-XXXXXX";
    path = ::mkdtemp(t);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string Write(const std::string& name, const std::vector<std::string>& lines,
                    bool last_newline = true) const {
    std::ofstream f(path + "/" + name, std::ios::binary);
    for (size_t i = 0; i < lines.size(); ++i)
      f << lines[i] << (i + 1 < lines.size() || last_newline ? "\n" : "");
    return path + "/" + name;
  }
};

audit::VerifyResult Verify(const std::vector<std::string>& files,
                           std::optional<audit::Head> head = std::nullopt) {
  auto r = audit::VerifyFiles(files, head);
  REQUIRE(r.has_value());
  return *r;
}

}  // namespace

TEST_CASE("an intact chain verifies, across rotated files in order") {
  TempDir d;
  auto lines = Chain(10);
  std::string old = d.Write("a.jsonl.1", {lines.begin(), lines.begin() + 6});
  std::string cur = d.Write("a.jsonl", {lines.begin() + 6, lines.end()});
  CHECK(audit::ChainFiles(cur) == std::vector<std::string>{old, cur});
  auto r = Verify({old, cur});
  CHECK(r.ok);
  CHECK(r.lines == 10);
  CHECK(r.files == 2);
  CHECK(r.last_seq == 10);
  CHECK(r.last_hash == audit::HashOf(lines.back()));
  // A chain that starts after rotated-away files starts anywhere.
  CHECK(Verify({cur}).ok);
}

TEST_CASE("tampering is named at the first line that does not chain") {
  TempDir d;
  auto lines = Chain(8);
  auto at = [&](const std::vector<std::string>& l, bool newline = true) {
    auto r = Verify({d.Write("t", l, newline)});
    CHECK_FALSE(r.ok);
    return r.where.substr(r.where.rfind(':') + 1);
  };
  auto edited = lines;
  edited[3].replace(edited[3].find("\"k3\""), 4, "\"kX\"");
  CHECK(at(edited) == "5");
  auto deleted = lines;
  deleted.erase(deleted.begin() + 4);
  CHECK(at(deleted) == "5");
  auto swapped = lines;
  std::swap(swapped[2], swapped[3]);
  CHECK(at(swapped) == "3");
  auto garbage = lines;
  garbage[6] = "not json";
  CHECK(at(garbage) == "7");
  CHECK(at(lines, /*newline=*/false) == "8");  // a truncated last line
  // The same seq twice (a replayed line) is a gap too.
  auto replayed = lines;
  replayed.insert(replayed.begin() + 2, lines[1]);
  CHECK(at(replayed) == "3");
}

TEST_CASE("keyd's head shows a log cut at a line boundary or a changed last line") {
  TempDir d;
  auto lines = Chain(5);
  std::string f = d.Write("h", {lines.begin(), lines.begin() + 3});
  audit::Head head{5, audit::HashOf(lines[4]), "head"};
  auto cut = Verify({f}, head);
  CHECK_FALSE(cut.ok);
  CHECK(cut.reason.find("keyd last wrote seq 5") != std::string::npos);
  std::string full = d.Write("full", lines);
  CHECK(Verify({full}, head).ok);
  auto changed = lines;
  changed[4].replace(changed[4].find("\"k4\""), 4, "\"kY\"");
  CHECK_FALSE(Verify({d.Write("changed", changed)}, head).ok);
  // keyd may have written more since its head: only the line at the head's seq is compared.
  audit::Head older{3, audit::HashOf(lines[2]), "head"};
  CHECK(Verify({full}, older).ok);
}

TEST_CASE("lines must carry every chain field") {
  CHECK_FALSE(audit::ParseLine("{}"));
  CHECK_FALSE(
      audit::ParseLine(Chain(1)[0].replace(Chain(1)[0].find("key.create"), 10, "key.nope")));
  CHECK(audit::ParseLine(Chain(1)[0]));
  CHECK_FALSE(audit::ParseLine(std::string(5000, ' ')));
}
