// Fuzz target: http::Router::Dispatch (common/http/router.hpp) with a few test routes shaped like the
// keys API. The input is "method\npath\nquery\ncontent-type\nbody" (the query as k=v&k=v, already
// percent-decoded as libmicrohttpd hands it over). Properties: nothing throws or crashes; the status is
// one the API defines; every body is JSON and every error body is {"message": "…"}; a 2xx needs a known
// api-version new enough for the route; 415 only for a body with a content type.
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "common/http/router.hpp"
#include "common/ids.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace edgesec;
using namespace edgesec::http;

namespace {

const Router& TestRouter() {
  static const Router router = [] {
    Router r({"2020-09-01", "2021-05-01"});
    r.Add("GET", "/version", "2020-09-01", [](const Call&) -> Expected<Reply> {
      return Reply::Ok({{"name", "edgesec-fuzz"}, {"version", "0"}});
    });
    r.Add("POST", "/keypair", "2020-09-01", [](const Call& call) -> Expected<Reply> {
      EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
      EDGESEC_ASSIGN_OR_RETURN(std::string id, JsonFields(body).RequiredString("keyId"));
      EDGESEC_TRY(ValidateId(id, "key id"));
      return Reply::Ok({{"keyHandle", "handle-of-" + id}});
    });
    r.Add("POST", "/keypair/{keyId}", "2021-05-01", [](const Call& call) -> Expected<Reply> {
      EDGESEC_ASSIGN_OR_RETURN(Json body, call.BodyJson());
      EDGESEC_ASSIGN_OR_RETURN(std::string from, JsonFields(body).RequiredString("from"));
      if (from == call.Param("keyId")) return InvalidParameter("'from' and the key id are the same");
      return Reply::NoContent();
    });
    r.Add("GET", "/items/{a}/{b}", "2020-09-01", [](const Call& call) -> Expected<Reply> {
      return Reply::Ok({{"a", call.Param("a")}, {"b", call.Param("b")}, {"version", call.api_version}});
    });
    r.Add("DELETE", "/items/{a}/{b}", "2020-09-01", [](const Call& call) -> Expected<Reply> {
      const std::string& a = call.Param("a");
      if (a == "boom") return Internal("fuzz: internal failure");
      if (a == "deny") return MakeError(ErrorKind::kUnauthorized, "user 1 is not authorized to delete");
      if (a == "missing") return NotFound("item '" + call.Param("b") + "' does not exist");
      return Reply::NoContent();
    });
    return r;
  }();
  return router;
}

std::string_view NextLine(std::string_view* rest) {
  size_t end = rest->find('\n');
  std::string_view line = rest->substr(0, end);
  rest->remove_prefix(end == std::string_view::npos ? rest->size() : end + 1);
  return line;
}

size_t Segments(std::string_view path) {
  size_t n = 0;
  for (size_t i = 0; i < path.size(); ++i)
    if (path[i] != '/' && (i == 0 || path[i - 1] == '/')) ++n;
  return n;
}

void ParseQuery(std::string_view query, Request* request) {
  while (!query.empty()) {
    std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    size_t eq = pair.find('=');
    request->query.emplace(std::string(pair.substr(0, eq)),
                           eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  Request request;
  request.method = NextLine(&rest);
  request.path = NextLine(&rest);
  ParseQuery(NextLine(&rest), &request);
  request.content_type = NextLine(&rest);
  request.body = rest;
  request.peer_uid = 0;

  Response response;
  try {
    response = TestRouter().Dispatch(request);
  } catch (...) {
    FUZZ_CHECK(!"Dispatch threw");
  }

  static const std::set<int> kStatuses = {200, 204, 400, 401, 404, 405, 415, 422, 500};
  FUZZ_CHECK(kStatuses.count(response.status) == 1);
  if (response.status == 204) {
    FUZZ_CHECK(response.body.empty());
  } else {
    Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    FUZZ_CHECK(!body.is_discarded() && body.is_object());
    if (response.status >= 400) FUZZ_CHECK(body.contains("message") && body["message"].is_string());
  }
  if (response.status < 300) {
    auto version = request.query.find("api-version");
    FUZZ_CHECK(version != request.query.end());
    FUZZ_CHECK(version->second == "2020-09-01" || version->second == "2021-05-01");
    // POST /keypair/{keyId} is the one route that needs 2021-05-01.
    if (request.method == "POST" && Segments(request.path) == 2) FUZZ_CHECK(version->second == "2021-05-01");
  }
  if (response.status == 415) FUZZ_CHECK(!request.body.empty() && !request.content_type.empty());
  return 0;
}
