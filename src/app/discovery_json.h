#pragma once
// `pcipass discover --json`: each device in the host-report format (core/host_report:
// the scenario's field names, so a host's output pastes into a scenario or a report),
// then the fields only discovery knows (kDiscoveryFields).
#include <string>

#include "host/discovery.h"

namespace pcipass::app {

std::string discovery_json(const Discovery& d, const std::string& host_name);

}  // namespace pcipass::app
