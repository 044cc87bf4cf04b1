#pragma once
// The fleet scenario (../shared/scenario-format.md, v1) as core values, validated
// field by field; every error names its JSON path.
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/alias.h"
#include "core/config_value.h"
#include "core/device_spec.h"
#include "core/extra_specs.h"
#include "core/host_inventory.h"

namespace pcipass {

inline constexpr std::string_view kScenarioFormat = "pcipass-scenario/1";
inline constexpr uint32_t kDefaultVcpus = 1;
inline constexpr uint64_t kDefaultMemoryMb = 512;

struct HostScenario {
  std::string name;
  std::optional<std::vector<NumaCellSpec>> numa;
  std::optional<size_t> device_spec;  // index into Scenario::host_device_specs; nullopt: the global list
  std::vector<DeviceFacts> devices;
};

enum class OpKind { Boot, Delete, Query };

struct Op {
  OpKind kind = OpKind::Boot;
  std::string id;                       // boot, delete
  InstanceShape shape;                  // boot, query
  std::optional<std::string> host;      // boot: forced host
  // Expectations: boot "ok" | "NoValidHost" | host name; delete "ok" | "NotFound"; query host list.
  std::optional<std::string> expect_result;
  std::optional<std::vector<std::string>> expect_hosts;
};

struct Scenario {
  DeviceSpecList device_spec;
  std::vector<DeviceSpecList> host_device_specs;
  AliasTable alias;
  std::vector<HostScenario> hosts;
  std::vector<Op> ops;
  std::vector<std::string> warnings;  // each prefixed with its JSON path
};

Result<Scenario> parse_scenario(const ConfigValue& root);

// parse_scenario in pieces, for a document read as a stream (its hosts and ops one at
// a time, never the whole tree): header() first, then every host, then every op.
// Errors name the JSON path, as parse_scenario's do.
class ScenarioParser {
 public:
  // format, device_spec and alias from the scenario object; other members are checked
  // to be known and otherwise left to host() and op().
  Status header(const ConfigValue& root);
  // hosts[i]; its own device_spec, if it has one, goes to `own_spec`.
  Result<HostScenario> host(size_t i, const ConfigValue& host, std::optional<DeviceSpecList>& own_spec);
  // ops[i], once every host has been read.
  Result<Op> op(size_t i, const ConfigValue& op);

  const DeviceSpecList& device_spec() const { return device_spec_; }
  const AliasTable& alias() const { return alias_; }
  std::vector<std::string>& warnings() { return warnings_; }  // each prefixed with its JSON path

 private:
  void collect(const std::string& path, std::vector<std::string>& local);
  DeviceSpecList device_spec_;
  AliasTable alias_;
  std::vector<std::string> warnings_;
  std::set<std::string> names_;
  // Ids booted and not deleted since, with the op that booted them: a failed boot's id
  // stays too, as a server in error stays until it is deleted.
  std::unordered_map<std::string, size_t> alive_;
};

}  // namespace pcipass
