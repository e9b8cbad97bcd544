// The unified diff `edgectl config apply --dry-run` prints.
#include <string>
#include <vector>

#include "cli/config_commands.hpp"

namespace edgesec::cli {

std::string UnifiedDiff(const std::string& old_text, const std::string& new_text,
                        const std::string& label, bool old_exists) {
  if (old_text == new_text) return {};
  auto lines = [](const std::string& t) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < t.size()) {
      size_t end = t.find('\n', start);
      out.push_back(t.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return out;
  };
  std::vector<std::string> a = lines(old_text), b = lines(new_text);
  // LCS table; the files are small.
  std::vector<std::vector<int>> lcs(a.size() + 1, std::vector<int>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;)
    for (size_t j = b.size(); j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  struct Op {
    char kind;  // ' ', '-', '+'
    size_t ai, bi;
  };
  std::vector<Op> ops;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j])
      ops.push_back({' ', i++, j++});
    else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1]))
      ops.push_back({'-', i++, j});
    else
      ops.push_back({'+', i, j++});
  }
  std::string out = old_exists ? "--- " + label + "\n+++ " + label + " (after apply)\n"
                               : "--- /dev/null\n+++ " + label + " (new)\n";
  const size_t kContext = 3;
  for (size_t k = 0; k < ops.size();) {
    if (ops[k].kind == ' ') {
      ++k;
      continue;
    }
    size_t start = k >= kContext ? k - kContext : 0, end = k;
    while (start < k && ops[start].kind != ' ') ++start;  // never reach into an earlier hunk
    for (size_t quiet = 0; end < ops.size() && quiet <= 2 * kContext; ++end)
      quiet = ops[end].kind == ' ' ? quiet + 1 : 0;
    while (end > k && ops[end - 1].kind == ' ' && [&] {
      size_t trailing = 0;
      for (size_t x = end; x-- > k && ops[x].kind == ' ';) ++trailing;
      return trailing > kContext;
    }())
      --end;
    size_t a_count = 0, b_count = 0;
    for (size_t x = start; x < end; ++x) {
      if (ops[x].kind != '+') ++a_count;
      if (ops[x].kind != '-') ++b_count;
    }
    out += "@@ -" + std::to_string(a_count ? ops[start].ai + 1 : ops[start].ai) + "," +
           std::to_string(a_count) + " +" +
           std::to_string(b_count ? ops[start].bi + 1 : ops[start].bi) + "," +
           std::to_string(b_count) + " @@\n";
    for (size_t x = start; x < end; ++x)
      out +=
          std::string(1, ops[x].kind) + (ops[x].kind == '+' ? b[ops[x].bi] : a[ops[x].ai]) + "\n";
    k = end;
  }
  return out;
}

}  // namespace edgesec::cli
