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

const std::vector<FlavorMix::Flavor>& FlavorMix::flavors() {
  static const std::vector<Flavor> mix = {
      {30, 2, 4096, {{"pci_passthrough:alias", "nic-vf:1"}}},
      {15, 4, 8192, {{"pci_passthrough:alias", "nic-vf:2"}, {"hw:numa_nodes", "1"}}},
      {10, 8, 32768, {{"pci_passthrough:alias", "gpu:1"}, {"hw:numa_nodes", "1"}}},
      {4, 16, 65536, {{"pci_passthrough:alias", "gpu:2"}}},
      {10, 2, 4096, {{"pci_passthrough:alias", "qat-vf:2"}}},
      {10, 4, 8192, {{"pci_passthrough:alias", "nic-vf:1, qat-vf:1"}}},
      {3, 4, 8192, {{"pci_passthrough:alias", "nic-pf:1"}}},
      {18, 2, 2048, {}},
  };
  return mix;
}

FlavorMix::FlavorMix(const AliasTable& aliases) {
  for (const auto& e : flavors()) {
    std::vector<std::string> ignored;
    shapes_.push_back(parse_flavor(e.vcpus, e.memory_mb, e.extra, aliases, ignored).value());
    weights_.push_back(e.weight);
    total_ += e.weight;
  }
}

size_t FlavorMix::draw_index(std::mt19937_64& rng) const {
  uint32_t x = static_cast<uint32_t>(rng() % total_);
  for (size_t i = 0; i < shapes_.size(); ++i) {
    if (x < weights_[i]) return i;
    x -= weights_[i];
  }
  return shapes_.size() - 1;
}

const InstanceShape& FlavorMix::draw(std::mt19937_64& rng) const { return shapes_[draw_index(rng)]; }

namespace {

std::string hex4(PciId id) { return id.to_string(); }

std::string device_json(const DeviceFacts& d) {
  std::string out = "{\"address\":\"" + d.address.to_string() + "\",\"vendor_id\":\"" + hex4(d.vendor_id) +
                    "\",\"product_id\":\"" + hex4(d.product_id) + "\"";
  if (d.class_code) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%06x", *d.class_code);
    out += std::string(",\"class_code\":\"") + buf + "\"";
  }
  out += ",\"numa_node\":" + (d.numa_node ? std::to_string(*d.numa_node) : std::string("null"));
  if (d.sriov_totalvfs) out += ",\"sriov_totalvfs\":" + std::to_string(d.sriov_totalvfs);
  if (d.physfn) out += ",\"physfn\":\"" + d.physfn->to_string() + "\"";
  if (!d.devname.empty()) out += ",\"devname\":\"" + d.devname + "\"";
  if (d.iommu_group) out += ",\"iommu_group\":" + std::to_string(*d.iommu_group);
  return out + "}";
}

std::string boot_json(const std::string& id, const FlavorMix::Flavor& f) {
  std::string out = "{\"op\":\"boot\",\"id\":\"" + id + "\",\"vcpus\":" + std::to_string(f.vcpus) +
                    ",\"memory_mb\":" + std::to_string(f.memory_mb) + ",\"extra_specs\":{";
  for (size_t i = 0; i < f.extra.size(); ++i)
    out += (i ? "," : "") + std::string("\"") + f.extra[i].first + "\":\"" + f.extra[i].second + "\"";
  return out + "}}";
}

}  // namespace

std::string scenario_text(size_t hosts, size_t fill_boots, size_t ops, uint64_t seed) {
  Scenario s = generate_fleet(hosts, seed);
  std::string out = R"({"format":"pcipass-scenario/1",
"device_spec":[{"vendor_id":"8086","product_id":"154c","physical_network":"physnet1"},{"vendor_id":"8086","product_id":"1572"},{"vendor_id":"10de","product_id":"2330"},{"vendor_id":"8086","product_id":"37c9"}],
"alias":[{"name":"nic-vf","vendor_id":"8086","product_id":"154c","device_type":"type-VF","numa_policy":"preferred"},{"name":"nic-pf","vendor_id":"8086","product_id":"1572","device_type":"type-PF"},{"name":"gpu","vendor_id":"10de","product_id":"2330","device_type":"type-PCI","numa_policy":"required"},{"name":"qat-vf","vendor_id":"8086","product_id":"37c9","device_type":"type-VF"}],
"hosts":[)";
  for (size_t h = 0; h < s.hosts.size(); ++h) {
    const auto& host = s.hosts[h];
    out += (h ? ",\n" : "\n") + std::string("{\"name\":\"") + host.name + "\",\"numa\":[";
    for (size_t c = 0; c < host.numa->size(); ++c) {
      const auto& cell = (*host.numa)[c];
      out += (c ? "," : "") + std::string("{\"id\":") + std::to_string(cell.id) + ",\"cpus\":" + std::to_string(cell.cpus) +
             ",\"memory_mb\":" + std::to_string(cell.memory_mb) + ",\"socket\":" + std::to_string(*cell.socket) + "}";
    }
    out += "],\"devices\":[";
    for (size_t d = 0; d < host.devices.size(); ++d) out += (d ? "," : "") + device_json(host.devices[d]);
    out += "]}";
  }
  out += "],\n\"ops\":[";
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  FlavorMix mix(s.alias);
  const auto& flavors = FlavorMix::flavors();
  std::vector<std::string> live;
  size_t next = 0;
  bool first = true;
  auto emit = [&](const std::string& op) {
    out += (first ? "\n" : ",\n") + op;
    first = false;
  };
  for (size_t i = 0; i < fill_boots; ++i) {
    live.push_back("vm-" + std::to_string(next++));
    emit(boot_json(live.back(), flavors[mix.draw_index(rng)]));
  }
  for (size_t i = 0; i < ops; ++i) {
    uint64_t x = rng() % 100;
    const uint64_t boot_share = live.size() < fill_boots ? 60 : 35;
    if (x < boot_share || live.empty()) {
      live.push_back("vm-" + std::to_string(next++));
      emit(boot_json(live.back(), flavors[mix.draw_index(rng)]));
    } else if (x < 95) {
      size_t k = rng() % live.size();
      std::swap(live[k], live.back());
      emit("{\"op\":\"delete\",\"id\":\"" + live.back() + "\"}");
      live.pop_back();
    } else {
      std::string q = boot_json("", flavors[mix.draw_index(rng)]);
      q = "{\"op\":\"query\"" + q.substr(q.find(",\"vcpus\""));
      emit(q);
    }
  }
  return out + "\n]}\n";
}

}  // namespace pcipass::bench
