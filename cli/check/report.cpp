// The report of edgectl check (text and JSON) and what the check families share.
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cctype>

#include "cli/check/check.hpp"

namespace edgesec::cli::check {

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPass:
      return "pass";
    case Outcome::kWarn:
      return "warn";
    case Outcome::kFail:
      return "fail";
    case Outcome::kSkip:
      return "skip";
  }
  return "fail";
}

bool Report::failed() const {
  for (const auto& r : results_)
    if (r.status == Outcome::kFail) return true;
  return false;
}

Json Report::ToJson() const {
  Json list = Json::array();
  for (const auto& r : results_)
    list.push_back(Json{{"id", r.id},
                        {"status", OutcomeName(r.status)},
                        {"message", r.message},
                        {"hint", r.hint.empty() ? Json(nullptr) : Json(r.hint)}});
  return list;
}

std::string Report::Text() const {
  std::string text;
  std::map<Outcome, int> counts;
  for (const auto& r : results_) {
    ++counts[r.status];
    std::string tag = OutcomeName(r.status);
    for (auto& c : tag) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    text += tag + "  " + r.id + ": " + r.message + "\n";
    if (!r.hint.empty()) text += "      hint: " + r.hint + "\n";
  }
  text += "\n" + std::to_string(counts[Outcome::kPass]) + " passed, " +
          std::to_string(counts[Outcome::kWarn]) + " warning(s), " +
          std::to_string(counts[Outcome::kFail]) + " failed, " +
          std::to_string(counts[Outcome::kSkip]) + " skipped\n";
  return text;
}

void Report::RootHints(const std::string& root) {
  const std::string word = "edgectl ";
  for (auto& r : results_)
    for (size_t at = r.hint.find(word); at != std::string::npos; at = r.hint.find(word, at + 1))
      if (at == 0 || r.hint[at - 1] == ' ' || r.hint[at - 1] == '(')
        r.hint.insert(at + word.size(), "--root " + root + " ");
}

std::string Env::StartHint(const std::string& svc) const {
  if (layout.is_rooted()) return "start the daemons: edgectl up";
  return "systemctl start edgesec-" + svc + ".socket";
}

std::string Env::RestartHint(const std::string& svc) const {
  if (layout.is_rooted())
    return "restart the daemons: edgectl down && edgectl up";
  return "systemctl restart edgesec-" + svc + ".service";
}

std::string Env::ReloadHint(const std::string& svc) const {
  if (layout.is_rooted()) return "kill -HUP $(cat '" + layout.run() + "/" + svc + ".pid')";
  return "systemctl reload edgesec-" + svc + ".service";
}

ServiceUser Env::UserOf(const std::string& service) const {
  ServiceUser u;
  u.service = service;
  const passwd* pw = nullptr;
  if (layout.is_rooted()) {
    pw = ::getpwuid(::geteuid());
  } else {
    static const std::map<std::string, std::string> kUsers = {
        {"keyd", "edgeks"}, {"certd", "edgecs"}, {"identityd", "edgeid"}};
    u.name = kUsers.at(service);
    pw = ::getpwnam(u.name.c_str());
  }
  if (pw == nullptr) {
    if (layout.is_rooted()) {  // an invoking uid without a passwd entry still owns its files
      u.exists = true;
      u.uid = ::geteuid();
      u.gid = ::getegid();
      u.name = std::to_string(u.uid);
      u.groups = {u.gid};
    }
    return u;
  }
  u.exists = true;
  u.name = pw->pw_name;
  u.uid = pw->pw_uid;
  u.gid = pw->pw_gid;
  int n = 64;
  std::vector<gid_t> groups(n);
  if (::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &n) < 0) {
    groups.resize(n);
    ::getgrouplist(pw->pw_name, pw->pw_gid, groups.data(), &n);
  }
  groups.resize(n);
  u.groups = groups;
  return u;
}

std::string Span(int64_t seconds) {
  if (seconds < 0) seconds = -seconds;
  auto plural = [](int64_t n, const char* unit) {
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
  };
  if (seconds >= 2 * 86400) return plural(seconds / 86400, "day");
  if (seconds >= 2 * 3600) return plural(seconds / 3600, "hour");
  if (seconds >= 120) return plural(seconds / 60, "minute");
  return plural(seconds, "second");
}

}  // namespace edgesec::cli::check
