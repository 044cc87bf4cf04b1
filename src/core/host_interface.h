#pragma once
// A host interface's class and data network, as an operator sets it through pcipass on
// a locked host (StarlingX's "interface class"): what the host's agent carries out (the
// VF count) and what scheduling sees (the data network as the physical_network of the
// PF or its VFs, on that host, ahead of nova.conf's device_spec).
//  - pci-sriov: the PF keeps its host driver and serves `vfs` VFs; the VFs are handed
//    out (tagged physical_network = the data network), the PF never whole.
//  - pci-passthrough: the PF is handed out whole (tagged so); its VFs are removed.
//  - none: given back to the host: neither the PF nor its VFs are handed out, whatever
//    device_spec says; `vfs`, when set, is still carried out.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/device.h"
#include "core/error.h"

namespace pcipass {

enum class InterfaceClass : uint8_t { None, PciSriov, PciPassthrough };

const char* interface_class_name(InterfaceClass c);  // "none", "pci-sriov", "pci-passthrough"
std::optional<InterfaceClass> parse_interface_class(std::string_view text);

struct HostInterface {
  PciAddress address;  // the PF, or a device without SR-IOV
  InterfaceClass cls = InterfaceClass::None;
  std::string datanetwork;      // empty for none
  std::optional<uint32_t> vfs;  // the VF count its agent sets; nullopt: left as it is
  bool operator==(const HostInterface&) const = default;
};

// A data network's name: 1 to 255 of [A-Za-z0-9._-] (a physical_network tag).
Status check_datanetwork(std::string_view name);

// What the operator asked for, before it is checked against the host.
struct InterfaceRequest {
  std::string name;  // an interface name (devname) or a full PCI address
  InterfaceClass cls = InterfaceClass::None;
  std::string datanetwork;
  std::optional<uint32_t> vfs;
};

// The interface record `request` makes on a host that reports `devices` (its gone ones
// left out). InvalidArgument when the name is on no device of the host, names a VF (its
// class is its PF's), asks pci-sriov of a device without SR-IOV (sriov_totalvfs 0) or
// more VFs than it has, lacks a data network (pci-sriov, pci-passthrough) or has one
// (none), or gives pci-passthrough VFs; Conflict when the host depends on the device
// (it is host-critical). Each error names the device.
Result<HostInterface> interface_for(const InterfaceRequest& request, const std::vector<DeviceFacts>& devices);

}  // namespace pcipass
