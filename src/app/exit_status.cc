#include "app/exit_status.h"

#include "app/commands.h"

namespace pcipass::app {

int client_exit_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return kExitInvalidInput;
    case ErrorCode::NotFound: return kExitClientNotFound;
    case ErrorCode::AlreadyExists:
    case ErrorCode::Conflict:
    case ErrorCode::DeviceHeld:
    case ErrorCode::HostMoved:
    case ErrorCode::FlavorChanged:
    case ErrorCode::NoValidHost: return kExitClientConflict;
    case ErrorCode::Unauthenticated:
    case ErrorCode::PermissionDenied: return kExitClientDenied;
    case ErrorCode::OverQuota: return kExitClientOverQuota;
    case ErrorCode::Busy:
    case ErrorCode::Unavailable:
    case ErrorCode::Io:
    case ErrorCode::Internal: return kExitClientUnavailable;
  }
  return kExitClientUnavailable;
}

}  // namespace pcipass::app
