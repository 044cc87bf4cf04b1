#pragma once
// Is this host ready for PCI passthrough? Each item says what was found and, when it
// is not right, how to fix it. Platform items (CPU virtualization, IOMMU, vfio) decide
// readiness; group items describe what can be assigned and what cannot.
#include <string>
#include <vector>

#include "host/discovery.h"
#include "host/host_critical.h"

namespace pcipass {

enum class CheckStatus { Ok, Warn, Fail };
const char* to_string(CheckStatus s);

struct CheckItem {
  std::string name;    // "cpu-virtualization", "iommu", "iommu-groups", "group 17", ...
  CheckStatus status = CheckStatus::Ok;
  std::string detail;  // what was found
  std::string fix;     // how to put it right (empty when Ok)
};

struct Readiness {
  std::vector<CheckItem> items;
  bool ready() const;
};

Readiness check_readiness(const SysfsReader& sysfs, const Discovery& discovery,
                          const std::vector<CriticalDevice>& critical);

}  // namespace pcipass
