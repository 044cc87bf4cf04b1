#include "core/host_report.h"

#include <cstdio>
#include <set>

#include "core/hex.h"

namespace pcipass {
namespace {

std::string idx(size_t i) { return "[" + std::to_string(i) + "]"; }

Error at(Error e, const std::string& field) { return std::move(e.within(field)); }

// A member that may be absent or null.
const ConfigValue* optional_member(const ConfigValue& object, std::string_view key) {
  const ConfigValue* v = object.find(key);
  return v && !v->is_null() ? v : nullptr;
}

Result<PciAddress> read_address(const ConfigValue& v) {
  auto text = read_string(v);
  if (!text) return std::move(text).error();
  return PciAddress::parse(*text);
}

Result<PciId> read_id(const ConfigValue& v) {
  if (!v.is_string()) return invalid("expected 4 hex digits, got " + v.to_json());
  return PciId::parse(v.as_string());
}

}  // namespace

const std::initializer_list<std::string_view> kDiscoveryFields = {
    "sriov_numvfs", "subsystem_vendor_id", "subsystem_device_id", "revision", "vendor_name", "product_name", "subsystem_name",
    "persisted_override", "driver", "driver_override", "iommu_group_members", "virtfns", "netdevs", "mac", "vpd_serial",
    "reset_methods"};

Result<ReportedDevice> parse_reported_device(const ConfigValue& v) {
  if (!v.is_object()) return invalid(std::string("a device must be an object, got ") + kind_name(v.kind()));
  for (const auto& [key, value] : v.members()) {
    static const std::set<std::string_view> kFields = [] {
      std::set<std::string_view> all{"address", "vendor_id", "product_id", "class_code", "numa_node", "sriov_totalvfs",
                                     "physfn", "devname", "iommu_group", "fingerprint", "host_use", "vfio_user", "attention", "group_viable", "link"};
      all.insert(kDiscoveryFields.begin(), kDiscoveryFields.end());
      return all;
    }();
    if (!kFields.count(key))
      return at(invalid("unknown key in a device (allowed: address, vendor_id, product_id, class_code, numa_node, sriov_totalvfs, "
                        "physfn, devname, link, iommu_group, fingerprint, host_use, vfio_user, group_viable, attention, and what discover adds)"),
                key);
  }
  for (const char* required : {"address", "vendor_id", "product_id"})
    if (!v.find(required)) return invalid(std::string("missing ") + required);
  ReportedDevice out;
  DeviceFacts& d = out.facts;
  auto address = read_address(*v.find("address"));
  if (!address) return at(std::move(address).error(), "address");
  d.address = *address;
  auto vendor = read_id(*v.find("vendor_id"));
  if (!vendor) return at(std::move(vendor).error(), "vendor_id");
  auto product = read_id(*v.find("product_id"));
  if (!product) return at(std::move(product).error(), "product_id");
  d.vendor_id = *vendor;
  d.product_id = *product;
  if (const ConfigValue* c = optional_member(v, "class_code")) {
    if (!c->is_string() || c->as_string().size() != 6 || !parse_hex_exact(c->as_string(), 0xffffff))
      return at(invalid("expected 6 hex digits (class, subclass, prog-if), got " + c->to_json()), "class_code");
    d.class_code = static_cast<uint32_t>(*parse_hex_exact(c->as_string(), 0xffffff));
  }
  if (const ConfigValue* n = optional_member(v, "numa_node")) {
    auto node = read_integer(*n, -1, 0xfffe);
    if (!node) return at(std::move(node).error(), "numa_node");
    if (*node >= 0) d.numa_node = static_cast<uint32_t>(*node);  // sysfs reports -1 for "no affinity"
  }
  if (const ConfigValue* t = optional_member(v, "sriov_totalvfs")) {
    auto total = read_integer(*t, 0, 0xffff);
    if (!total) return at(std::move(total).error(), "sriov_totalvfs");
    d.sriov_totalvfs = static_cast<uint32_t>(*total);
  }
  if (const ConfigValue* p = optional_member(v, "physfn")) {
    auto pf = read_address(*p);
    if (!pf) return at(std::move(pf).error(), "physfn");
    if (*pf == d.address) return at(invalid("a device cannot be its own physfn"), "physfn");
    d.physfn = *pf;
  }
  if (const ConfigValue* n = optional_member(v, "devname")) {
    auto text = read_string(*n);
    if (!text) return at(std::move(text).error(), "devname");
    d.devname = *text;
  }
  if (const ConfigValue* g = optional_member(v, "iommu_group")) {
    auto group = read_integer(*g, 0, 0xffffffffLL);
    if (!group) return at(std::move(group).error(), "iommu_group");
    d.iommu_group = static_cast<uint32_t>(*group);
  }
  if (const ConfigValue* u = optional_member(v, "host_use")) {
    auto text = read_string(*u);
    if (!text) return at(std::move(text).error(), "host_use");
    if (text->empty() || text->size() > 1024) return at(invalid("expected 1 to 1024 characters saying why the host uses it"), "host_use");
    d.host_use = *text;
  }
  if (const ConfigValue* u = optional_member(v, "vfio_user")) {
    auto text = read_string(*u);
    if (!text) return at(std::move(text).error(), "vfio_user");
    if (text->empty() || text->size() > 1024) return at(invalid("expected 1 to 1024 characters naming who holds it open"), "vfio_user");
    d.vfio_user = *text;
  }
  if (const ConfigValue* u = optional_member(v, "attention")) {
    auto text = read_string(*u);
    if (!text) return at(std::move(text).error(), "attention");
    if (text->empty() || text->size() > 1024) return at(invalid("expected 1 to 1024 characters saying why it needs attention"), "attention");
    d.attention = *text;
  }
  if (const ConfigValue* u = optional_member(v, "link")) {
    auto text = read_string(*u);
    if (!text) return at(std::move(text).error(), "link");
    if (text->empty() || text->size() > 32) return at(invalid("expected an operstate of 1 to 32 characters (up, down, ...)"), "link");
    d.link = *text;
  }
  if (const ConfigValue* g = optional_member(v, "group_viable")) {
    if (!g->is_bool()) return at(invalid("expected true, false or null, got " + g->to_json()), "group_viable");
    d.group_viable = g->as_bool();
  }
  if (const ConfigValue* f = optional_member(v, "fingerprint")) {
    auto text = read_string(*f);
    if (!text) return at(std::move(text).error(), "fingerprint");
    out.fingerprint = *text;
  }
  return out;
}

Result<std::vector<NumaCellSpec>> parse_numa_cells(const ConfigValue& v) {
  if (!v.is_array()) return invalid(std::string("expected a list of NUMA cells, got ") + kind_name(v.kind()));
  std::vector<NumaCellSpec> cells;
  for (size_t i = 0; i < v.items().size(); ++i) {
    const ConfigValue& c = v.items()[i];
    auto here = [&](Error e) { return std::move(e.within(idx(i))); };
    if (!c.is_object()) return here(invalid("a NUMA cell must be an object"));
    if (auto keys = reject_unknown_keys(c, {"id", "cpus", "memory_mb", "socket"}, "a NUMA cell"); !keys) return here(std::move(keys).error());
    for (const char* required : {"id", "cpus", "memory_mb"})
      if (!c.find(required)) return here(invalid(std::string("missing ") + required));
    NumaCellSpec cell;
    auto id = read_integer(*c.find("id"), 0, 0xfffe);
    if (!id) return here(at(std::move(id).error(), "id"));
    auto cpus = read_integer(*c.find("cpus"), 0, 1 << 20);
    if (!cpus) return here(at(std::move(cpus).error(), "cpus"));
    auto mem = read_integer(*c.find("memory_mb"), 0, int64_t{1} << 40);
    if (!mem) return here(at(std::move(mem).error(), "memory_mb"));
    cell.id = static_cast<uint32_t>(*id);
    cell.cpus = static_cast<uint32_t>(*cpus);
    cell.memory_mb = static_cast<uint64_t>(*mem);
    if (const ConfigValue* s = optional_member(c, "socket")) {
      auto socket = read_integer(*s, 0, 0xffff);
      if (!socket) return here(at(std::move(socket).error(), "socket"));
      cell.socket = static_cast<uint32_t>(*socket);
    }
    for (const auto& other : cells)
      if (other.id == cell.id) return here(at(invalid("NUMA cell " + std::to_string(cell.id) + " is given twice"), "id"));
    cells.push_back(cell);
  }
  return cells;
}

Result<HostPlatform> parse_host_platform(const ConfigValue& v) {
  if (!v.is_object()) return invalid(std::string("expected an object, got ") + kind_name(v.kind()));
  if (auto keys = reject_unknown_keys(v, {"iommu", "interrupt_remapping", "vfio", "problems", "warnings"}, "platform"); !keys)
    return std::move(keys).error();
  HostPlatform out;
  for (auto [key, field] : {std::pair{"iommu", &out.iommu}, std::pair{"interrupt_remapping", &out.interrupt_remapping},
                            std::pair{"vfio", &out.vfio}}) {
    const ConfigValue* b = optional_member(v, key);
    if (!b) continue;
    if (!b->is_bool()) return at(invalid("expected true, false or null, got " + b->to_json()), key);
    *field = b->as_bool();
  }
  for (auto [key, list] : {std::pair{"problems", &out.problems}, std::pair{"warnings", &out.warnings}}) {
    const ConfigValue* p = optional_member(v, key);
    if (!p) continue;
    if (!p->is_array()) return at(invalid("expected a list of texts"), key);
    if (p->items().size() > 64) return at(invalid(std::string("at most 64 ") + key), key);
    for (size_t i = 0; i < p->items().size(); ++i) {
      const ConfigValue& t = p->items()[i];
      if (!t.is_string() || t.as_string().empty() || t.as_string().size() > 1024 || t.as_string().find('\n') != std::string::npos)
        return at(at(invalid("expected a text of 1 to 1024 characters on one line"), idx(i)), key);
      list->push_back(t.as_string());
    }
  }
  return out;
}

std::string platform_problems_text(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : "\n") + p;
  return out;
}

std::vector<std::string> platform_problems_from_text(std::string_view text) {
  std::vector<std::string> out;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

ConfigValue host_platform_value(const std::optional<HostPlatform>& p) {
  if (!p) return ConfigValue::null();
  auto flag = [](const std::optional<bool>& b) { return b ? ConfigValue::boolean(*b) : ConfigValue::null(); };
  auto texts = [](const std::vector<std::string>& list) {
    std::vector<ConfigValue> out;
    for (const auto& t : list) out.push_back(ConfigValue::string(t));
    return ConfigValue::array(std::move(out));
  };
  return ConfigValue::object({{"iommu", flag(p->iommu)}, {"interrupt_remapping", flag(p->interrupt_remapping)},
                              {"vfio", flag(p->vfio)}, {"problems", texts(p->problems)}, {"warnings", texts(p->warnings)}});
}

Result<HostReport> parse_host_report(const ConfigValue& v) {
  if (!v.is_object()) return std::move(invalid(std::string("a host report must be an object, got ") + kind_name(v.kind())).within("body"));
  if (auto keys = reject_unknown_keys(v, {"numa", "devices", "platform", "manages_devices"}, "a host report"); !keys)
    return std::move(keys).error();
  HostReport out;
  if (const ConfigValue* m = optional_member(v, "manages_devices")) {
    if (!m->is_bool()) return at(invalid("expected true, false or null, got " + m->to_json()), "manages_devices");
    out.manages_devices = m->as_bool();
  }
  if (const ConfigValue* platform = optional_member(v, "platform")) {
    auto parsed = parse_host_platform(*platform);
    if (!parsed) return at(std::move(parsed).error(), "platform");
    out.platform = std::move(*parsed);
  }
  if (const ConfigValue* numa = optional_member(v, "numa")) {
    auto cells = parse_numa_cells(*numa);
    if (!cells) return at(std::move(cells).error(), "numa");
    out.numa = std::move(*cells);
  }
  const ConfigValue* devices = v.find("devices");
  if (!devices || !devices->is_array()) return at(invalid("expected a list of devices"), "devices");
  for (size_t i = 0; i < devices->items().size(); ++i) {
    auto d = parse_reported_device(devices->items()[i]);
    if (!d) return std::move(std::move(d).error().within(idx(i)).within("devices"));
    out.devices.push_back(std::move(*d));
  }
  return out;
}

ConfigValue reported_device_value(const ReportedDevice& device) {
  const DeviceFacts& f = device.facts;
  auto number = [](const std::optional<uint32_t>& n) { return n ? ConfigValue::integer(*n) : ConfigValue::null(); };
  std::vector<ConfigValue::Member> m;
  m.emplace_back("address", ConfigValue::string(f.address.to_string()));
  m.emplace_back("vendor_id", ConfigValue::string(f.vendor_id.to_string()));
  m.emplace_back("product_id", ConfigValue::string(f.product_id.to_string()));
  if (f.class_code) {
    char cls[8];
    std::snprintf(cls, sizeof cls, "%06x", *f.class_code);
    m.emplace_back("class_code", ConfigValue::string(cls));
  } else {
    m.emplace_back("class_code", ConfigValue::null());
  }
  m.emplace_back("numa_node", number(f.numa_node));
  m.emplace_back("sriov_totalvfs", ConfigValue::integer(f.sriov_totalvfs));
  m.emplace_back("physfn", f.physfn ? ConfigValue::string(f.physfn->to_string()) : ConfigValue::null());
  m.emplace_back("devname", f.devname.empty() ? ConfigValue::null() : ConfigValue::string(f.devname));
  m.emplace_back("link", f.link ? ConfigValue::string(*f.link) : ConfigValue::null());
  m.emplace_back("iommu_group", number(f.iommu_group));
  m.emplace_back("fingerprint", device.fingerprint.empty() ? ConfigValue::null() : ConfigValue::string(device.fingerprint));
  m.emplace_back("host_use", f.host_use ? ConfigValue::string(*f.host_use) : ConfigValue::null());
  m.emplace_back("vfio_user", f.vfio_user ? ConfigValue::string(*f.vfio_user) : ConfigValue::null());
  m.emplace_back("group_viable", f.group_viable ? ConfigValue::boolean(*f.group_viable) : ConfigValue::null());
  m.emplace_back("attention", f.attention ? ConfigValue::string(*f.attention) : ConfigValue::null());
  return ConfigValue::object(std::move(m));
}

ConfigValue numa_cells_value(const std::optional<std::vector<NumaCellSpec>>& numa) {
  if (!numa) return ConfigValue::null();
  std::vector<ConfigValue> cells;
  for (const auto& c : *numa)
    cells.push_back(ConfigValue::object({{"id", ConfigValue::integer(c.id)},
                                         {"cpus", ConfigValue::integer(c.cpus)},
                                         {"memory_mb", ConfigValue::integer(static_cast<int64_t>(c.memory_mb))},
                                         {"socket", c.socket ? ConfigValue::integer(*c.socket) : ConfigValue::null()}}));
  return ConfigValue::array(std::move(cells));
}

ConfigValue host_report_value(const HostReport& report) {
  std::vector<ConfigValue> devices;
  for (const auto& d : report.devices) devices.push_back(reported_device_value(d));
  std::vector<ConfigValue::Member> m{{"numa", numa_cells_value(report.numa)},
                                     {"devices", ConfigValue::array(std::move(devices))},
                                     {"platform", host_platform_value(report.platform)}};
  if (report.manages_devices) m.emplace_back("manages_devices", ConfigValue::boolean(true));
  return ConfigValue::object(std::move(m));
}

}  // namespace pcipass
