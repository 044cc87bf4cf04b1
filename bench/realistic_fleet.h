#pragma once
// Seeded generator of a fleet and op stream shaped like a real one (issue 14), as a
// pcipass-scenario/1 document:
// - each host: 2 NUMA cells (48 CPUs, 256 GiB each), 2 NIC PFs x 32 VFs of two vendors
//   (Intel 1572/154c on cell 0, Mellanox 1017/1018 on cell 1), 4 GPUs (2 per cell),
//   a QAT PF x 16 VFs on cell 0: 87 devices;
// - 10 % of hosts report no NUMA node for their devices, another 10 % have their own
//   device_spec (the Intel PF by address, GPUs by an address glob, no Mellanox PF);
// - nine alias entries covering type-VF/PF/PCI and every numa_policy, one name defined
//   twice with two product ids;
// - 16 flavors of one or two aliases with counts 1 to 4, half with hw:numa_nodes=1,
//   some with an explicit hw:pci_numa_affinity_policy;
// - the ops: about 60 % boots (1 % of them forced to a host), 30 % deletes, 10 %
//   queries, on a fleet sized to run near capacity by the end.
#include <cstddef>
#include <cstdint>
#include <string>

namespace pcipass::bench {

struct RealisticMix {
  size_t hosts = 10000;
  size_t ops = 100000;
  uint64_t seed = 42;
};

std::string realistic_scenario_text(const RealisticMix& mix);

}  // namespace pcipass::bench
