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

// Random flavors drawn from a fixed mix (VF, NUMA-pinned VF pairs, GPUs, QAT, PF, none).
class FlavorMix {
 public:
  explicit FlavorMix(const AliasTable& aliases);
  const InstanceShape& draw(std::mt19937_64& rng) const;
  size_t size() const { return shapes_.size(); }

 private:
  std::vector<InstanceShape> shapes_;
  std::vector<uint32_t> weights_;
  uint32_t total_ = 0;
};

}  // namespace pcipass::bench
