#pragma once
// The agent's durable journal on its host (kJournalPath under the host root): for each
// server whose devices it has changed or is changing, what each device was before
// (driver, override, a PF's VF count), and the phase it is in; and the devices it could
// not restore. It is written before every step, so an agent restarted mid-step finds
// the step and undoes it (a prepare) or finishes it (a restore), and it is what a
// restore puts back. The codec is here (ConfigValue); the file's JSON text is the
// app's.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config_value.h"
#include "core/device.h"
#include "core/error.h"
#include "core/pci_address.h"
#include "ports/vf_network.h"

namespace pcipass {

inline constexpr std::string_view kJournalPath = "var/lib/pcipass/agent-journal.json";

// A device of a server as it was before the agent prepared it.
struct PreparedDevice {
  PciAddress address;
  DeviceType type = DeviceType::Pci;
  bool managed = false;  // libvirt binds it (device_spec managed=yes): the agent leaves it alone
  std::optional<std::string> driver;           // bound then
  std::optional<std::string> driver_override;  // set then
  std::optional<uint32_t> iommu_group;
  uint32_t numvfs = 0;    // PFs: VFs enabled then
  bool autoprobe = true;  // PFs: sriov_drivers_autoprobe then
  // A NIC VF the server wants a MAC (and VLAN) on: its PF's network interface, its index
  // there, and its settings before and as wanted.
  std::optional<std::string> pf_netdev;
  std::optional<uint32_t> vf_index;
  std::optional<VfNetSettings> vf_before, vf_wanted;
  // A NIC PF: each VF's settings then, by index (put back with its VFs).
  std::vector<VfNetSettings> vf_settings;
  bool operator==(const PreparedDevice&) const = default;
};

enum class JournalPhase : uint8_t {
  Preparing,  // the prepare may be half done: undo it
  Prepared,   // the devices are the server's
  Restoring,  // the restore may be half done: finish it
};

struct JournalEntry {
  std::string server;
  JournalPhase phase = JournalPhase::Preparing;
  std::vector<PreparedDevice> devices;
  bool operator==(const JournalEntry&) const = default;
};

struct AgentJournal {
  std::vector<JournalEntry> servers;
  std::map<PciAddress, std::string> attention;  // could not be restored: why
  JournalEntry* find(const std::string& server);
  const JournalEntry* find(const std::string& server) const;
  void erase(const std::string& server);
  bool operator==(const AgentJournal&) const = default;
};

ConfigValue journal_value(const AgentJournal& journal);
// Errors name the bad field by its path (a journal edited by hand, or from a newer pcipass).
Result<AgentJournal> parse_journal(const ConfigValue& value);

}  // namespace pcipass
