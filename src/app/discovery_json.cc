#include "app/discovery_json.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "adapters/json/config_value_json.h"
#include "core/host_report.h"

namespace pcipass::app {

using Json = nlohmann::ordered_json;

static Json device_json(const DiscoveredDevice& d, const ReportedDevice& reported) {
  Json j = to_json(reported_device_value(reported));
  // Discovery-only fields (simulate accepts and ignores them).
  if (d.sriov_numvfs) j["sriov_numvfs"] = *d.sriov_numvfs;
  j["subsystem_vendor_id"] = d.subsystem_vendor_id.to_string();
  j["subsystem_device_id"] = d.subsystem_device_id.to_string();
  if (d.revision) j["revision"] = *d.revision;
  if (d.vendor_name) j["vendor_name"] = *d.vendor_name;
  if (d.product_name) j["product_name"] = *d.product_name;
  if (d.subsystem_name) j["subsystem_name"] = *d.subsystem_name;
  j["driver"] = d.driver ? Json(*d.driver) : Json(nullptr);
  if (d.driver_override) j["driver_override"] = *d.driver_override;
  if (d.persisted_override) j["persisted_override"] = *d.persisted_override;
  if (d.iommu_group) {
    Json members = Json::array();
    for (const auto& m : d.iommu_group_members) members.push_back(m.to_string());
    j["iommu_group_members"] = members;
  }
  if (!d.virtfns.empty()) {
    Json vfs = Json::array();
    for (const auto& v : d.virtfns) vfs.push_back(v.to_string());
    j["virtfns"] = vfs;
  }
  if (!d.netdevs.empty()) j["netdevs"] = d.netdevs;
  if (d.mac) j["mac"] = *d.mac;
  if (d.vpd_serial) j["vpd_serial"] = *d.vpd_serial;
  if (!d.reset_methods.empty()) j["reset_methods"] = d.reset_methods;
  return j;
}

std::string discovery_json(const Discovery& d, const HostReport& report, const std::string& host_name) {
  Json j;
  j["name"] = host_name;
  j["numa"] = to_json(numa_cells_value(d.numa.empty() ? std::nullopt : std::optional<std::vector<NumaCellSpec>>(d.numa)));
  Json devices = Json::array();
  for (size_t i = 0; i < d.devices.size(); ++i)
    devices.push_back(device_json(d.devices[i], i < report.devices.size() ? report.devices[i] : ReportedDevice{d.devices[i].facts(), d.devices[i].fingerprint}));
  j["devices"] = devices;
  j["platform"] = to_json(host_platform_value(report.platform));
  Json skipped = Json::array();
  for (const auto& s : d.skipped) skipped.push_back({{"what", s.what}, {"reason", s.reason}});
  j["skipped"] = skipped;
  Json notes = Json::array();
  for (const auto& s : d.notes) notes.push_back({{"what", s.what}, {"reason", s.reason}});
  j["notes"] = notes;
  return j.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace pcipass::app
