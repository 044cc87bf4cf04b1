// pcipass discover: the host's PCI devices as the kernel shows them in sysfs.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "app/discovery_json.h"
#include "host/host_facts.h"
#include "adapters/sysfs/posix_sysfs_reader.h"
#include "app/commands.h"
#include "host/discovery.h"

namespace pcipass::app {
namespace {

struct DiscoverArgs {
  bool json = false;
  std::string sysfs_root = "/";
  std::string pci_ids = "/usr/share/misc/pci.ids";
};

std::string line_for(const DiscoveredDevice& d) {
  char head[160];
  std::snprintf(head, sizeof head, "%s  %06x  %s:%s  %-12s %-4s %-5s ", d.address.to_string().c_str(), d.class_code,
                d.vendor_id.to_string().c_str(), d.product_id.to_string().c_str(), d.driver ? d.driver->c_str() : "-",
                d.numa_node ? std::to_string(*d.numa_node).c_str() : "-",
                d.iommu_group ? std::to_string(*d.iommu_group).c_str() : "-");
  std::string out = head;
  if (d.vendor_name || d.product_name)
    out += d.vendor_name.value_or("?") + " " + d.product_name.value_or("device " + d.product_id.to_string());
  if (d.sriov_totalvfs)
    out += "  [PF: " + std::to_string(d.sriov_numvfs.value_or(0)) + " of " + std::to_string(*d.sriov_totalvfs) + " VFs]";
  if (!d.netdevs.empty()) out += "  " + d.netdevs.front() + (d.mac ? " " + *d.mac : "");
  if (d.iommu_group_members.size() > 1) out += "  (group of " + std::to_string(d.iommu_group_members.size()) + ")";
  if (d.persisted_override) out += "  [persistent override: " + *d.persisted_override + "]";
  return out;
}

int run_discover(const DiscoverArgs& args) {
  PosixSysfsReader sysfs(args.sysfs_root);
  if (!sysfs.exists("sys/bus/pci/devices")) {
    std::cerr << "pcipass discover: " << sysfs.root() << "sys/bus/pci/devices does not exist (is "
              << sysfs.root() << " a sysfs root?)\n";
    return kExitInvalidInput;
  }
  std::string ids;
  std::ifstream in(args.pci_ids);
  if (in) {
    std::ostringstream buf;
    buf << in.rdbuf();
    ids = buf.str();
  }
  Discovery d = discover(sysfs, ids.empty() ? nullptr : &ids);
  char host[256] = "localhost";
  if (args.sysfs_root == "/") gethostname(host, sizeof host - 1);
  if (args.json) {
    const auto critical = find_host_critical(sysfs, d);
    std::cout << discovery_json(d, host_report_of(sysfs, d, critical, check_readiness(sysfs, d, critical)), host) << "\n";
    return kExitOk;
  }
  std::printf("%-12s  %-6s  %-9s  %-12s %-4s %-5s %s\n", "ADDRESS", "CLASS", "ID", "DRIVER", "NUMA", "GROUP", "DEVICE");
  std::map<PciAddress, const DiscoveredDevice*> by_address;
  for (const auto& dev : d.devices) by_address[dev.address] = &dev;
  for (const auto& dev : d.devices) {
    if (dev.physfn && by_address.count(*dev.physfn)) continue;  // printed under its PF
    std::printf("%s\n", line_for(dev).c_str());
    for (size_t i = 0; i < dev.virtfns.size(); ++i) {
      auto it = by_address.find(dev.virtfns[i]);
      if (it == by_address.end()) continue;
      std::printf("  %s VF %zu: %s\n", i + 1 == dev.virtfns.size() ? "`-" : "|-", i, line_for(*it->second).c_str());
    }
  }
  for (const auto& n : d.numa)
    std::printf("NUMA node %u: %u CPUs, %llu MB%s\n", n.id, n.cpus, static_cast<unsigned long long>(n.memory_mb),
                n.socket ? (", socket " + std::to_string(*n.socket)).c_str() : "");
  for (const auto& s : d.skipped) std::fprintf(stderr, "pcipass discover: skipped %s: %s\n", s.what.c_str(), s.reason.c_str());
  for (const auto& s : d.notes) std::fprintf(stderr, "pcipass discover: note: %s: %s\n", s.what.c_str(), s.reason.c_str());
  std::printf("%zu devices%s\n", d.devices.size(),
              d.skipped.empty() ? "" : (", " + std::to_string(d.skipped.size()) + " skipped").c_str());
  return kExitOk;
}

}  // namespace

void register_discover(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DiscoverArgs>();
  CLI::App* cmd = app.add_subcommand("discover", "List this host's PCI devices from sysfs (read-only)");
  cmd->add_flag("--json", args->json, "JSON with the scenario format's device fields, for pasting into a scenario");
  cmd->add_option("--sysfs-root", args->sysfs_root, "root holding sys/ (and proc/); default /");
  cmd->add_option("--pci-ids", args->pci_ids, "pci.ids database for device names");
  cmd->callback([args, &exit_code] { exit_code = run_discover(*args); });
}

}  // namespace pcipass::app
