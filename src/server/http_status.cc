#include "server/http_status.h"

namespace pcipass::server {

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return 400;
    case ErrorCode::Unauthenticated: return 401;
    case ErrorCode::PermissionDenied:
    case ErrorCode::OverQuota: return 403;  // as Nova answers a boot over quota
    case ErrorCode::NotFound: return 404;
    case ErrorCode::AlreadyExists:
    case ErrorCode::Conflict:
    case ErrorCode::DeviceHeld:
    case ErrorCode::HostMoved:
    case ErrorCode::FlavorChanged:
    case ErrorCode::NoValidHost: return 409;
    case ErrorCode::Busy:
    case ErrorCode::Unavailable: return 503;
    case ErrorCode::Io:
    case ErrorCode::Internal: return 500;
  }
  return 500;
}

Reply error_reply(const Error& e) {
  Json error{{"code", code_name(e.code())}, {"message", e.describe()}};
  if (!e.context().empty()) error["field"] = e.where();
  if (!e.refusal_groups().empty()) {
    Json why = Json::array();
    for (const auto& g : e.refusal_groups()) why.push_back({{"reason", g.reason}, {"hosts", g.hosts}, {"sample", g.sample}});
    error["why"] = why;
  }
  if (!e.rejections().empty()) {
    Json hosts = Json::array();
    for (const auto& h : e.rejections()) hosts.push_back({{"host", h.host}, {"reason", h.reason}});
    error["hosts"] = hosts;
  }
  return {http_status(e.code()), Json{{"error", error}}};
}

Reply transport_error(int status, const std::string& code, const std::string& message) {
  return {status, Json{{"error", {{"code", code}, {"message", message}}}}};
}

}  // namespace pcipass::server
