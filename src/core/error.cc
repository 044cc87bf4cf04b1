#include "core/error.h"

namespace pcipass {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return "invalid argument";
    case ErrorCode::NotFound: return "not found";
    case ErrorCode::AlreadyExists: return "already exists";
    case ErrorCode::Conflict: return "conflict";
    case ErrorCode::DeviceHeld: return "device held";
    case ErrorCode::HostMoved: return "host moved";
    case ErrorCode::FlavorChanged: return "flavor changed";
    case ErrorCode::NoValidHost: return "no valid host";
    case ErrorCode::OverQuota: return "over quota";
    case ErrorCode::Busy: return "busy";
    case ErrorCode::Unauthenticated: return "unauthenticated";
    case ErrorCode::PermissionDenied: return "permission denied";
    case ErrorCode::Unavailable: return "unavailable";
    case ErrorCode::Io: return "i/o error";
    case ErrorCode::Internal: return "internal error";
  }
  return "unknown error";
}

const char* code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return "InvalidArgument";
    case ErrorCode::NotFound: return "NotFound";
    case ErrorCode::AlreadyExists: return "AlreadyExists";
    case ErrorCode::Conflict: return "Conflict";
    case ErrorCode::DeviceHeld: return "DeviceHeld";
    case ErrorCode::HostMoved: return "HostMoved";
    case ErrorCode::FlavorChanged: return "FlavorChanged";
    case ErrorCode::NoValidHost: return "NoValidHost";
    case ErrorCode::OverQuota: return "OverQuota";
    case ErrorCode::Busy: return "Busy";
    case ErrorCode::Unauthenticated: return "Unauthenticated";
    case ErrorCode::PermissionDenied: return "PermissionDenied";
    case ErrorCode::Unavailable: return "Unavailable";
    case ErrorCode::Io: return "Io";
    case ErrorCode::Internal: return "Internal";
  }
  return "Internal";
}

std::optional<ErrorCode> parse_code_name(std::string_view name) {
  for (int i = 0; i < kErrorCodeCount; ++i)
    if (name == code_name(static_cast<ErrorCode>(i))) return static_cast<ErrorCode>(i);
  return std::nullopt;
}

std::string Error::where() const {
  std::string out;
  for (const auto& c : context_) {
    if (!out.empty() && !c.empty() && c.front() != '[') out += '.';
    out += c;
  }
  return out;
}

std::string Error::describe() const {
  std::string w = where();
  return w.empty() ? message_ : w + ": " + message_;
}

}  // namespace pcipass
