#pragma once
// Port: a NIC PF's per-VF network settings (MAC, VLAN), set through the PF as
// `ip link set PF vf N mac M vlan V` does. The adapter speaks rtnetlink (libnl).
// Errors: NotFound (no such network interface), InvalidArgument (the kernel refused the
// value), Unavailable (no netlink), Io.
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace pcipass {

struct VfNetSettings {
  std::string mac = "00:00:00:00:00:00";  // all zero: none set
  uint16_t vlan = 0;                      // 0: untagged
  bool operator==(const VfNetSettings&) const = default;
};

class VfNetwork {
 public:
  virtual ~VfNetwork() = default;
  // Per VF index, as the PF with network interface `pf` has them now.
  virtual Result<std::vector<VfNetSettings>> vfs(const std::string& pf) = 0;
  virtual Status set(const std::string& pf, uint32_t vf, const VfNetSettings& settings) = 0;
};

}  // namespace pcipass
