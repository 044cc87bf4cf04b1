#include "core/boot.h"

#include <algorithm>

#include "core/config_value.h"

namespace pcipass {

Result<PlannedBoot> plan_boot(const Fleet& fleet, const std::string& id, const InstanceShape& shape,
                              std::optional<HostIndex> forced, Weigher weigher) {
  if (fleet.instance(id)) return Error(ErrorCode::AlreadyExists, "server " + quote(id) + " already exists");
  auto plan = fleet.schedule(shape, forced, weigher);
  if (!plan) return Error(ErrorCode::NoValidHost, "No valid host was found for " + quote(id));
  const HostInventory& host = fleet.host(plan->host);
  PlannedBoot out;
  out.host = host.name();
  for (size_t i = 0; i < plan->fit.cells.size(); ++i)
    out.cells.push_back({host.cells()[plan->fit.cells[i]].id, (*shape.numa)[i].vcpus, (*shape.numa)[i].memory_mb});
  std::vector<DeviceIndex> recorded;
  recorded.reserve(shape.total_devices() + 4);
  out.devices.reserve(shape.total_devices() + 4);
  auto record = [&](DeviceIndex m, size_t request) {
    if (std::find(recorded.begin(), recorded.end(), m) != recorded.end()) return;
    recorded.push_back(m);
    out.devices.push_back({host.devices()[m].address, static_cast<uint32_t>(request)});
  };
  for (size_t r = 0; r < plan->fit.devices.size(); ++r)
    for (DeviceIndex d : plan->fit.devices[r]) {
      record(d, r);
      if (const auto& g = host.devices()[d].group)  // IOMMU-group companions go on record with the request
        for (DeviceIndex m : host.groups()[*g].endpoints) record(m, r);
    }
  out.plan = std::move(*plan);
  return out;
}

Result<const InstanceRecord*> record_boot(Fleet& fleet, const std::string& id, const InstanceShape& shape, const PlannedBoot& planned) {
  return fleet.claim(id, shape, planned.plan);
}

}  // namespace pcipass
