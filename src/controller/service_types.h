#pragma once
// The typed requests and results of the service's calls (service.h): what a client
// asks and what it gets back, with no wire format. Views of the fleet are copies,
// taken under the service's lock.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controller/controller.h"
#include "core/alias.h"
#include "core/device.h"
#include "core/pci_address.h"
#include "core/server_status.h"
#include "ports/state_store.h"
#include "ports/tenant_store.h"
#include "ports/token_store.h"

namespace pcipass {

// ---- hosts and devices --------------------------------------------------------------

struct ReportResult {
  std::string host;
  uint64_t generation = 0;
  bool created = false;            // the host was new
  std::vector<std::string> notes;  // devices flagged vanished, allocations that moved
};

struct HostSummary {
  std::string name;
  size_t devices = 0;
  size_t allow_listed = 0;  // admitted by a device_spec entry
  size_t free = 0;
  uint64_t vcpus_used = 0;
  std::optional<uint64_t> vcpus;
  uint64_t memory_mb_used = 0;
  std::optional<uint64_t> memory_mb;
  bool locked = false;                 // by its operator: it takes no new placements
  std::optional<std::string> blocked;  // why it takes no new placements
};

// One interface of a host (a device that is not a VF and has a netdev or SR-IOV, or
// that its operator set): what its operator set, what its agent reports, and the
// physical networks scheduling gives it and its VFs now.
struct HostInterfaceView {
  std::string host;
  PciAddress address;
  std::string name;                             // its netdev, may be empty
  std::optional<HostInterface> set;             // by its operator; nullopt: never (class none)
  std::vector<std::string> physical_networks;   // of it and its VFs as scheduled now (its own or device_spec's)
  uint32_t sriov_totalvfs = 0;                  // 0: no SR-IOV
  uint32_t vfs = 0;                             // VFs its host reports now
  std::optional<std::string> link;              // its netdev's operstate, as reported
  std::vector<std::string> held_by;             // servers holding it or one of its VFs
};

struct CellView {
  uint32_t id = 0;
  std::optional<uint32_t> cpus;
  std::optional<uint64_t> memory_mb;
  uint64_t vcpus_used = 0;
  uint64_t memory_mb_used = 0;
  size_t free_devices = 0;
};

// NeedsAttention: its agent could not restore it (a reason says why); an operator must.
enum class DeviceStatus { Available, Allocated, Unavailable, NotAllowListed, Bridge, Vanished, NeedsAttention };
const char* to_string(DeviceStatus status);
std::optional<DeviceStatus> parse_device_status(std::string_view text);

struct IommuGroupView {
  uint32_t number = 0;
  std::vector<PciAddress> endpoints;
  bool assignable = false;
};

struct DeviceView {
  std::string host;
  DeviceStatus status = DeviceStatus::Available;
  std::optional<std::string> owner;
  // Vanished: the device as its host last reported it (the fields below are unset).
  std::optional<StoredDevice> last_seen;
  PciAddress address;
  PciId vendor_id, product_id;
  DeviceType type = DeviceType::Pci;
  std::optional<uint32_t> numa_node;
  std::string reason;                 // why unavailable
  std::vector<std::string> aliases;   // the aliases that admit it
  std::optional<PciAddress> physfn;
  std::vector<std::string> problems;  // why its holding breaks a rule (see Health)
  bool fixed = false;                  // its mode is never changed (pcipass_fixed)
  // With detail (show device):
  struct Detail {
    std::vector<std::pair<std::string, std::optional<std::string>>> tags;  // from its device_spec entry
    std::vector<PciAddress> vfs;         // its VFs, vanished ones included
    std::optional<uint32_t> sriov_numvfs;  // PFs: VFs reported now (sriov_totalvfs is in `reported`)
    std::optional<uint32_t> vfs_in_use;  // PFs
    std::optional<IommuGroupView> iommu_group;
    std::optional<StoredDevice> reported;  // the host's report of it (class, devname, fingerprint)
  };
  std::optional<Detail> detail;
};

struct HostDetail {
  HostSummary summary;
  uint64_t generation = 0;
  std::optional<std::vector<CellView>> numa;  // none: the host reports no NUMA data
  std::vector<DeviceView> devices;
  std::vector<std::string> problems;  // what blocks it
  std::vector<std::string> config_findings;  // what Nova would not start on (HostInventory::config_findings)
  std::optional<HostPlatform> platform;      // as its agent last said (nullopt: it did not)
};

// What the store holds that breaks a rule (a report that contradicts held servers, a
// configuration they no longer fit, data from an older pcipass): the hosts it blocks
// (they take no new placements until a rebuild finds them consistent) and the servers
// whose holdings break it.
struct Health {
  struct Entry {
    std::string name;
    std::vector<std::string> problems;
  };
  std::vector<Entry> hosts;
  std::vector<Entry> servers;
  bool ok() const { return hosts.empty() && servers.empty(); }
};

struct DeviceFilter {
  std::optional<std::string> host, alias, owner;
  std::optional<DeviceStatus> status;
};

// ---- configuration --------------------------------------------------------------------

struct ConfigSummary {
  std::optional<std::string> source;  // the --config file
  size_t device_spec_entries = 0;
  size_t aliases = 0;
  std::vector<std::string> warnings;
};

// ---- flavors ----------------------------------------------------------------------------

struct FlavorUpdate {
  std::string name;
  std::optional<uint32_t> vcpus;
  std::optional<uint64_t> memory_mb;
  std::vector<std::pair<std::string, std::string>> set;  // extra specs to add or change
  std::vector<std::string> unset;                         // extra spec keys to remove
  std::optional<uint64_t> disk_gb = {};
};

// ---- servers ----------------------------------------------------------------------------

// A NIC of a new server: a port of the caller's (port-id), or one made for the server on
// a network it sees (net-id, with a vnic type).
struct NewNic {
  std::optional<std::string> port;
  std::optional<std::string> network;
  std::string vnic_type = "direct";
};

struct NewServer {
  std::string name;
  std::string flavor;
  std::optional<std::string> host;  // forced
  std::optional<std::string> base_domain;  // the operator's base domain its agent merges it into
  std::vector<NewNic> nics = {};  // each adds a device request: a VF (direct) or a PF (direct-physical)
  // Named for the guest, kept with the server and passed to its domain's metadata.
  std::optional<std::string> image = {};
  std::optional<std::string> key_name = {};
};

struct ServerDevice {
  PciAddress address;
  DeviceType type = DeviceType::Pci;
  std::optional<uint32_t> numa_node;
  bool network_interface = false;  // a NIC VF on a physical network: an <interface type='hostdev'>
  std::optional<std::string> mac;  // interfaces, and a PF that serves a port
  std::optional<std::string> port;  // the port it serves
  std::optional<uint16_t> vlan;     // a port's VF: its network's VLAN (else the flavor's pcipass:vlan)
  bool vanished = false;           // held, but gone from its host's reports: left out of the XML
  // Whether libvirt detaches it from its host driver (managed='yes'), or its host's agent
  // has bound it to vfio-pci (managed='no'): the device_spec's `managed` tag, else no on
  // a host whose agent manages devices and yes elsewhere.
  bool managed = true;
};

// A server as booted: its placement, and what its libvirt XML is made from.
struct ServerView {
  std::string id;
  std::string host;
  std::optional<std::string> flavor;
  uint32_t vcpus = 0;
  uint64_t memory_mb = 0;
  std::vector<uint32_t> numa_cells;  // host cell ids
  std::vector<ServerDevice> devices;
  std::optional<uint16_t> vlan;      // pcipass:vlan as booted
  std::optional<std::string> base_domain;  // pcipass:base_domain as booted
  std::optional<std::string> image;        // as its create request named them
  std::optional<std::string> key_name;
  uint64_t disk_gb = 0;                    // its flavor's root disk as booted (0: none)
  std::vector<std::string> notes;    // what it was booted with that cannot be used
  ServerState state;
  std::string project;  // "": the operators'
};

struct ServerSummary {
  std::string id;
  std::string host;
  std::string flavor;
  std::vector<PciAddress> devices;
  ServerState state;
  std::string project;  // "": the operators'
};

// What a delete did: freed the devices now, or left the server deleting until its
// host's agent has restored them.
struct DeleteResult {
  bool released = true;
  ServerStatus status = ServerStatus::Deleting;  // when not released
};

// What a host's agent carries out: every server on the host, with what its devices and
// XML are made from, and the host's generation as the cursor of a watch (an agent
// asks again with `after` = this, and is answered when it moves).
struct HostAssignments {
  std::string host;
  uint64_t generation = 0;
  bool manages_devices = false;  // as its last report said
  std::vector<ServerView> servers;
  // Its interfaces as its operator set them: their VF counts are carried out only while
  // the host is locked.
  bool locked = false;
  std::vector<HostInterface> interfaces;
};

// An agent's word on a server of its host (core/server_status.h).
struct ServerOutcome {
  std::string id;
  AgentOutcome outcome = AgentOutcome::Active;
  std::string step;     // Failed: the step that failed
  std::string message;  // Failed: the host's words
};

// ---- explain and capacity -----------------------------------------------------------

struct Explanation {
  std::string flavor;
  size_t fits_on = 0;
  size_t refused = 0;
  std::vector<RefusalGroup> why;    // the refused hosts by first reason, most first
  std::vector<HostVerdict> hosts;   // asked per host (or for one host): a page, in name order
  std::optional<std::string> next;  // the marker of the next page
};

struct AliasCapacity {
  std::string alias;
  uint64_t free = 0;
  uint64_t total = 0;
};

struct HostCapacity {
  std::string host;
  std::vector<AliasCapacity> aliases;  // only aliases the host has devices for
};

struct Capacity {
  std::vector<AliasCapacity> fleet;  // every alias
  std::vector<HostCapacity> hosts;   // in name order
};

// ---- projects, networks, ports, quotas ------------------------------------------------

struct NewNetwork {
  std::string name;
  std::optional<std::string> project;  // none: the operators'
  bool shared = false;
  std::string type = "vlan";           // vlan | flat
  std::string physical_network;
  std::optional<uint64_t> segment;     // vlan: the VLAN id, 1-4094
};

struct NewPort {
  std::string name;
  std::string network;
  std::optional<std::string> project;  // admins only (members: their own); none: the network's
  std::string vnic_type = "direct";    // direct (a VF) | direct-physical (a PF)
  std::optional<std::string> mac;      // none: fa:16:3e and three random bytes
};

struct QuotaUpdate {
  std::string project;
  // resource -> limit (nullopt: unlimited, the quota removed)
  std::vector<std::pair<std::string, std::optional<uint64_t>>> set;
};

struct ProjectQuotas {
  std::string project;
  std::vector<QuotaUse> quotas;  // by resource
};

// ---- tokens -------------------------------------------------------------------------------

struct NewToken {
  std::string name;
  std::string role;                  // admin | agent | reader | member
  std::optional<std::string> host;   // agents only, and they must name one
  std::optional<std::string> project;  // members only, and they must name one
};

struct IssuedToken {
  std::string name;
  std::string role;
  std::optional<std::string> host;
  std::string secret;  // shown once, never stored
  std::optional<std::string> project;
};

struct TokenInfo {
  std::string name;
  std::string role;
  std::optional<std::string> host;
  std::optional<std::string> project;
};

}  // namespace pcipass
