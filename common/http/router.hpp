#pragma once
// Routes with `{param}` segments and api-version rules (API.md, "Common rules"), and the one place
// where errors become HTTP statuses and {"message": …} bodies.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/http/server.hpp"
#include "common/json.hpp"

namespace edgesec::http {

struct Reply {
  int status = 200;
  std::optional<Json> body;  // none → empty body (204)
  std::vector<std::pair<std::string, std::string>> headers;

  static Reply Ok(Json j) { return Reply{200, std::move(j), {}}; }
  static Reply Created(Json j) { return Reply{201, std::move(j), {}}; }
  static Reply NoContent() { return Reply{204, std::nullopt, {}}; }
  // A body that is not JSON (GET /metrics): sent as is, with this Content-Type.
  static Reply Text(std::string text, std::string content_type) {
    return Reply{200, Json(std::move(text)), {{"Content-Type", std::move(content_type)}}};
  }
};

struct Call {
  const Request& request;
  std::map<std::string, std::string> params;  // from {param} segments
  std::string api_version;
  // The request body as a JSON object; kUnprocessable / kInvalidParameter otherwise.
  Expected<Json> BodyJson() const {
    return ParseJsonObject(request.body.empty() ? "{}" : request.body);
  }
  const std::string& Param(const std::string& name) const { return params.at(name); }
};

using RouteHandler = std::function<Expected<Reply>(const Call&)>;

class Router {
 public:
  // `versions`: the known api-versions, oldest first. `unauthorized_status`: 401, or 403
  // (workload).
  explicit Router(std::vector<std::string> versions, int unauthorized_status = 401);
  // `pattern` like "/keypair/{keyId}"; `min_version` must be one of the known versions.
  void Add(std::string method, std::string pattern, std::string min_version, RouteHandler handler);
  Response Dispatch(const Request& request) const;
  Response ErrorResponse(const Error& error) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    size_t min_version_index;
    RouteHandler handler;
  };
  std::optional<size_t> VersionIndex(const std::string& v) const;
  std::vector<std::string> versions_;
  int unauthorized_status_;
  std::vector<Route> routes_;
};

int StatusFor(ErrorKind kind, int unauthorized_status = 401);
// A JSON {"message": text} body, properly escaped.
std::string MessageBody(const std::string& text);

}  // namespace edgesec::http
