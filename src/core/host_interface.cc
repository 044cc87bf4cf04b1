#include "core/host_interface.h"

#include <cctype>

#include "core/config_value.h"

namespace pcipass {

const char* interface_class_name(InterfaceClass c) {
  switch (c) {
    case InterfaceClass::None: return "none";
    case InterfaceClass::PciSriov: return "pci-sriov";
    case InterfaceClass::PciPassthrough: return "pci-passthrough";
  }
  return "none";
}

std::optional<InterfaceClass> parse_interface_class(std::string_view text) {
  for (auto c : {InterfaceClass::None, InterfaceClass::PciSriov, InterfaceClass::PciPassthrough})
    if (text == interface_class_name(c)) return c;
  return std::nullopt;
}

Status check_datanetwork(std::string_view name) {
  if (name.empty() || name.size() > 255) return invalid("a data network name is 1 to 255 characters");
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return invalid("data network " + quote(name) + ": only letters, digits, '.', '_' and '-' are allowed");
  return ok_status();
}

Result<HostInterface> interface_for(const InterfaceRequest& request, const std::vector<DeviceFacts>& devices) {
  const DeviceFacts* dev = nullptr;
  auto address = PciAddress::parse(request.name);
  for (const auto& d : devices)
    if ((address && d.address == *address) || (!d.devname.empty() && d.devname == request.name)) dev = &d;
  if (!dev)
    return Error(ErrorCode::NotFound, quote(request.name) + " is neither an interface name nor a PCI address of a device the host reports");
  const std::string at = dev->address.to_string() + (dev->devname.empty() ? "" : " (" + dev->devname + ")");
  if (dev->physfn)
    return invalid(at + " is a VF: a VF's class is its PF's; set the interface of PF " + dev->physfn->to_string());
  if (dev->host_use) return Error(ErrorCode::Conflict, at + " is host-critical: the host depends on it: " + *dev->host_use);
  for (const auto& d : devices)
    if (d.physfn && *d.physfn == dev->address && d.host_use)
      return Error(ErrorCode::Conflict, at + " is host-critical: its VF " + d.address.to_string() + " is used by the host: " + *d.host_use);
  HostInterface out{dev->address, request.cls, request.datanetwork, request.vfs};
  const bool offered = request.cls != InterfaceClass::None;
  if (offered && request.datanetwork.empty())
    return invalid(at + ": class " + interface_class_name(request.cls) + " needs a data network (--datanetwork)");
  if (!offered && !request.datanetwork.empty()) return invalid(at + ": class none takes no data network (it is the host's)");
  if (!request.datanetwork.empty())
    if (auto st = check_datanetwork(request.datanetwork); !st) return std::move(st).error();
  const std::string total = std::to_string(dev->sriov_totalvfs);
  switch (request.cls) {
    case InterfaceClass::PciSriov:
      if (dev->sriov_totalvfs == 0) return invalid(at + " has no SR-IOV (sriov_totalvfs is 0): class pci-sriov needs it; use pci-passthrough");
      if (!request.vfs || *request.vfs == 0) return invalid(at + ": class pci-sriov needs a VF count of 1 to " + total + " (--vfs)");
      break;
    case InterfaceClass::PciPassthrough:
      if (request.vfs && *request.vfs != 0)
        return invalid(at + ": class pci-passthrough hands the whole PF to one VM, so it takes no VFs (--vfs 0 or none)");
      if (dev->sriov_totalvfs > 0) out.vfs = 0;  // its VFs are removed before the PF is handed out
      break;
    case InterfaceClass::None:
      break;
  }
  if (out.vfs && *out.vfs > dev->sriov_totalvfs)
    return invalid(at + ": " + std::to_string(*out.vfs) + " VFs asked, it has at most " + total + " (sriov_totalvfs)");
  return out;
}

}  // namespace pcipass
