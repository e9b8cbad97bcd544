#include "common/http/router.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace edgesec::http {
namespace {

// Splits at '/' and only then decodes each segment's escaped '/' and '%' (Request::path).
std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(DecodeSlashAndPercent(std::string_view(path).substr(i, j - i)));
    i = j;
  }
  return out;
}

bool IsJsonContentType(const std::string& ct) {
  std::string media = ct.substr(0, ct.find(';'));
  media.erase(std::remove_if(media.begin(), media.end(), ::isspace), media.end());
  std::transform(media.begin(), media.end(), media.begin(), ::tolower);
  return media == "application/json";
}

}  // namespace

int StatusFor(ErrorKind kind, int unauthorized_status) {
  switch (kind) {
    case ErrorKind::kInvalidParameter:
      return 400;
    case ErrorKind::kUnauthorized:
      return unauthorized_status;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kUnsupportedMediaType:
      return 415;
    case ErrorKind::kUnprocessable:
      return 422;
    case ErrorKind::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

std::string MessageBody(const std::string& text) {
  return DumpJson(Json{{"message", text}});
}

Router::Router(std::vector<std::string> versions, int unauthorized_status)
    : versions_(std::move(versions)), unauthorized_status_(unauthorized_status) {}

std::optional<size_t> Router::VersionIndex(const std::string& v) const {
  auto it = std::find(versions_.begin(), versions_.end(), v);
  if (it == versions_.end()) return std::nullopt;
  return static_cast<size_t>(it - versions_.begin());
}

void Router::Add(std::string method, std::string pattern, std::string min_version,
                 RouteHandler handler) {
  auto index = VersionIndex(min_version);
  if (!index) std::abort();  // a programming error caught by every test run
  routes_.push_back(Route{std::move(method), SplitPath(pattern), *index, std::move(handler)});
}

Response Router::ErrorResponse(const Error& error) const {
  Response r;
  r.status = StatusFor(error.kind, unauthorized_status_);
  if (r.status >= 500) {
    log::Error(error.Describe());
  } else {
    log::Debug("request refused: " + error.Describe());
  }
  Json body{{"message", error.message}};
  if (error.reason != ErrorReason::kNone) body["reason"] = ReasonName(error.reason);
  r.body = DumpJson(body);
  return r;
}

Response Router::Dispatch(const Request& request) const {
  std::vector<std::string> segments = SplitPath(request.path);
  const Route* match = nullptr;
  bool path_matched = false;
  std::map<std::string, std::string> params;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> p;
    bool ok = true;
    for (size_t i = 0; i < segments.size() && ok; ++i) {
      const std::string& s = route.segments[i];
      if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
        p[s.substr(1, s.size() - 2)] = segments[i];
      } else {
        ok = s == segments[i];
      }
    }
    if (!ok) continue;
    path_matched = true;
    if (route.method != request.method) continue;
    match = &route;
    params = std::move(p);
    break;
  }
  if (match == nullptr) {
    Response r;
    r.status = path_matched ? 405 : 404;
    r.body = MessageBody(path_matched ? "method not allowed" : "not found");
    return r;
  }
  auto version = request.query.find("api-version");
  if (version == request.query.end())
    return ErrorResponse(InvalidParameter("api-version not specified"));
  auto index = VersionIndex(version->second);
  if (!index)
    return ErrorResponse(InvalidParameter("invalid api-version \"" + version->second + "\""));
  if (*index < match->min_version_index)
    return ErrorResponse(InvalidParameter("api-version \"" + version->second +
                                          "\" is too old for this route; use " +
                                          versions_[match->min_version_index] + " or later"));
  if (!request.body.empty() && !request.content_type.empty() &&
      !IsJsonContentType(request.content_type))
    return ErrorResponse(
        MakeError(ErrorKind::kUnsupportedMediaType, "request body must be application/json"));

  Call call{request, std::move(params), version->second};
  Expected<Reply> reply = match->handler(call);
  if (!reply) return ErrorResponse(reply.error());
  Response r;
  r.status = reply->status;
  if (reply->body) r.body = DumpJson(*reply->body);
  for (auto& [name, value] : reply->headers) {
    if (name != "Content-Type") {
      r.headers.emplace_back(std::move(name), std::move(value));
    } else if (reply->body && reply->body->is_string()) {  // Reply::Text
      r.content_type = std::move(value);
      r.body = reply->body->get<std::string>();
    }
  }
  return r;
}

}  // namespace edgesec::http
