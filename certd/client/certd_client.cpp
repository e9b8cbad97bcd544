#include "certd/client/certd_client.hpp"

#include <algorithm>

namespace edgesec::certd {

std::string CertdClient::Path(const std::string& route) {
  return route + "?api-version=" + api::kVersionLatest;
}

Expected<std::string> CertdClient::Pem(const Json& j) {
  auto body = api::PemBody::FromJson(j);
  if (!body) return Internal("certd answered without 'pem'");
  return std::move(body->pem);
}

Expected<std::string> CertdClient::Issue(const api::CreateCertRequest& request) {
  EDGESEC_ASSIGN_OR_RETURN(Json j, http_.CallJson("POST", Path("/certificates"), request.ToJson()));
  return Pem(j);
}

Expected<std::string> CertdClient::Import(const std::string& id, const std::string& pem,
                                          const std::string& key_id) {
  Json body = api::PemBody{pem}.ToJson();
  if (!key_id.empty()) body["keyId"] = key_id;
  EDGESEC_ASSIGN_OR_RETURN(
      Json j, http_.CallJson("PUT", Path("/certificates/" + http::EscapePathSegment(id)), body));
  return Pem(j);
}

Expected<api::CertInfo> CertdClient::GetInfo(const std::string& id) {
  EDGESEC_ASSIGN_OR_RETURN(
      Json j, http_.CallJson("GET", Path("/certificates/" + http::EscapePathSegment(id))));
  auto info = api::CertInfo::FromJson(j);
  if (!info) return Internal("certd answered with a malformed cert: " + info.error().message);
  return info;
}

Expected<api::CertInfo> CertdClient::CheckRevocation(const std::string& id) {
  EDGESEC_ASSIGN_OR_RETURN(
      Json j, http_.CallJson("POST", Path("/certificates/" + http::EscapePathSegment(id) +
                                          "/revocation-check")));
  auto info = api::CertInfo::FromJson(j);
  if (!info) return Internal("certd answered with a malformed cert: " + info.error().message);
  return info;
}

Expected<api::HistoryResponse> CertdClient::History(const std::string& id) {
  EDGESEC_ASSIGN_OR_RETURN(
      Json j,
      http_.CallJson("GET", Path("/certificates/" + http::EscapePathSegment(id) + "/history")));
  auto h = api::HistoryResponse::FromJson(j);
  if (!h) return Internal("certd answered with a malformed history: " + h.error().message);
  return h;
}

Expected<std::string> CertdClient::Get(const std::string& id) {
  EDGESEC_ASSIGN_OR_RETURN(
      Json j, http_.CallJson("GET", Path("/certificates/" + http::EscapePathSegment(id))));
  return Pem(j);
}

Status CertdClient::Delete(const std::string& id) {
  EDGESEC_TRY(http_.CallJson("DELETE", Path("/certificates/" + http::EscapePathSegment(id))));
  return {};
}

Expected<std::vector<api::CertSummary>> CertdClient::List() {
  EDGESEC_ASSIGN_OR_RETURN(Json j, http_.CallJson("GET", Path("/certificates")));
  auto list = api::ListCertsResponse::FromJson(j);
  if (!list) return Internal("certd answered with a malformed list: " + list.error().message);
  return std::move(list->certificates);
}

Expected<std::string> CertdClient::Renew(const std::string& id, std::optional<bool> rotate_key,
                                         bool if_needed, const std::string& reason) {
  Json body = Json::object();
  if (rotate_key) body["rotateKey"] = *rotate_key;
  if (if_needed) body["ifNeeded"] = true;
  if (!reason.empty()) body["reason"] = reason;
  EDGESEC_ASSIGN_OR_RETURN(
      Json j,
      http_.CallJson("POST", Path("/credentials/" + http::EscapePathSegment(id) + "/renew"), body));
  return Pem(j);
}

Expected<api::CredentialStatus> CertdClient::GetCredential(const std::string& id) {
  EDGESEC_ASSIGN_OR_RETURN(
      Json j, http_.CallJson("GET", Path("/credentials/" + http::EscapePathSegment(id))));
  auto st = api::CredentialStatus::FromJson(j);
  if (!st) return Internal("certd answered with a malformed credential: " + st.error().message);
  return st;
}

Expected<std::vector<api::CredentialStatus>> CertdClient::ListCredentials() {
  EDGESEC_ASSIGN_OR_RETURN(Json j, http_.CallJson("GET", Path("/credentials")));
  auto list = api::ListCredentialsResponse::FromJson(j);
  if (!list) return Internal("certd answered with a malformed list: " + list.error().message);
  return std::move(list->credentials);
}

Expected<api::EventsResponse> CertdClient::WaitEvents(uint64_t since, int timeout_seconds) {
  timeout_seconds = std::clamp(timeout_seconds, 0, 60);
  // A client of its own: the long-poll outlasts the default request timeout (0: no time limit).
  http::UnixClient poll(http_.socket_path(),
                        timeout_seconds == 0 ? 0 : (timeout_seconds + 15) * 1000L);
  EDGESEC_ASSIGN_OR_RETURN(
      Json j, poll.CallJson("GET", Path("/events") + "&since=" + std::to_string(since) +
                                       "&timeout=" + std::to_string(timeout_seconds)));
  auto r = api::EventsResponse::FromJson(j);
  if (!r) return Internal("certd answered /events with " + r.error().message);
  return r;
}

Expected<Json> CertdClient::Version() {
  return http_.CallJson("GET", Path("/version"));
}

}  // namespace edgesec::certd
