#pragma once
// [pci] alias: named device requests that flavors refer to (Nova's strict schema).
// Entries sharing a name are alternatives; they must share device_type and numa_policy.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config_value.h"
#include "core/device.h"
#include "core/device_spec.h"
#include "core/pci_id.h"

namespace pcipass {

enum class NumaPolicy : uint8_t { Legacy, Required, Preferred, Socket };
const char* to_string(NumaPolicy policy);
std::optional<NumaPolicy> parse_numa_policy(std::string_view text);

// One alternative of an alias. What Nova 26 accepts is accepted: an id it leaves out
// matches any (Zed allows aliases without vendor_id/product_id); capability_type is
// matched, as Nova matches every key of the request, against the device_spec tag of
// that name; an id Nova's pattern lets through but that equals no device's id
// ("8086\n") makes the alternative match nothing, with `never` saying why.
struct AliasSpec {
  std::optional<PciId> vendor_id;   // nullopt: any vendor
  std::optional<PciId> product_id;  // nullopt: any product
  std::optional<bool> live_migratable;
  std::optional<std::string> capability_type;  // lower case; needs the same device_spec tag
  std::optional<std::string> never;            // why this alternative matches no device
  // Ports' requests only: needs the device_spec tag physical_network of this value.
  std::optional<std::string> physical_network;
};

struct Alias {
  std::string name;
  std::vector<AliasSpec> specs;           // OR-ed alternatives
  std::optional<DeviceType> device_type;  // nullopt: type-PCI or type-VF, never a PF
  std::optional<NumaPolicy> numa_policy;  // nullopt: legacy unless the flavor overrides
  std::vector<size_t> source_indexes;     // positions in the alias list, for messages
  // Set when no device can ever serve it under the configuration (every alternative
  // matches nothing, see mark_unusable_aliases): flavors naming it find no host.
  std::optional<std::string> unusable;
  // Made by pcipass for the requests of ports (add_port_aliases): no flavor names it,
  // and the configuration's own lists leave it out.
  bool for_ports = false;

  // Whether a device of this kind, with this live_migratable tag and these device_spec
  // tags, can serve the alias.
  bool admits(PciId vendor, PciId product, DeviceType type, const std::optional<std::string>& live_migratable,
              const std::vector<Tag>& tags = {}) const;
};

// The name of the alias a port's request is served by (add_port_aliases).
std::string port_alias_name(bool whole_pf, const std::string& physical_network);

class AliasTable {
 public:
  static Result<AliasTable> parse(const ConfigValue& list, std::vector<std::string>& warnings);
  const Alias* find(std::string_view name) const;
  const std::vector<Alias>& aliases() const { return aliases_; }
  // Index of an alias in aliases(), stable for the table's lifetime.
  std::optional<size_t> index_of(std::string_view name) const;
  // Adds, for each physical network that `specs` tags, the two requests a port on it
  // makes: a VF (vnic type direct) and a whole PF (direct-physical) tagged with it.
  void add_port_aliases(const DeviceSpecList& specs);
  // Marks the aliases no device allowed by `specs` can serve and says why in
  // `warnings`: alternatives whose ids can match nothing, whose capability_type or
  // live_migratable no device_spec entry tags, or aliases no flavor can name.
  void mark_unusable(const DeviceSpecList& specs, std::vector<std::string>& warnings);

 private:
  std::vector<Alias> aliases_;
};

}  // namespace pcipass
