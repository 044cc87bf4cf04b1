#pragma once
// Port: the controller as a host's agent sees it (`agent --manage-devices`): what it
// must carry out on its host, a watch of it, and its word back (the host's report, a
// server's outcome). The adapter is the REST API's client (api_client).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/error.h"
#include "core/host_interface.h"
#include "core/host_report.h"
#include "core/server_status.h"

namespace pcipass {

struct AssignedDevice {
  PciAddress address;
  DeviceType type = DeviceType::Pci;
  bool managed = false;  // libvirt binds it (the device_spec's managed=yes): the agent leaves it alone
  std::optional<std::string> mac;  // a NIC VF on a network: set on its PF with its VLAN (its port's, else the flavor's)
  uint16_t vlan = 0;
};

struct AssignedServer {
  std::string id;
  ServerStatus status = ServerStatus::Placed;
  std::vector<AssignedDevice> devices;  // vanished ones left out
  std::string domain_xml;               // the server's own domain (libvirt_domain_xml)
  std::string devices_xml;              // its <hostdev>/<interface> elements (libvirt_xml)
  std::string metadata_xml;             // its <pcipass:server> metadata element (libvirt_metadata_xml; "": none)
  uint32_t vcpus = 0;
  uint64_t memory_mb = 0;
  std::optional<std::string> base_domain;  // the operator's base domain it is merged into
};

struct HostWork {
  uint64_t generation = 0;  // the watch's cursor
  std::vector<AssignedServer> servers;
  // Its interfaces as its operator set them: their VF counts are carried out only while
  // the host is locked (it takes no new placements then).
  bool locked = false;
  std::vector<HostInterface> interfaces;
};

class ControllerLink {
 public:
  virtual ~ControllerLink() = default;
  // The host's servers; with `after`, held up to `wait_s` until the host moves past it.
  virtual Result<HostWork> assignments(std::optional<uint64_t> after, uint32_t wait_s) = 0;
  virtual Status report(const HostReport& report) = 0;
  // Conflict: the server's status does not take it (the error names it); NotFound: gone.
  virtual Status outcome(const std::string& server, AgentOutcome outcome, const std::string& step, const std::string& message) = 0;
};

}  // namespace pcipass
