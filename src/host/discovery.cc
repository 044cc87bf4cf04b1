#include "host/discovery.h"

#include "core/bind_persistence.h"

#include <algorithm>
#include <map>

#include "core/extra_specs.h"
#include "core/hex.h"

namespace pcipass {
namespace {

constexpr std::string_view kDevices = "sys/bus/pci/devices/";

std::string trimmed(const std::string& s) { return std::string(trim(s)); }

// Reads an optional attribute: absent is fine, other failures become a note.
std::optional<std::string> optional_attr(const SysfsDirectory& dir, const std::string& name, Discovery& out,
                                         const std::string& who) {
  auto r = dir.read(name);
  if (r) return std::move(*r);
  if (r.error().code() != ErrorCode::NotFound) out.notes.push_back({who, r.error().message()});
  return std::nullopt;
}

struct Vanished {};

Result<DiscoveredDevice> read_device(const SysfsReader& sysfs, PciAddress address, Discovery& out,
                                     std::map<uint32_t, std::vector<PciAddress>>& group_members) {
  DiscoveredDevice d;
  d.address = address;
  const std::string who = address.to_string();
  const std::string base = std::string(kDevices) + who + "/";
  // A handle on the device directory (each read then resolves one component), and one
  // listing that tells which optional attributes exist, so absent ones cost nothing.
  auto opened = sysfs.open_directory(base);
  if (!opened) {
    if (opened.error().code() == ErrorCode::NotFound) return Error(ErrorCode::NotFound, "vanished during the scan");
    return std::move(opened).error();
  }
  const SysfsDirectory& dir = **opened;
  std::vector<std::string> entries;
  if (auto listing = dir.list()) entries = std::move(*listing);
  else if (listing.error().code() == ErrorCode::NotFound) return Error(ErrorCode::NotFound, "vanished during the scan");
  else return std::move(listing).error();
  auto has = [&](std::string_view name) { return std::binary_search(entries.begin(), entries.end(), name); };
  auto required_hex = [&](const char* attr, uint32_t max) -> Result<uint32_t> {
    auto text = dir.read(attr);
    if (!text) return std::move(text).error();
    auto v = parse_sysfs_hex(*text, max);
    if (!v) return std::move(std::move(v).error().within(base + attr));
    return *v;
  };
  auto attr = [&](const char* name) -> std::optional<std::string> {
    if (!has(name)) return std::nullopt;
    return optional_attr(dir, name, out, who);
  };
  // Fast path: the config-space header gives ids, class and revision in one read
  // (its first 64 bytes are readable without root). Else the separate attributes.
  std::optional<ConfigHeader> header;
  if (has("config"))
    if (auto bytes = dir.read("config", 64)) header = parse_config_header(*bytes);
  if (header) {
    d.vendor_id = header->vendor_id;
    d.product_id = header->device_id;
    d.class_code = header->class_code;
    d.revision = header->revision;
    d.subsystem_vendor_id = header->subsystem_vendor_id;
    d.subsystem_device_id = header->subsystem_device_id;
  } else {
    auto vendor = required_hex("vendor", 0xffff);
    if (!vendor) return std::move(vendor).error();
    auto device = required_hex("device", 0xffff);
    if (!device) return std::move(device).error();
    auto cls = required_hex("class", 0xffffff);
    if (!cls) return std::move(cls).error();
    d.vendor_id = PciId(static_cast<uint16_t>(*vendor));
    d.product_id = PciId(static_cast<uint16_t>(*device));
    d.class_code = *cls;
    if (auto t = attr("subsystem_vendor"))
      if (auto v = parse_sysfs_hex(*t, 0xffff)) d.subsystem_vendor_id = PciId(static_cast<uint16_t>(*v));
    if (auto t = attr("subsystem_device"))
      if (auto v = parse_sysfs_hex(*t, 0xffff)) d.subsystem_device_id = PciId(static_cast<uint16_t>(*v));
    if (auto t = attr("revision"))
      if (auto v = parse_sysfs_hex(*t, 0xff)) d.revision = *v;
  }
  if (auto t = attr("numa_node")) {
    auto n = parse_sysfs_numa_node(*t);
    if (n) d.numa_node = *n;
    else out.notes.push_back({who, "numa_node: " + n.error().message()});
  }
  if (has("driver"))
    if (auto link = dir.read_link("driver")) d.driver = std::string(link_basename(*link));
  if (auto t = attr("driver_override")) d.driver_override = parse_driver_override(*t);
  if (has("iommu_group"))
    if (auto link = dir.read_link("iommu_group"))
      if (auto n = parse_sysfs_uint(link_basename(*link))) {
        d.iommu_group = *n;
        auto cached = group_members.find(*n);
        if (cached == group_members.end()) {
          std::vector<PciAddress> members;
          if (auto listing = sysfs.list("sys/kernel/iommu_groups/" + std::to_string(*n) + "/devices"))
            for (const auto& m : *listing)
              if (auto a = PciAddress::parse(m)) members.push_back(*a);
          cached = group_members.emplace(*n, std::move(members)).first;
        }
        d.iommu_group_members = cached->second;
      }
  if (auto t = attr("sriov_totalvfs"))
    if (auto v = parse_sysfs_uint(*t)) d.sriov_totalvfs = *v;
  if (auto t = attr("sriov_numvfs"))
    if (auto v = parse_sysfs_uint(*t)) d.sriov_numvfs = *v;
  if (has("physfn"))
    if (auto link = dir.read_link("physfn"))
      if (auto a = PciAddress::parse(link_basename(*link))) d.physfn = *a;
  std::map<uint32_t, PciAddress> vfs;
  for (const auto& e : entries) {
    if (e.rfind("virtfn", 0) != 0) continue;
    auto index = parse_sysfs_uint(std::string_view(e).substr(6));
    auto link = dir.read_link(e);
    if (!index || !link) continue;
    if (auto a = PciAddress::parse(link_basename(*link))) vfs.emplace(*index, *a);
  }
  for (const auto& [i, a] : vfs) d.virtfns.push_back(a);
  // Network interfaces: net/IF, or virtioN/net/IF for virtio devices.
  std::vector<std::string> net_dirs;
  if (has("net")) net_dirs.push_back("net");
  for (const auto& e : entries)
    if (e.rfind("virtio", 0) == 0) net_dirs.push_back(e + "/net");
  for (const auto& net : net_dirs) {
    auto names = dir.list(net);
    if (!names) continue;
    for (const auto& n : *names) {
      d.netdevs.push_back(n);
      if (!d.link)
        if (auto state = dir.read(net + "/" + n + "/operstate"); state && !trimmed(*state).empty()) d.link = trimmed(*state).substr(0, 32);
      if (!d.mac)
        if (auto mac = dir.read(net + "/" + n + "/address")) d.mac = trimmed(*mac);
    }
  }
  if (has("vpd")) {
    auto vpd = dir.read("vpd", 32768);
    if (vpd) d.vpd_serial = parse_vpd_serial(*vpd);
    else if (vpd.error().code() == ErrorCode::PermissionDenied) out.notes.push_back({who, "vpd: permission denied (serial not read)"});
  }
  d.has_acpi_index = has("acpi_index");
  if (auto t = attr("reset_method")) {
    std::string_view rest = trim(*t);
    while (!rest.empty()) {
      auto sp = rest.find(' ');
      d.reset_methods.emplace_back(rest.substr(0, sp));
      if (sp == std::string_view::npos) break;
      rest = trim(rest.substr(sp + 1));
    }
  }
  if (auto link = sysfs.read_link(std::string(kDevices) + who)) {
    auto pos = link->find("devices/");
    d.sysfs_path = pos == std::string::npos ? *link : link->substr(pos + 8);
  }
  return d;
}

void read_numa(const SysfsReader& sysfs, Discovery& out) {
  auto nodes = sysfs.list("sys/devices/system/node");
  if (!nodes) return;
  for (const auto& n : *nodes) {
    if (n.rfind("node", 0) != 0) continue;
    auto id = parse_sysfs_uint(std::string_view(n).substr(4));
    if (!id) continue;
    NumaCellSpec info;
    info.id = *id;
    const std::string dir = "sys/devices/system/node/" + n + "/";
    if (auto cpulist = sysfs.read(dir + "cpulist")) {
      std::string_view t = trim(*cpulist);
      if (!t.empty())
        if (auto cpus = parse_cpu_set(t)) {
          info.cpus = static_cast<uint32_t>(cpus->size());
          if (auto pkg = sysfs.read("sys/devices/system/cpu/cpu" + std::to_string(cpus->front()) + "/topology/physical_package_id"))
            if (auto s = parse_sysfs_uint(*pkg)) info.socket = *s;
        }
    }
    if (auto meminfo = sysfs.read(dir + "meminfo"))
      if (auto mb = parse_node_meminfo_total_mb(*meminfo)) info.memory_mb = *mb;
    out.numa.push_back(info);
  }
  std::sort(out.numa.begin(), out.numa.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
}

// Slot names by "dddd:bb:ss" (hotplug slots report the address without a function).
std::map<std::string, std::string> read_slots(const SysfsReader& sysfs) {
  std::map<std::string, std::string> by_address;
  auto slots = sysfs.list("sys/bus/pci/slots");
  if (!slots) return by_address;
  for (const auto& s : *slots)
    if (auto a = sysfs.read("sys/bus/pci/slots/" + s + "/address")) by_address[trimmed(*a)] = s;
  return by_address;
}

void assign_fingerprints(const SysfsReader& sysfs, Discovery& out) {
  const auto slots = read_slots(sysfs);
  std::map<PciAddress, size_t> index;
  for (size_t i = 0; i < out.devices.size(); ++i) index[out.devices[i].address] = i;
  auto own = [&](DiscoveredDevice& d) {
    const std::string ids = d.vendor_id.to_string() + ":" + d.product_id.to_string();
    const std::string fn = std::to_string(d.address.function());
    if (d.vpd_serial) return "vpd:" + ids + ":" + *d.vpd_serial + "." + fn;
    const std::string addr = d.address.to_string();
    if (auto it = slots.find(addr.substr(0, 10)); it != slots.end()) return "slot:" + it->second + "." + fn;
    if (d.has_acpi_index)
      if (auto acpi = sysfs.read(std::string(kDevices) + addr + "/acpi_index"))
        if (auto n = parse_sysfs_uint(*acpi); n && *n > 0) return "acpi:" + std::to_string(*n);
    std::string parent = d.sysfs_path;
    if (auto slash = parent.rfind('/'); slash != std::string::npos) parent = parent.substr(0, slash);
    else parent.clear();
    return "path:" + parent + "/" + addr.substr(8) + ":" + ids;
  };
  for (auto& d : out.devices)
    if (!d.physfn) d.fingerprint = own(d);
  for (auto& d : out.devices) {
    if (!d.physfn) continue;
    auto pf = index.find(*d.physfn);
    if (pf == index.end()) {
      d.fingerprint = own(d);
      continue;
    }
    const auto& vfs = out.devices[pf->second].virtfns;
    auto pos = std::find(vfs.begin(), vfs.end(), d.address);
    d.fingerprint = "vf:" + out.devices[pf->second].fingerprint + "#" +
                    (pos == vfs.end() ? d.address.to_string() : std::to_string(pos - vfs.begin()));
  }
}

}  // namespace

DeviceFacts DiscoveredDevice::facts() const {
  DeviceFacts f;
  f.address = address;
  f.vendor_id = vendor_id;
  f.product_id = product_id;
  f.class_code = class_code;
  f.numa_node = numa_node;
  f.sriov_totalvfs = sriov_totalvfs.value_or(0);
  f.physfn = physfn;
  if (!netdevs.empty()) f.devname = netdevs.front();
  f.link = link;
  f.iommu_group = iommu_group;
  return f;
}

Discovery discover(const SysfsReader& sysfs, const std::string* pci_ids_text, const Progress* progress) {
  Discovery out;
  auto entries = sysfs.list(kDevices);
  if (!entries) {
    out.skipped.push_back({std::string(kDevices), entries.error().message()});
    return out;
  }
  std::map<uint32_t, std::vector<PciAddress>> group_members;
  size_t seen = 0;
  for (const auto& name : *entries) {
    if (progress && *progress) (*progress)("scanning devices", seen++, entries->size());
    auto address = PciAddress::parse(name);
    if (!address) {
      out.skipped.push_back({name, "not a PCI address pcipass can hold (" + address.error().message() +
                                       "); 32-bit PCI domains (e.g. VMD) are not supported"});
      continue;
    }
    auto device = read_device(sysfs, *address, out, group_members);
    if (!device) {
      const bool vanished = device.error().code() == ErrorCode::NotFound;
      out.skipped.push_back({name, vanished ? "vanished during the scan" : device.error().describe()});
      continue;
    }
    out.devices.push_back(std::move(*device));
  }
  read_numa(sysfs, out);
  assign_fingerprints(sysfs, out);
  if (auto overrides = sysfs.list("etc/driverctl.d"))
    for (auto& d : out.devices) {
      const std::string file = "pci-" + d.address.to_string();
      if (std::binary_search(overrides->begin(), overrides->end(), file))
        if (auto text = sysfs.read("etc/driverctl.d/" + file)) d.persisted_override = trimmed(*text);
    }
  if (auto text = sysfs.read(std::string(kBindRules), 1 << 20))  // pcipass's own: only for the device it was written for
    for (const auto& b : parse_bind_rules(*text).bindings)
      for (auto& d : out.devices)
        if (d.address == b.address && b.same_ids(d.vendor_id, d.product_id, d.subsystem_vendor_id, d.subsystem_device_id))
          d.persisted_override = b.driver;
  if (pci_ids_text) {
    std::set<std::pair<PciId, PciId>> wanted;
    for (const auto& d : out.devices) wanted.insert({d.vendor_id, d.product_id});
    PciIdsDb db = PciIdsDb::parse(*pci_ids_text, wanted);
    for (auto& d : out.devices) {
      d.vendor_name = db.vendor_name(d.vendor_id);
      d.product_name = db.device_name(d.vendor_id, d.product_id);
      d.subsystem_name = db.subsystem_name(d.vendor_id, d.product_id, d.subsystem_vendor_id, d.subsystem_device_id);
    }
  }
  return out;
}

}  // namespace pcipass
