#pragma once
// pcipass's own persistence of a driver binding (bind --persist, apply with "persist"):
// a udev rule per device that sets its driver_override at boot only while its address
// holds the same device (vendor, device and subsystem ids), so a re-enumeration (a card
// added, a BIOS change) cannot hand another device, the host's own NIC perhaps, to
// vfio-pci. Each rule follows a record line that pcipass reads back:
//   # pcipass-bind address=0000:41:00.0 driver=vfio-pci ids=8086:1572 subsystem=8086:0000 driverctl=no fingerprint=vpd:...
// driverctl's address-only file (etc/driverctl.d/pci-ADDR) is written as well only
// where the operator asks for driverctl compatibility (driverctl=yes).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/pci_address.h"
#include "core/pci_id.h"

namespace pcipass {

inline constexpr std::string_view kBindRules = "etc/udev/rules.d/69-pcipass-bind.rules";

struct PersistedBinding {
  PciAddress address;
  std::string driver;
  PciId vendor_id, device_id, subsystem_vendor_id, subsystem_device_id;
  bool driverctl = false;   // its driverctl file was written too
  std::string fingerprint;  // discovery's, to find the device after it moved ("": none)
  bool operator==(const PersistedBinding&) const = default;
  // The same device as these ids say.
  bool same_ids(PciId vendor, PciId device, PciId subsystem_vendor, PciId subsystem_device) const {
    return vendor_id == vendor && device_id == device && subsystem_vendor_id == subsystem_vendor &&
           subsystem_device_id == subsystem_device;
  }
};

struct BindRules {
  std::vector<PersistedBinding> bindings;  // by address
  std::vector<std::string> problems;       // record lines not understood ("line 3: ...")
};

// Reads the rules file (lines other than records are the rules pcipass derives from
// them, or someone's comments, and are passed over).
BindRules parse_bind_rules(std::string_view text);
// The file for these bindings: a header, then per binding its record and its rule.
std::string render_bind_rules(std::vector<PersistedBinding> bindings);
// The udev rule of one binding.
std::string bind_rule(const PersistedBinding& binding);

// Bindings with `b` in place of any at its address / without the one at `address`.
std::vector<PersistedBinding> with_binding(std::vector<PersistedBinding> bindings, PersistedBinding b);
std::vector<PersistedBinding> without_binding(std::vector<PersistedBinding> bindings, PciAddress address);
const PersistedBinding* binding_at(const std::vector<PersistedBinding>& bindings, PciAddress address);

}  // namespace pcipass
