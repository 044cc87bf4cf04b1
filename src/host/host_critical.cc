#include "host/host_critical.h"

#include <arpa/inet.h>

#include <algorithm>
#include <bit>
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

std::string last_component(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// "0001A8C0" (a network-order address printed as a host-order number) -> "192.168.1.0".
std::string ipv4_text(std::string_view hex) {
  const auto v = parse_hex_exact(hex, 0xffffffffu);
  if (!v) return std::string(hex);
  return std::to_string(*v & 0xff) + "." + std::to_string((*v >> 8) & 0xff) + "." + std::to_string((*v >> 16) & 0xff) + "." +
         std::to_string(*v >> 24);
}

int prefix_length(std::string_view hex) {
  const auto v = parse_hex_exact(hex, 0xffffffffu);
  return v ? std::popcount(*v) : 0;
}

// "20010db8000000000000000000000004" -> "2001:db8::4".
std::string ipv6_text(std::string_view hex) {
  in6_addr a{};
  if (hex.size() != 32) return std::string(hex);
  for (size_t i = 0; i < 16; ++i) {
    auto byte = parse_hex_exact(hex.substr(2 * i, 2), 0xff);
    if (!byte) return std::string(hex);
    a.s6_addr[i] = static_cast<uint8_t>(*byte);
  }
  char text[INET6_ADDRSTRLEN];
  return inet_ntop(AF_INET6, &a, text, sizeof text) ? std::string(text) : std::string(hex);
}

// Interfaces the host uses at layer 3, each with why, in the order found: a default
// route (IPv4, IPv6), any other IPv4 route (an address's own subnet route included),
// and an IPv6 address of global or site scope (link-local ones come with any interface
// that is up and say nothing).
std::vector<std::pair<std::string, std::string>> layer3_interfaces(const SysfsReader& sysfs) {
  std::vector<std::pair<std::string, std::string>> defaults, others;
  auto note = [](auto& list, const std::string& iface, std::string why) {
    if (iface == "lo" || iface == "*") return;
    for (const auto& [name, _] : list)
      if (name == iface) return;
    list.emplace_back(iface, std::move(why));
  };
  if (auto v4 = sysfs.read("proc/net/route"))
    for (const auto& l : lines(*v4)) {
      auto f = fields(l);
      if (f.size() < 8 || f[0] == "Iface") continue;
      if (f[1] == "00000000" && f[7] == "00000000") note(defaults, f[0], "carries the default route (" + f[0] + ")");
      else note(others, f[0], "is addressed on the host (IPv4 route " + ipv4_text(f[1]) + "/" + std::to_string(prefix_length(f[7])) +
                                  " on " + f[0] + ")");
    }
  if (auto v6 = sysfs.read("proc/net/ipv6_route"))
    for (const auto& l : lines(*v6)) {
      auto f = fields(l);
      if (f.size() >= 10 && f[0] == std::string(32, '0') && f[1] == "00") note(defaults, f[9], "carries the default route (" + f[9] + ")");
    }
  if (auto v6 = sysfs.read("proc/net/if_inet6"))
    for (const auto& l : lines(*v6)) {
      auto f = fields(l);  // address, ifindex, prefix length, scope, flags, name
      if (f.size() < 6 || (f[3] != "00" && f[3] != "40")) continue;
      note(others, f[5], "is addressed on the host (IPv6 " + ipv6_text(f[0]) + " on " + f[5] + ")");
    }
  for (auto& o : others) note(defaults, o.first, std::move(o.second));
  return defaults;
}

// The PCI devices under a network interface: its own, or those of the interfaces it is
// stacked on (a bond's members, a VLAN's parent, a bridge's ports), each with the
// chain of names that leads to it ("bond0 over eth1").
void pci_devices_of_interface(const SysfsReader& sysfs, const std::string& iface, const std::string& chain, int depth,
                              std::vector<std::pair<PciAddress, std::string>>& out) {
  if (depth > 4) return;
  if (auto link = sysfs.read_link("sys/class/net/" + iface))
    if (auto a = pci_device_in_path(*link)) {
      out.emplace_back(*a, chain);
      return;
    }
  if (auto entries = sysfs.list("sys/class/net/" + iface))
    for (const auto& e : *entries)
      if (e.rfind("lower_", 0) == 0) pci_devices_of_interface(sysfs, e.substr(6), chain + " over " + e.substr(6), depth + 1, out);
}

// What an interface is enslaved to, in words: "is a member of bond bond0 (eth0)".
std::optional<std::string> enslaved(const SysfsReader& sysfs, const std::string& iface) {
  auto link = sysfs.read_link("sys/class/net/" + iface + "/master");
  if (!link) return std::nullopt;
  const std::string master = last_component(*link);
  if (master == "ovs-system") return "is an Open vSwitch port on the host (" + iface + ")";
  if (sysfs.exists("sys/class/net/" + master + "/bonding")) return "is a member of bond " + master + " on the host (" + iface + ")";
  if (sysfs.exists("sys/class/net/" + master + "/bridge")) return "is a port of bridge " + master + " on the host (" + iface + ")";
  return "is enslaved to " + master + " on the host (" + iface + ")";
}

// Block devices under a block device, following device-mapper/MD slaves.
void block_devices_under(const SysfsReader& sysfs, const std::string& name, int depth, std::vector<std::string>& out) {
  if (depth > 4) return;
  out.push_back(name);
  if (auto slaves = sysfs.list("sys/class/block/" + name + "/slaves"))
    for (const auto& s : *slaves) block_devices_under(sysfs, s, depth + 1, out);
}

// The block device a /dev path names ("nvme0n1p2", a device-mapper name resolved to its
// dm-N), or nullopt if it is not one.
std::optional<std::string> block_device_named(const SysfsReader& sysfs, std::string_view source) {
  if (source.rfind("/dev/", 0) != 0) return std::nullopt;
  std::string dev(source.substr(5));
  if (dev.rfind("mapper/", 0) == 0)
    if (auto link = sysfs.read_link("sys/class/block/" + dev.substr(7))) dev = last_component(trim(*link));
  return dev;
}

// Mounted filesystems and active swap on block devices: (block device, what the host
// does with it). mountinfo's major:minor finds the device even where the source says
// /dev/root; proc/mounts is the fallback.
std::vector<std::pair<std::string, std::string>> block_uses(const SysfsReader& sysfs) {
  std::vector<std::pair<std::string, std::string>> out;
  auto use = [&](std::string dev, const std::string& mountpoint) {
    std::string why = mountpoint == "/" ? "holds the root filesystem (/dev/" + dev + ")"
                                        : "holds the mounted filesystem " + mountpoint + " (/dev/" + dev + ")";
    for (const auto& o : out)
      if (o.first == dev && o.second == why) return;
    out.emplace_back(std::move(dev), std::move(why));
  };
  if (auto info = sysfs.read("proc/self/mountinfo", 1 << 20)) {
    for (const auto& l : lines(*info)) {
      auto f = fields(l);  // id parent major:minor root mountpoint options [optional...] - type source superoptions
      auto dash = std::find(f.begin(), f.end(), "-");
      if (f.size() < 5 || dash == f.end() || dash + 2 >= f.end()) continue;
      std::optional<std::string> dev;
      if (auto link = sysfs.read_link("sys/dev/block/" + f[2])) dev = last_component(*link);
      if (!dev) dev = block_device_named(sysfs, *(dash + 2));
      if (dev) use(*dev, f[4]);
    }
  } else if (auto mounts = sysfs.read("proc/mounts", 1 << 20)) {
    for (const auto& l : lines(*mounts)) {
      auto f = fields(l);
      if (f.size() < 2) continue;
      if (auto dev = block_device_named(sysfs, f[0])) use(*dev, f[1]);
    }
  }
  if (auto swaps = sysfs.read("proc/swaps"))
    for (const auto& l : lines(*swaps)) {
      auto f = fields(l);
      if (f.size() < 2 || f[1] != "partition") continue;
      if (auto dev = block_device_named(sysfs, f[0])) out.emplace_back(*dev, "holds active swap (/dev/" + *dev + ")");
    }
  return out;
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
        if (c.why.find(why) == std::string::npos) c.why += "; " + why;
        return;
      }
    out.push_back({a, std::move(why)});
  };
  for (const auto& [iface, why] : layer3_interfaces(sysfs)) {
    std::vector<std::pair<PciAddress, std::string>> devices;
    pci_devices_of_interface(sysfs, iface, iface, 0, devices);
    for (const auto& [a, chain] : devices) {
      std::string reason = why;
      if (chain != iface)  // "carries the default route (bond0)" -> "... (bond0 over eth1)"
        if (auto at = reason.rfind(iface + ")"); at != std::string::npos) reason.replace(at, iface.size(), chain);
      add(a, reason);
    }
  }
  for (const auto& d : discovery.devices)
    for (const auto& n : d.netdevs)
      if (auto why = enslaved(sysfs, n)) add(d.address, *why);
  for (const auto& [dev, why] : block_uses(sysfs)) {
    std::vector<std::string> names;
    block_devices_under(sysfs, dev, 0, names);
    for (const auto& n : names)
      if (auto link = sysfs.read_link("sys/class/block/" + n))
        if (auto a = pci_device_in_path(*link)) add(*a, why);
  }
  for (const auto& d : discovery.devices)
    if (auto vga = sysfs.read("sys/bus/pci/devices/" + d.address.to_string() + "/boot_vga"); vga && trim(*vga) == "1")
      add(d.address, "is the boot VGA device");
  return out;
}

}  // namespace pcipass
