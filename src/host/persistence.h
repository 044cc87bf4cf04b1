#pragma once
// The persisted overrides (pcipass's id-keyed bind rules and driverctl's address-only
// files) held against the devices on the host now: after a re-enumeration an override's
// address may hold another device, or none, and the device it was written for may sit
// at another address. `check` shows each finding, the agent reports them as host
// warnings, and `bind --rekey` moves a pcipass binding to its device's new address.
#include <optional>
#include <string>
#include <vector>

#include "core/bind_plan.h"
#include "host/discovery.h"
#include "host/host_critical.h"

namespace pcipass {

struct PersistenceFinding {
  PciAddress address;                  // where the override is persisted
  std::string text;                    // what is wrong, and what to do
  std::optional<PciAddress> moved_to;  // its device (same ids and fingerprint) is there now
  std::string driver;
};

std::vector<PersistenceFinding> persistence_findings(const PersistenceFiles& files, const Discovery& discovery,
                                                     const std::vector<CriticalDevice>& critical);

}  // namespace pcipass
