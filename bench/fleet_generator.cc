#include "fleet_generator.h"

#include <cstdio>

namespace pcipass::bench {
namespace {

ConfigValue obj(std::vector<ConfigValue::Member> m) { return ConfigValue::object(std::move(m)); }
ConfigValue str(std::string s) { return ConfigValue::string(std::move(s)); }

PciAddress addr(uint32_t bus, uint32_t slot, uint32_t fn) { return PciAddress::from_fields(0, bus, slot, fn).value(); }

}  // namespace

Scenario generate_fleet(size_t hosts, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Scenario s;
  std::vector<std::string> warnings;
  s.device_spec = DeviceSpecList::parse(ConfigValue::array({
      obj({{"vendor_id", str("8086")}, {"product_id", str("154c")}, {"physical_network", str("physnet1")}}),
      obj({{"vendor_id", str("8086")}, {"product_id", str("1572")}}),
      obj({{"vendor_id", str("10de")}, {"product_id", str("2330")}}),
      obj({{"vendor_id", str("8086")}, {"product_id", str("37c9")}})}), warnings).value();
  s.alias = AliasTable::parse(ConfigValue::array({
      obj({{"name", str("nic-vf")}, {"vendor_id", str("8086")}, {"product_id", str("154c")}, {"device_type", str("type-VF")}, {"numa_policy", str("preferred")}}),
      obj({{"name", str("nic-pf")}, {"vendor_id", str("8086")}, {"product_id", str("1572")}, {"device_type", str("type-PF")}}),
      obj({{"name", str("gpu")}, {"vendor_id", str("10de")}, {"product_id", str("2330")}, {"device_type", str("type-PCI")}, {"numa_policy", str("required")}}),
      obj({{"name", str("qat-vf")}, {"vendor_id", str("8086")}, {"product_id", str("37c9")}, {"device_type", str("type-VF")}})}), warnings).value();
  for (size_t h = 0; h < hosts; ++h) {
    HostScenario host;
    char name[32];
    std::snprintf(name, sizeof name, "compute-%05zu", h);
    host.name = name;
    host.numa = std::vector<NumaCellSpec>{{0, 48, 262144, 0}, {1, 48, 262144, 1}};
    uint32_t group = 1;
    for (uint32_t pf = 0; pf < 2; ++pf) {
      const uint32_t bus = pf == 0 ? 0x41 : 0xc1;
      DeviceFacts p;
      p.address = addr(bus, 0, 0);
      p.vendor_id = PciId(0x8086); p.product_id = PciId(0x1572); p.class_code = 0x020000; p.numa_node = pf;
      p.sriov_totalvfs = 64; p.iommu_group = group++;
      p.devname = "ens" + std::to_string(bus) + "f0";
      host.devices.push_back(p);
      for (uint32_t v = 0; v < 32; ++v) {
        DeviceFacts vf;
        vf.address = addr(bus, 2 + v / 8, v % 8);
        vf.vendor_id = PciId(0x8086); vf.product_id = PciId(0x154c); vf.class_code = 0x020000; vf.numa_node = pf;
        vf.physfn = p.address; vf.iommu_group = group++;
        host.devices.push_back(vf);
      }
    }
    for (uint32_t g = 0; g < 4; ++g) {
      DeviceFacts gpu;
      gpu.address = addr(g < 2 ? 0x17 + g : 0x98 + g, 0, 0);
      gpu.vendor_id = PciId(0x10de); gpu.product_id = PciId(0x2330); gpu.class_code = 0x030200; gpu.numa_node = g / 2;
      gpu.iommu_group = group++;
      host.devices.push_back(gpu);
    }
    DeviceFacts qat;
    qat.address = addr(0x3d, 0, 0);
    qat.vendor_id = PciId(0x8086); qat.product_id = PciId(0x37c8); qat.class_code = 0x0b4000; qat.numa_node = 0;
    qat.sriov_totalvfs = 16; qat.iommu_group = group++;
    host.devices.push_back(qat);
    for (uint32_t v = 0; v < 16; ++v) {
      DeviceFacts vf;
      vf.address = addr(0x3d, 1 + v / 8, v % 8);
      vf.vendor_id = PciId(0x8086); vf.product_id = PciId(0x37c9); vf.class_code = 0x0b4000; vf.numa_node = 0;
      vf.physfn = qat.address; vf.iommu_group = group++;
      host.devices.push_back(vf);
    }
    s.hosts.push_back(std::move(host));
  }
  (void)rng;
  return s;
}

FlavorMix::FlavorMix(const AliasTable& aliases) {
  struct Entry { uint32_t weight; uint32_t vcpus; uint64_t mem; ExtraSpecs extra; };
  const std::vector<Entry> mix = {
      {30, 2, 4096, {{"pci_passthrough:alias", "nic-vf:1"}}},
      {15, 4, 8192, {{"pci_passthrough:alias", "nic-vf:2"}, {"hw:numa_nodes", "1"}}},
      {10, 8, 32768, {{"pci_passthrough:alias", "gpu:1"}, {"hw:numa_nodes", "1"}}},
      {4, 16, 65536, {{"pci_passthrough:alias", "gpu:2"}}},
      {10, 2, 4096, {{"pci_passthrough:alias", "qat-vf:2"}}},
      {10, 4, 8192, {{"pci_passthrough:alias", "nic-vf:1, qat-vf:1"}}},
      {3, 4, 8192, {{"pci_passthrough:alias", "nic-pf:1"}}},
      {18, 2, 2048, {}},
  };
  for (const auto& e : mix) {
    std::vector<std::string> ignored;
    shapes_.push_back(parse_flavor(e.vcpus, e.mem, e.extra, aliases, ignored).value());
    weights_.push_back(e.weight);
    total_ += e.weight;
  }
}

const InstanceShape& FlavorMix::draw(std::mt19937_64& rng) const {
  uint32_t x = static_cast<uint32_t>(rng() % total_);
  for (size_t i = 0; i < shapes_.size(); ++i) {
    if (x < weights_[i]) return shapes_[i];
    x -= weights_[i];
  }
  return shapes_.back();
}

}  // namespace pcipass::bench
