#include "host/host_critical.h"

#include <set>

#include "core/hex.h"

namespace pcipass {
namespace {

std::vector<std::string> lines(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    out.emplace_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::vector<std::string> fields(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.emplace_back(line.substr(start, i - start));
  }
  return out;
}

// Interfaces with an IPv4 or IPv6 default route.
std::set<std::string> default_route_interfaces(const SysfsReader& sysfs) {
  std::set<std::string> out;
  if (auto v4 = sysfs.read("proc/net/route"))
    for (const auto& l : lines(*v4)) {
      auto f = fields(l);
      if (f.size() >= 8 && f[1] == "00000000" && f[7] == "00000000") out.insert(f[0]);
    }
  if (auto v6 = sysfs.read("proc/net/ipv6_route"))
    for (const auto& l : lines(*v6)) {
      auto f = fields(l);
      if (f.size() >= 10 && f[0] == std::string(32, '0') && f[1] == "00" && f[9] != "lo") out.insert(f[9]);
    }
  return out;
}

// Block devices under the root filesystem, following device-mapper/MD slaves.
void root_block_devices(const SysfsReader& sysfs, const std::string& name, int depth, std::vector<std::string>& out) {
  if (depth > 4) return;
  out.push_back(name);
  if (auto slaves = sysfs.list("sys/class/block/" + name + "/slaves"))
    for (const auto& s : *slaves) root_block_devices(sysfs, s, depth + 1, out);
}

}  // namespace

std::optional<PciAddress> pci_device_in_path(std::string_view path) {
  std::optional<PciAddress> found;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    if (auto a = PciAddress::parse(path.substr(pos, end - pos))) found = *a;
    pos = end + 1;
  }
  return found;
}

std::vector<CriticalDevice> find_host_critical(const SysfsReader& sysfs, const Discovery& discovery) {
  std::vector<CriticalDevice> out;
  auto add = [&](PciAddress a, std::string why) {
    for (auto& c : out)
      if (c.address == a) {
        c.why += "; " + why;
        return;
      }
    out.push_back({a, std::move(why)});
  };
  for (const auto& iface : default_route_interfaces(sysfs))
    if (auto link = sysfs.read_link("sys/class/net/" + iface))
      if (auto a = pci_device_in_path(*link)) add(*a, "carries the default route (" + iface + ")");
  if (auto mounts = sysfs.read("proc/mounts"))
    for (const auto& l : lines(*mounts)) {
      auto f = fields(l);
      if (f.size() < 2 || f[1] != "/" || f[0].rfind("/dev/", 0) != 0) continue;
      std::string dev = f[0].substr(5);
      if (dev.rfind("mapper/", 0) == 0)
        if (auto link = sysfs.read_link("sys/class/block/" + dev.substr(7))) dev = std::string(trim(*link));
      std::vector<std::string> names;
      root_block_devices(sysfs, dev, 0, names);
      for (const auto& n : names)
        if (auto link = sysfs.read_link("sys/class/block/" + n))
          if (auto a = pci_device_in_path(*link)) add(*a, "holds the root filesystem (/dev/" + n + ")");
    }
  for (const auto& d : discovery.devices)
    if (auto vga = sysfs.read("sys/bus/pci/devices/" + d.address.to_string() + "/boot_vga"); vga && trim(*vga) == "1")
      add(d.address, "is the boot VGA device");
  return out;
}

}  // namespace pcipass
