#pragma once
// The client's exit status for each error code: the one place it is decided.
#include "core/error.h"

namespace pcipass::app {

// 2 bad input, 4 not found, 5 refused by the state (no valid host, name taken, conflict),
// 6 credentials refused, 7 the server or its store unreachable or failing.
int client_exit_status(ErrorCode code);

}  // namespace pcipass::app
