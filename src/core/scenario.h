#pragma once
// The fleet scenario (../shared/scenario-format.md, v1) as core values, validated
// field by field; every error names its JSON path.
#include <optional>
#include <string>
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

}  // namespace pcipass
