// Discovery benchmark: a generated sysfs tree of about 1 000 PCI devices (8 SR-IOV NIC
// PFs x 100 VFs, 100 GPUs with their audio functions in shared IOMMU groups, root
// ports), read by `discover` through the real POSIX adapter; and, beside it,
// `lspci -D -nn -vmm` over the same tree (each device has a config-space file).
//   pcipass_discovery_bench [--devices-per-pf N] [--runs N] [--keep DIR]
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "adapters/sysfs/posix_sysfs_reader.h"
#include "host/discovery.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using pcipass::PciAddress;

namespace {

struct Tree {
  fs::path root;
  int devices = 0;
  int group = 1;

  void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  static std::string hex(unsigned v, int width) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%0*x\n", width, v);
    return buf;
  }
  fs::path device(const std::string& parent_dir, PciAddress a, unsigned vendor, unsigned device_id, unsigned cls,
                  int numa, const char* driver, int iommu_group) {
    const std::string name = a.to_string();
    fs::path dir = root / "sys/devices" / parent_dir / name;
    fs::create_directories(dir);
    write(dir / "vendor", hex(vendor, 4));
    write(dir / "device", hex(device_id, 4));
    write(dir / "subsystem_vendor", hex(vendor, 4));
    write(dir / "subsystem_device", hex(0, 4));
    write(dir / "class", hex(cls, 6));
    write(dir / "revision", "0x01\n");
    write(dir / "numa_node", std::to_string(numa) + "\n");
    write(dir / "driver_override", "(null)\n");
    write(dir / "reset_method", "flr\n");
    // A 64-byte type-0 config header so lspci can read the tree.
    unsigned char cfg[64] = {};
    auto byte = [](unsigned v) { return static_cast<unsigned char>(v & 0xff); };
    cfg[0] = byte(vendor); cfg[1] = byte(vendor >> 8); cfg[2] = byte(device_id); cfg[3] = byte(device_id >> 8);
    cfg[8] = 1; cfg[9] = byte(cls); cfg[10] = byte(cls >> 8); cfg[11] = byte(cls >> 16);
    cfg[0x0e] = ((cls >> 16) == 0x06) ? 1 : 0;
    cfg[0x2c] = byte(vendor); cfg[0x2d] = byte(vendor >> 8);
    std::ofstream(dir / "config", std::ios::binary).write(reinterpret_cast<const char*>(cfg), sizeof cfg);
    fs::create_directories(root / "sys/bus/pci/devices");
    fs::create_symlink(fs::relative(dir, root / "sys/bus/pci/devices"), root / "sys/bus/pci/devices" / name);
    if (driver) {
      fs::path drv = root / "sys/bus/pci/drivers" / driver;
      fs::create_directories(drv);
      fs::create_symlink(fs::relative(drv, dir), dir / "driver");
    }
    fs::path g = root / "sys/kernel/iommu_groups" / std::to_string(iommu_group) / "devices";
    fs::create_directories(g);
    fs::create_symlink(fs::relative(dir, g), g / name);
    fs::create_symlink(fs::relative(g.parent_path(), dir), dir / "iommu_group");
    ++devices;
    return dir;
  }
};

Tree build(const fs::path& root, int vfs_per_pf) {
  Tree t{root};
  fs::remove_all(root);
  for (int pf = 0; pf < 8; ++pf) {
    const unsigned bus = 0x20 + static_cast<unsigned>(pf) * 2;
    auto port = PciAddress::from_fields(0, bus - 1, 0, 0).value();
    std::string rp_dir = "pci0000:" + std::string(Tree::hex(bus - 1, 2)).substr(2, 2);
    t.device(rp_dir, port, 0x8086, 0x2030, 0x060400, pf % 2, "pcieport", t.group++);
    const std::string parent = rp_dir + "/" + port.to_string();
    auto pfa = PciAddress::from_fields(0, bus, 0, 0).value();
    fs::path pf_dir = t.device(parent, pfa, 0x8086, 0x1572, 0x020000, pf % 2, "i40e", t.group++);
    t.write(pf_dir / "sriov_totalvfs", "128\n");
    t.write(pf_dir / "sriov_numvfs", std::to_string(vfs_per_pf) + "\n");
    for (int v = 0; v < vfs_per_pf; ++v) {
      auto va = PciAddress::from_fields(0, bus + static_cast<unsigned>(v) / 64, 2 + (v % 64) / 8, v % 8).value();
      fs::path vf = t.device(parent, va, 0x8086, 0x154c, 0x020000, pf % 2, v % 4 ? "iavf" : "vfio-pci", t.group++);
      fs::create_symlink(fs::relative(pf_dir, vf), vf / "physfn");
      fs::create_symlink(fs::relative(vf, pf_dir), pf_dir / ("virtfn" + std::to_string(v)));
    }
  }
  for (int g = 0; g < 100; ++g) {
    const unsigned bus = 0x60 + static_cast<unsigned>(g);
    const std::string rp_dir = "pci0000:" + std::string(Tree::hex(bus, 2)).substr(2, 2);
    const int group = t.group++;
    t.device(rp_dir, PciAddress::from_fields(0, bus, 0, 0).value(), 0x10de, 0x2230, 0x030000, g % 2, "nvidia", group);
    t.device(rp_dir, PciAddress::from_fields(0, bus, 0, 1).value(), 0x10de, 0x1aef, 0x040300, g % 2, "snd_hda_intel", group);
  }
  return t;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int vfs = 100, runs = 20;
  std::string keep;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--devices-per-pf") vfs = std::atoi(v.c_str());
    else if (k == "--runs") runs = std::max(1, std::atoi(v.c_str()));
    else if (k == "--keep") keep = v;
  }
  const fs::path root = keep.empty() ? fs::temp_directory_path() / "pcipass-discovery-bench" : fs::path(keep);
  Tree t = build(root, vfs);
  std::string ids;
  if (std::ifstream in("/usr/share/misc/pci.ids"); in) ids.assign(std::istreambuf_iterator<char>(in), {});

  pcipass::PosixSysfsReader reader(root.string());
  std::vector<double> plain, named;
  size_t found = 0;
  for (int r = 0; r < runs; ++r) {
    auto a = Clock::now();
    auto d = pcipass::discover(reader);
    auto b = Clock::now();
    auto n = pcipass::discover(reader, ids.empty() ? nullptr : &ids);
    auto c = Clock::now();
    found = d.devices.size();
    plain.push_back(std::chrono::duration<double, std::milli>(b - a).count());
    named.push_back(std::chrono::duration<double, std::milli>(c - b).count());
    if (!d.skipped.empty() || n.devices.size() != found) {
      std::fprintf(stderr, "unexpected: %zu skipped\n", d.skipped.size());
      return 1;
    }
  }
  std::printf("tree: %d devices under %s\n", t.devices, root.c_str());
  std::printf("pcipass discover:             median %.2f ms, min %.2f ms (%zu devices, %d runs)\n", median(plain),
              *std::min_element(plain.begin(), plain.end()), found, runs);
  std::printf("pcipass discover + pci.ids:   median %.2f ms, min %.2f ms\n", median(named), *std::min_element(named.begin(), named.end()));
  const std::string cmd = "lspci -D -nn -vmm -A linux-sysfs -O sysfs.path=" + (root / "sys/bus/pci").string() + " > /dev/null 2>&1";
  std::vector<double> lspci;
  int lines_ok = std::system(("lspci -D -n -A linux-sysfs -O sysfs.path=" + (root / "sys/bus/pci").string() +
                              " 2>/dev/null | wc -l > " + (root / "lspci.count").string()).c_str());
  for (int r = 0; r < std::min(runs, 10) && lines_ok == 0; ++r) {
    auto a = Clock::now();
    int rc = std::system(cmd.c_str());
    lspci.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
    if (rc != 0) { lspci.clear(); break; }
  }
  std::string count;
  std::ifstream(root / "lspci.count") >> count;
  if (lspci.empty()) std::printf("lspci -D -nn -vmm:            could not read the tree\n");
  else std::printf("lspci -D -nn -vmm (process):  median %.2f ms (%s devices listed)\n", median(lspci), count.c_str());
  if (keep.empty()) fs::remove_all(root);
  return 0;
}
