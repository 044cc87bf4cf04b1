#pragma once
// Devices the host itself depends on, which must never be handed to a VM without
// --force: the NIC(s) under a default route, an IPv4 route or a global IPv6 address
// (through bonds, VLANs and bridges to the PCI functions beneath), a bond member, bridge
// or Open vSwitch port, the controller(s) under any mounted filesystem or active swap
// partition (through device-mapper and MD), and the boot VGA device.
#include <string>
#include <vector>

#include "host/discovery.h"

namespace pcipass {

struct CriticalDevice {
  PciAddress address;
  std::string why;  // "carries the default route (eno1)", ...
};

std::vector<CriticalDevice> find_host_critical(const SysfsReader& sysfs, const Discovery& discovery);

// The PCI device a sysfs path (a link target) sits under: the last component that is a
// PCI address, e.g. ".../0000:00:03.0/virtio2/net/eth0" -> 0000:00:03.0.
std::optional<PciAddress> pci_device_in_path(std::string_view path);

}  // namespace pcipass
