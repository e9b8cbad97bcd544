// Secrets out of what edgectl prints: `config show` and `config apply --dry-run`.
#include <sstream>

#include "common/url.hpp"
#include "config/super/peer_only.hpp"
#include "config/super/super.hpp"
#include "config/toml_reader.hpp"

namespace edgesec::config::super {
namespace {

bool SecretKey(std::string_view key) {
  return key == "password" || key == "owner_auth" || key == "value" || key == "connection_string";
}

void RedactTree(toml::table& t) {
  for (auto& [k, v] : t) {
    if (v.is_table()) {
      RedactTree(*v.as_table());
    } else if (v.is_array_of_tables()) {
      for (auto& item : *v.as_array()) RedactTree(*item.as_table());
    } else if (v.is_string()) {
      std::string s = v.as_string()->get();
      v.as_string()->get() = SecretKey(k.str()) ? "<redacted>" : Redact(s);
    } else if (v.is_array()) {
      for (auto& item : *v.as_array())
        if (item.is_string()) item.as_string()->get() = Redact(item.as_string()->get());
    }
  }
}

}  // namespace

namespace {

// pin-value=<anything up to ; & ? " or white space> → pin-value=<redacted>
std::string RedactPinValues(const std::string& line) {
  static const std::string kPin = "pin-value=";
  std::string out;
  size_t pos = 0;
  for (size_t at; (at = line.find(kPin, pos)) != std::string::npos;) {
    out += line.substr(pos, at - pos) + kPin + "<redacted>";
    size_t stop = at + kPin.size();
    while (stop < line.size() &&
           std::string_view(";&?\" \t\r\n\f\v").find(line[stop]) == std::string_view::npos)
      ++stop;
    pos = stop;
  }
  return out + line.substr(pos);
}

// `password = "…"` (also owner_auth, connection_string) at the start of a line → "<redacted>".
// A scanner, not a std::regex: libstdc++'s regex recurses per character and overflows the stack
// on a long quoted value (found by fuzzing).
std::string RedactSecretValue(const std::string& line) {
  auto is_space = [](char ch) {
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
  };
  size_t i = 0;
  while (i < line.size() && is_space(line[i])) ++i;
  bool secret = false;
  for (std::string_view key : {"password", "owner_auth", "connection_string"}) {
    if (line.compare(i, key.size(), key) == 0) {
      i += key.size();
      secret = true;
      break;
    }
  }
  if (!secret) return line;
  while (i < line.size() && is_space(line[i])) ++i;
  if (i >= line.size() || line[i] != '=') return line;
  ++i;
  while (i < line.size() && is_space(line[i])) ++i;
  if (i >= line.size() || line[i] != '"') return line;
  size_t close = i + 1;
  while (close < line.size() && line[close] != '"') close += line[close] == '\\' ? 2 : 1;
  if (close >= line.size()) return line;  // no closing quote: not a string value, left alone
  return line.substr(0, i) + "\"<redacted>\"" + line.substr(close + 1);
}

}  // namespace

std::string Redact(std::string_view text) {
  std::string out;
  std::string all(text);
  size_t start = 0;
  while (start < all.size()) {
    size_t end = all.find('\n', start);
    std::string line =
        all.substr(start, end == std::string::npos ? std::string::npos : end - start);
    out += RedactUrlsIn(RedactSecretValue(RedactPinValues(line)));
    if (end == std::string::npos) break;
    out += '\n';
    start = end + 1;
  }
  return out;
}

std::vector<std::string> Summary(const SuperConfig& c) {
  std::vector<std::string> out;
  auto issued = [](const IssuedCert& i) {
    std::string s =
        "issued with method \"" + std::string(certd::IssuanceMethodName(i.method)) + "\"";
    for (const auto& [k, v] : i.subject)
      s += (k == i.subject.front().first ? ", " : "/") + k + "=" + v;
    if (i.expiry_days && i.method != certd::IssuanceMethod::kEst)
      s += ", " + std::to_string(*i.expiry_days) + " days";
    return s;
  };
  auto renew = [](const std::optional<RenewPolicy>& p) {
    if (p && p->enabled == false) return std::string(", not renewed automatically");
    return ", renewed at " + (p && p->threshold ? *p->threshold : std::string("80%")) + " (retry " +
           (p && p->retry ? *p->retry : std::string("4%")) + ")";
  };
  const EdgeCa& e = c.edge_ca;
  if (e.mode == EdgeCa::Mode::kQuickstart)
    out.push_back("Edge CA: quickstart, self-signed, " +
                  std::to_string(e.quickstart_expiry_days.value_or(90)) + " days" +
                  renew(e.auto_renew));
  else if (e.mode == EdgeCa::Mode::kFiles)
    out.push_back("Edge CA: from files " + e.cert + " and " + Redact(e.pk) + ", never renewed");
  else
    out.push_back("Edge CA: " + issued(e.issued) + renew(e.auto_renew));
  const DeviceIdentity& d = c.device;
  if (d.mode == DeviceIdentity::Mode::kNone)
    out.push_back("device identity: none");
  else if (d.mode == DeviceIdentity::Mode::kFiles)
    out.push_back("device identity: from files " + d.cert + " and " + Redact(d.pk));
  else
    out.push_back("device identity: " + issued(d.issued) + renew(d.issued.auto_renew));
  if (!c.est.url.empty() || c.est.present) {
    std::string auth = !c.est.bootstrap_cert.empty()  ? "bootstrap identity, then EST identity"
                       : !c.est.identity_cert.empty() ? "EST identity"
                                                      : "no client certificate";
    if (!c.est.username.empty()) auth += " + HTTP Basic";
    out.push_back("EST server: " +
                  (c.est.url.empty() ? std::string("(per certificate)") : RedactUrl(c.est.url)) +
                  ", " + auth);
  }
  std::string engine = !c.keys.default_engine.empty()     ? c.keys.default_engine
                       : !c.keys.pkcs11_base_slot.empty() ? std::string("pkcs11")
                                                          : std::string("file");
  out.push_back(
      "new keys: " + engine + " engine" +
      (c.keys.pkcs11_lib_path.empty() ? "" : ", PKCS#11 module " + c.keys.pkcs11_lib_path) +
      (c.tpm ? ", TPM at " + c.tpm->tcti : ""));
  out.push_back("principals: " + std::to_string(c.principals.size()) +
                " (plus the services' own, added by config apply)");
  return out;
}

Expected<std::string> ShowSuperConfig(std::string_view text, const std::string& path, bool json) {
  EDGESEC_ASSIGN_OR_RETURN(ReadResult read, ReadSuperConfig(text, path));
  EDGESEC_ASSIGN_OR_RETURN(ParsedFile parsed, ParseToml(text, path));
  std::vector<std::string> ignored;
  PrunePeerOnly(*parsed.table, path, &ignored);
  RedactTree(*parsed.table);
  std::vector<std::string> summary = Summary(read.config);
  std::ostringstream out;
  if (json) {
    toml::array effective;
    for (const auto& line : summary) effective.push_back(line);
    toml::table doc{{"config", *parsed.table}, {"effective", effective}};
    out << toml::json_formatter(doc);
  } else {
    out << "# What edgesec makes of " << path << ":\n";
    for (const auto& line : summary) out << "#   " << line << "\n";
    out << "\n" << toml::toml_formatter(*parsed.table);
  }
  return out.str() + "\n";
}

}  // namespace edgesec::config::super
