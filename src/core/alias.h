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
#include "core/pci_id.h"

namespace pcipass {

enum class NumaPolicy : uint8_t { Legacy, Required, Preferred, Socket };
const char* to_string(NumaPolicy policy);
std::optional<NumaPolicy> parse_numa_policy(std::string_view text);

// One alternative of an alias.
struct AliasSpec {
  PciId vendor_id;
  PciId product_id;
  std::optional<bool> live_migratable;
};

struct Alias {
  std::string name;
  std::vector<AliasSpec> specs;           // OR-ed alternatives
  std::optional<DeviceType> device_type;  // nullopt: type-PCI or type-VF, never a PF
  std::optional<NumaPolicy> numa_policy;  // nullopt: legacy unless the flavor overrides
  std::vector<size_t> source_indexes;     // positions in the alias list, for messages

  // Whether a device of this kind, with this live_migratable tag, can serve the alias.
  bool admits(PciId vendor, PciId product, DeviceType type, const std::optional<std::string>& live_migratable) const;
};

class AliasTable {
 public:
  static Result<AliasTable> parse(const ConfigValue& list, std::vector<std::string>& warnings);
  const Alias* find(std::string_view name) const;
  const std::vector<Alias>& aliases() const { return aliases_; }
  // Index of an alias in aliases(), stable for the table's lifetime.
  std::optional<size_t> index_of(std::string_view name) const;

 private:
  std::vector<Alias> aliases_;
};

}  // namespace pcipass
