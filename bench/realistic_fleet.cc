#include "realistic_fleet.h"

#include <cstdio>
#include <random>
#include <vector>

namespace pcipass::bench {
namespace {

struct Flavor {
  uint32_t weight;
  uint32_t vcpus;
  uint64_t memory_mb;
  const char* extra_specs;  // a JSON object's members
};

// Sized so that 10 ops per host bring the fleet near its capacity: the big GPU and
// NUMA-pinned flavors start to find no host towards the end.
const std::vector<Flavor>& flavors() {
  static const std::vector<Flavor> mix = {
      {12, 13, 16384, R"("pci_passthrough:alias":"nic-vf:1")"},
      {8, 18, 16384, R"("pci_passthrough:alias":"nic-vf:2","hw:numa_nodes":"1")"},
      {6, 9, 8192, R"("pci_passthrough:alias":"intel-vf:1","hw:numa_nodes":"1")"},
      {6, 18, 16384, R"("pci_passthrough:alias":"mlx-vf:2","hw:numa_nodes":"1")"},
      {5, 27, 65536, R"("pci_passthrough:alias":"gpu:1","hw:numa_nodes":"1")"},
      {3, 28, 131072, R"("pci_passthrough:alias":"gpu:2","hw:numa_nodes":"1")"},
      {2, 55, 196608, R"("pci_passthrough:alias":"gpu-any:4")"},
      {4, 36, 32768, R"("pci_passthrough:alias":"gpu-any:1,nic-vf:1")"},
      {6, 9, 8192, R"("pci_passthrough:alias":"qat-vf:2")"},
      {5, 18, 16384, R"("pci_passthrough:alias":"qat-vf:1,nic-vf:1","hw:numa_nodes":"1","hw:pci_numa_affinity_policy":"preferred")"},
      {2, 18, 16384, R"("pci_passthrough:alias":"nic-pf:1")"},
      {2, 18, 16384, R"("pci_passthrough:alias":"mlx-pf:1","hw:numa_nodes":"1")"},
      {5, 9, 8192, R"("pci_passthrough:alias":"intel-vf:2","hw:numa_nodes":"1","hw:pci_numa_affinity_policy":"required")"},
      {4, 36, 32768, R"("pci_passthrough:alias":"mlx-vf:1,qat-vf:1")"},
      {10, 18, 16384, ""},
      {5, 18, 16384, R"("pci_passthrough:alias":"gpu:1,nic-vf:3","hw:pci_numa_affinity_policy":"socket")"},
  };
  return mix;
}

constexpr const char* kHeader = R"({"format":"pcipass-scenario/1",
"device_spec":[
 {"vendor_id":"8086","product_id":"154c","physical_network":"physnet1"},
 {"vendor_id":"15b3","product_id":"1018","physical_network":"physnet2"},
 {"vendor_id":"8086","product_id":"1572"},
 {"vendor_id":"15b3","product_id":"1017"},
 {"vendor_id":"10de","product_id":"2330"},
 {"vendor_id":"8086","product_id":"37c9"}],
"alias":[
 {"name":"nic-vf","vendor_id":"8086","product_id":"154c","device_type":"type-VF","numa_policy":"preferred"},
 {"name":"nic-vf","vendor_id":"15b3","product_id":"1018","device_type":"type-VF","numa_policy":"preferred"},
 {"name":"intel-vf","vendor_id":"8086","product_id":"154c","device_type":"type-VF","numa_policy":"legacy"},
 {"name":"mlx-vf","vendor_id":"15b3","product_id":"1018","device_type":"type-VF","numa_policy":"required"},
 {"name":"nic-pf","vendor_id":"8086","product_id":"1572","device_type":"type-PF"},
 {"name":"mlx-pf","vendor_id":"15b3","product_id":"1017","device_type":"type-PF","numa_policy":"socket"},
 {"name":"gpu","vendor_id":"10de","product_id":"2330","device_type":"type-PCI","numa_policy":"required"},
 {"name":"gpu-any","vendor_id":"10de","product_id":"2330","device_type":"type-PCI","numa_policy":"preferred"},
 {"name":"qat-vf","vendor_id":"8086","product_id":"37c9","device_type":"type-VF"}],
"hosts":[)";

// The Intel PF by address, the GPUs by an address glob, VFs as the fleet's; no Mellanox PF.
constexpr const char* kOwnSpec = R"("device_spec":[{"address":"0000:41:00.0"},{"address":"*:*:00.0","vendor_id":"10de"},)"
                                 R"({"vendor_id":"8086","product_id":"154c","physical_network":"physnet1"},)"
                                 R"({"vendor_id":"15b3","product_id":"1018","physical_network":"physnet2"},)"
                                 R"({"vendor_id":"8086","product_id":"37c9"}],)";

std::string address(unsigned bus, unsigned slot, unsigned fn) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0000:%02x:%02x.%u", bus, slot, fn);
  return buf;
}

class HostWriter {
 public:
  HostWriter(std::string& out, bool numa_known) : out_(out), numa_known_(numa_known) {}
  void device(const std::string& addr, const char* vendor, const char* product, const char* cls, unsigned numa,
              const std::string& extra) {
    out_ += first_ ? "" : ",";
    first_ = false;
    out_ += "{\"address\":\"" + addr + "\",\"vendor_id\":\"" + vendor + "\",\"product_id\":\"" + product +
            "\",\"class_code\":\"" + cls + "\",\"numa_node\":" + (numa_known_ ? std::to_string(numa) : "null") +
            ",\"iommu_group\":" + std::to_string(group_++) + extra + "}";
  }

 private:
  std::string& out_;
  bool numa_known_;
  bool first_ = true;
  unsigned group_ = 1;
};

void write_host(std::string& out, size_t index, bool numa_known, bool own_spec) {
  char name[32];
  std::snprintf(name, sizeof name, "compute-%05zu", index);
  out += std::string(index ? ",\n" : "\n") + "{\"name\":\"" + name + "\",";
  out += R"("numa":[{"id":0,"cpus":28,"memory_mb":196608,"socket":0},{"id":1,"cpus":28,"memory_mb":196608,"socket":1}],)";
  if (own_spec) out += kOwnSpec;
  out += "\"devices\":[";
  HostWriter w(out, numa_known);
  struct Nic { unsigned bus; const char* vendor; const char* pf; const char* vf; unsigned cell; };
  for (const Nic& nic : {Nic{0x41, "8086", "1572", "154c", 0}, Nic{0xc1, "15b3", "1017", "1018", 1}}) {
    const std::string pf = address(nic.bus, 0, 0);
    w.device(pf, nic.vendor, nic.pf, "020000", nic.cell,
             ",\"sriov_totalvfs\":64,\"devname\":\"ens" + std::to_string(nic.bus) + "f0\"");
    for (unsigned v = 0; v < 32; ++v)
      w.device(address(nic.bus, 2 + v / 8, v % 8), nic.vendor, nic.vf, "020000", nic.cell, ",\"physfn\":\"" + pf + "\"");
  }
  for (unsigned g = 0; g < 4; ++g) w.device(address(g < 2 ? 0x17 + g : 0x98 + g, 0, 0), "10de", "2330", "030200", g / 2, "");
  const std::string qat = address(0x3d, 0, 0);
  w.device(qat, "8086", "37c8", "0b4000", 0, ",\"sriov_totalvfs\":16");
  for (unsigned v = 0; v < 16; ++v)
    w.device(address(0x3d, 1 + v / 8, v % 8), "8086", "37c9", "0b4000", 0, ",\"physfn\":\"" + qat + "\"");
  out += "]}";
}

std::string shape_json(const Flavor& f) {
  return ",\"vcpus\":" + std::to_string(f.vcpus) + ",\"memory_mb\":" + std::to_string(f.memory_mb) + ",\"extra_specs\":{" +
         f.extra_specs + "}";
}

}  // namespace

std::string realistic_scenario_text(const RealisticMix& mix) {
  std::mt19937_64 rng(mix.seed);
  std::string out = kHeader;
  out.reserve(mix.hosts * 8000 + mix.ops * 150);
  for (size_t h = 0; h < mix.hosts; ++h) {
    const uint64_t kind = rng() % 10;  // 0: no NUMA node reported, 1: its own device_spec
    write_host(out, h, kind != 0, kind == 1);
  }
  out += "],\n\"ops\":[";
  const auto& fl = flavors();
  uint32_t total_weight = 0;
  for (const auto& f : fl) total_weight += f.weight;
  auto draw = [&]() -> const Flavor& {
    uint32_t x = static_cast<uint32_t>(rng() % total_weight);
    for (const auto& f : fl) {
      if (x < f.weight) return f;
      x -= f.weight;
    }
    return fl.back();
  };
  std::vector<std::string> live;
  size_t next = 0;
  for (size_t i = 0; i < mix.ops; ++i) {
    out += i ? ",\n" : "\n";
    const uint64_t x = rng() % 100;
    if (x < 60 || live.empty()) {
      // A boot's id stays alive until its delete, whether it found a host or not: a
      // failed boot's id is deleted later like any other (NotFound), as a client would.
      std::string id = "vm-" + std::to_string(next++);
      out += "{\"op\":\"boot\",\"id\":\"" + id + "\"" + shape_json(draw());
      if (rng() % 100 == 0) {
        char host[32];
        std::snprintf(host, sizeof host, "compute-%05zu", static_cast<size_t>(rng() % mix.hosts));
        out += std::string(",\"host\":\"") + host + "\"";
      }
      out += "}";
      live.push_back(std::move(id));
    } else if (x < 90) {
      const size_t k = rng() % live.size();
      std::swap(live[k], live.back());
      out += "{\"op\":\"delete\",\"id\":\"" + live.back() + "\"}";
      live.pop_back();
    } else {
      out += "{\"op\":\"query\"" + shape_json(draw()) + "}";
    }
  }
  return out + "\n]}\n";
}

}  // namespace pcipass::bench
