#include "host/persistence.h"

#include <algorithm>
#include <map>

#include "core/hex.h"

namespace pcipass {
namespace {

std::string ids_text(PciId v, PciId d, PciId sv, PciId sd) {
  return v.to_string() + ":" + d.to_string() + " (subsystem " + sv.to_string() + ":" + sd.to_string() + ")";
}

std::string ids_of(const DiscoveredDevice& d) {
  return ids_text(d.vendor_id, d.product_id, d.subsystem_vendor_id, d.subsystem_device_id);
}

// The device a binding was written for, at another address: the same ids and a
// fingerprint that names the device itself (a VPD serial, a slot, an ACPI index; a
// "path:" fingerprint holds the address and cannot follow a move).
std::optional<PciAddress> moved(const PersistedBinding& b, const Discovery& discovery) {
  if (b.fingerprint.empty() || b.fingerprint.rfind("path:", 0) == 0) return std::nullopt;
  for (const auto& d : discovery.devices)
    if (d.address != b.address && d.fingerprint == b.fingerprint &&
        b.same_ids(d.vendor_id, d.product_id, d.subsystem_vendor_id, d.subsystem_device_id))
      return d.address;
  return std::nullopt;
}

}  // namespace

std::vector<PersistenceFinding> persistence_findings(const PersistenceFiles& files, const Discovery& discovery,
                                                     const std::vector<CriticalDevice>& critical) {
  std::map<PciAddress, const DiscoveredDevice*> by_address;
  for (const auto& d : discovery.devices) by_address[d.address] = &d;
  std::map<PciAddress, std::string> why;
  for (const auto& c : critical) why[c.address] = c.why;
  std::vector<PersistenceFinding> out;
  const BindRules rules = parse_bind_rules(files.bind_rules.value_or(""));
  for (const auto& p : rules.problems) out.push_back({PciAddress{}, p + " (pcipass cannot read this record: fix or remove it)", std::nullopt, ""});
  for (const auto& b : rules.bindings) {
    const std::string a = b.address.to_string();
    auto here = by_address.find(b.address);
    const bool same = here != by_address.end() && b.same_ids(here->second->vendor_id, here->second->product_id,
                                                             here->second->subsystem_vendor_id, here->second->subsystem_device_id);
    if (same) continue;
    const auto to = moved(b, discovery);
    std::string text = a + ": persisted for " + b.driver + " as " +
                       ids_text(b.vendor_id, b.device_id, b.subsystem_vendor_id, b.subsystem_device_id) + ", but " +
                       (here == by_address.end() ? "no device is at that address now"
                                                 : ids_of(*here->second) + " sits there now") +
                       "; pcipass's rule does not bind it";
    const bool driverctl_file = std::any_of(files.driverctl.begin(), files.driverctl.end(), [&](const auto& f) { return f.first == b.address; });
    if (driverctl_file && here != by_address.end())
      text += ", but driverctl's " + driverctl_path(b.address) + " will bind it to " + b.driver + " at the next boot";
    if (to) text += "; the device it was written for is at " + to->to_string() + " now: `pcipass bind --rekey` moves the override there";
    else text += "; `pcipass unbind --persisted-only " + a + "` forgets it";
    out.push_back({b.address, std::move(text), to, b.driver});
  }
  for (const auto& [address, content] : files.driverctl) {
    if (binding_at(rules.bindings, address)) continue;  // written with pcipass's record: judged above
    const std::string a = address.to_string();
    const std::string driver(trim(content));
    auto here = by_address.find(address);
    std::string text;
    if (here == by_address.end())
      text = driverctl_path(address) + " binds " + driver + " by address alone, and no device is at " + a + " now";
    else if (auto w = why.find(address); w != why.end() && driver == "vfio-pci")
      text = driverctl_path(address) + " binds " + a + " to " + driver + " at boot by address alone, but the host depends on " +
             ids_of(*here->second) + " there now (" + w->second + "): if the bus was renumbered, it was written for another device";
    else
      continue;  // nothing known to hold it against
    text += "; `pcipass unbind --persisted-only " + a + "` removes it";
    out.push_back({address, std::move(text), std::nullopt, driver});
  }
  return out;
}

}  // namespace pcipass
