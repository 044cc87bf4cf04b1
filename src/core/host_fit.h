#pragma once
// Fit one instance onto one host: CPUs and memory (host totals, and NUMA cells when
// the instance has a NUMA topology), then every PCI request of the instance solved
// together as one min-cost flow, enumerating the PF-or-VFs choice of each contested
// SR-IOV family. A host is rejected only when no valid assignment exists.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/extra_specs.h"
#include "core/host_inventory.h"

namespace pcipass {

enum class Weigher : uint8_t {
  Pack,  // default: pack VFs onto PFs in use, keep whole PFs and NUMA cells free
  Name,  // first feasible host by name; NUMA cells in Nova's order
};

// Which device classes each alias admits: admits[alias][class].
struct AliasClassMatrix {
  std::vector<std::vector<uint8_t>> admits;
  bool get(size_t alias, uint32_t class_id) const {
    return alias < admits.size() && class_id < admits[alias].size() && admits[alias][class_id];
  }
};

struct HostFit {
  std::vector<std::vector<DeviceIndex>> devices;  // per PCI request, in request order
  std::vector<size_t> cells;                      // host cell index per instance cell; empty without NUMA topology
  int64_t cost = 0;                               // lower is better (within this host)
};

std::optional<HostFit> fit_host(const HostInventory& host, const InstanceShape& shape, const AliasClassMatrix& matrix,
                                Weigher weigher);

// Policy filter: may a device on `device_numa` serve a request with `policy` for an
// instance on host cells `cells` (host cell indexes)? (reference/nova-pci.md 3.5)
bool numa_allows(const HostInventory& host, NumaPolicy policy, const std::vector<size_t>& cells,
                 std::optional<uint16_t> device_numa);

// PCI matching alone for a fixed set of instance cells (empty: no NUMA topology).
std::optional<HostFit> fit_pci(const HostInventory& host, const InstanceShape& shape, const AliasClassMatrix& matrix,
                               const std::vector<size_t>& cells, bool first_feasible);

// Calls visit(host cell index per instance cell) for each placement of the instance's
// cells on distinct host cells with room for them, in permutation order over `order`.
// Stops when visit returns false or after max_steps search steps. With skip_symmetric,
// placements that only swap identical instance cells are visited once.
void for_each_cell_placement(const HostInventory& host, const std::vector<InstanceCell>& cells,
                             const std::vector<size_t>& order, bool skip_symmetric, size_t max_steps,
                             const std::function<bool(const std::vector<size_t>&)>& visit);

// Host cells in the order Nova's numa_fit_instance_to_host tries them (default spread).
std::vector<size_t> nova_cell_order(const HostInventory& host, const InstanceShape& shape);

}  // namespace pcipass
