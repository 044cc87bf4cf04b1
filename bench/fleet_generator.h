#pragma once
// Seeded generator of benchmark fleets and op mixes, built straight into core types.
// Each host: 2 NUMA cells, 2 NIC PFs x 32 VFs (one per cell), 4 GPUs (2 per cell,
// each GPU with its own IOMMU group), a QAT PF x 16 VFs on cell 0.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/scenario.h"

namespace pcipass::bench {

Scenario generate_fleet(size_t hosts, uint64_t seed);

// The same fleet as a pcipass-scenario/1 document for `pcipass simulate`, with a fill
// phase (`fill_boots` boots) followed by `ops` mixed boot/delete/query ops.
std::string scenario_text(size_t hosts, size_t fill_boots, size_t ops, uint64_t seed);

// Random flavors drawn from a fixed mix (VF, NUMA-pinned VF pairs, GPUs, QAT, PF, none).
class FlavorMix {
 public:
  explicit FlavorMix(const AliasTable& aliases);
  const InstanceShape& draw(std::mt19937_64& rng) const;
  // Index of a random flavor, and that flavor's vCPUs, memory and extra specs.
  size_t draw_index(std::mt19937_64& rng) const;
  struct Flavor { uint32_t weight; uint32_t vcpus; uint64_t memory_mb; ExtraSpecs extra; };
  static const std::vector<Flavor>& flavors();
  size_t size() const { return shapes_.size(); }

 private:
  std::vector<InstanceShape> shapes_;
  std::vector<uint32_t> weights_;
  uint32_t total_ = 0;
};

}  // namespace pcipass::bench
