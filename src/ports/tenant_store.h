#pragma once
// Port: projects, the networks on physical networks, and the ports on networks. Part
// of the same contract as the rest of a Store (tenant_store_contract_test); inside an
// open WriteBatch of the same handle, a write here is one step of it. Every rule that
// two controllers could break by racing is the store's to keep (unique names, one
// network per VLAN of a physical network, one port per MAC of a network, nothing
// deleted that another row still names).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tenancy.h"

namespace pcipass {

struct ProjectRecord {
  std::string name;
  std::string description;
};

struct NetworkRecord {
  std::string name;
  std::string project;  // "": the operators' own (no project)
  bool shared = false;  // usable by every project
  NetworkType type = NetworkType::Vlan;
  std::string physical_network;
  std::optional<uint16_t> segment;  // vlan: the VLAN id; flat: none
};

struct PortRecord {
  std::string name;
  std::string project;  // "": the operators' own
  std::string network;
  VnicType vnic_type = VnicType::Direct;
  std::string mac;  // normalized (core/tenancy.h)
  // Set by the claim of the server that holds it ("": free), and the index of that
  // server's device request that serves it.
  std::string server = "";
  std::optional<uint32_t> request = std::nullopt;
};

// One quota of a project: a resource ("servers", "vcpus", "memory_mb",
// "devices:ALIAS", "ports:VNIC_TYPE"), its limit (none: unlimited) and what the
// project uses of it now (its servers' claims; for ports, its ports).
using QuotaUse = QuotaLine;

class TenantStore {
 public:
  virtual ~TenantStore() = default;
  // AlreadyExists when the name is taken.
  virtual Status create_project(const ProjectRecord& project) = 0;
  virtual Result<std::vector<ProjectRecord>> projects() = 0;  // by name
  virtual Result<ProjectRecord> project(const std::string& name) = 0;  // NotFound
  // NotFound; Conflict while a server, a network, a port or a token belongs to it.
  virtual Status delete_project(const std::string& name) = 0;
  // Sets (nullopt: removes) a quota of a project. NotFound (within "project").
  virtual Status set_quota(const std::string& project, const std::string& resource, std::optional<uint64_t> limit) = 0;
  // Every resource the project has a limit for or uses, by resource. NotFound.
  virtual Result<std::vector<QuotaUse>> quotas(const std::string& project) = 0;

  // AlreadyExists when the name is taken; NotFound when its project is not there;
  // Conflict when another network has its VLAN id on its physical network (or, flat,
  // the physical network untagged).
  virtual Status create_network(const NetworkRecord& network) = 0;
  virtual Result<std::vector<NetworkRecord>> networks() = 0;  // by name
  virtual Result<NetworkRecord> network(const std::string& name) = 0;  // NotFound
  // NotFound; Conflict while a port is on it.
  virtual Status delete_network(const std::string& name) = 0;

  // AlreadyExists when the name is taken; NotFound when its network or project is not
  // there; Conflict when another port of the network has its MAC; OverQuota when its
  // project's quota "ports:VNIC_TYPE" has no room (a project's ports count whether a
  // server holds them or not, as Neutron's do).
  virtual Status create_port(const PortRecord& port) = 0;
  virtual Result<std::vector<PortRecord>> ports() = 0;  // by name
  virtual Result<PortRecord> port(const std::string& name) = 0;  // NotFound
  // NotFound; Conflict while a server holds it.
  virtual Status delete_port(const std::string& name) = 0;
};

}  // namespace pcipass
