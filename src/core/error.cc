#include "core/error.h"

namespace pcipass {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return "invalid argument";
    case ErrorCode::NotFound: return "not found";
    case ErrorCode::Conflict: return "conflict";
    case ErrorCode::Unavailable: return "unavailable";
    case ErrorCode::PermissionDenied: return "permission denied";
    case ErrorCode::Io: return "i/o error";
    case ErrorCode::Internal: return "internal error";
  }
  return "unknown error";
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
