#pragma once
// libvirt domain XML for passed-through PCI devices:
//  - <hostdev mode='subsystem' type='pci' managed='yes|no'> for whole devices, PFs and VFs;
//  - <interface type='hostdev' managed='yes'> with a MAC and an optional VLAN tag for NIC
//    VFs, so libvirt programs the VF's MAC/VLAN through its PF before the guest starts.
// Values are validated here, so the output never needs escaping.
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/pci_address.h"

namespace pcipass {

struct PassthroughDevice {
  PciAddress address;
  bool managed = true;                 // libvirt detaches it from the host driver and reattaches it
  bool network_interface = false;      // a NIC VF given as <interface type='hostdev'>
  std::optional<std::string> mac;      // "52:54:00:12:34:56" (interfaces only)
  std::optional<uint16_t> vlan;        // 1..4094 (interfaces only)
};

// What a server's domain says about it beyond its devices, as libvirt <metadata> in
// pcipass's namespace (as Nova writes <nova:instance>): its flavor and root disk, and the
// image and key pair its create request named. Empty fields are left out.
struct DomainMetadata {
  std::string flavor;
  uint64_t disk_gb = 0;
  std::string image;
  std::string key_name;
};
inline constexpr const char* kMetadataNamespace = "https://pcipass.dev/xmlns/libvirt/server/1";

// One element (indented by `indent` spaces). Errors name the bad field.
Result<std::string> device_xml(const PassthroughDevice& device, int indent = 4);
// The <hostdev>/<interface> elements for all devices, in order.
Result<std::string> devices_xml(const std::vector<PassthroughDevice>& devices, int indent = 4);
// A minimal KVM domain holding the devices: what a VM manager would start, and what
// virt-xml-validate checks in the tests.
Result<std::string> domain_xml(const std::string& name, uint32_t vcpus, uint64_t memory_mb,
                               const std::vector<PassthroughDevice>& devices, const DomainMetadata& metadata = {});
// The <pcipass:server> element (indented by `indent`), text escaped; "" when every field
// is empty.
std::string metadata_xml(const DomainMetadata& metadata, int indent = 4);

// "52:54:00:12:34:56": six lower-case hex pairs, unicast.
bool valid_mac(std::string_view mac);

}  // namespace pcipass
