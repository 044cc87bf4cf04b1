#pragma once
// `pcipass discover --json`: each device in the host-report format (core/host_report:
// the scenario's field names, so a host's output pastes into a scenario or a report),
// then the fields only discovery knows (kDiscoveryFields), and the platform: what the
// agent would report (`report`, from host_report_of, in discovery's device order).
#include <string>

#include "core/host_report.h"
#include "host/discovery.h"

namespace pcipass::app {

std::string discovery_json(const Discovery& d, const HostReport& report, const std::string& host_name);

}  // namespace pcipass::app
