#pragma once
// `pcipass discover --json`: devices under the scenario format's field names (so a
// host's output pastes into a scenario's host), plus discovery-only fields.
#include <string>

#include "host/discovery.h"

namespace pcipass {

std::string discovery_json(const Discovery& d, const std::string& host_name);

}  // namespace pcipass
