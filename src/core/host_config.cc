#include "core/host_config.h"

#include <map>
#include <set>

namespace pcipass {

std::string PassthroughWanted::describe() const {
  if (address) return address->to_string();
  return ids->first.to_string() + ":" + ids->second.to_string();
}

namespace {

Error at(Error e, std::initializer_list<std::string> path) {
  for (auto it = std::rbegin(path); it != std::rend(path); ++it) e.within(*it);
  return e;
}

Result<PciAddress> full_address(const ConfigValue& v) {
  auto text = read_string(v);
  if (!text) return std::move(text).error();
  auto a = PciAddress::parse(*text);
  if (!a) return invalid(a.error().message() + "; short addresses are ambiguous across PCI domains and are not accepted");
  return *a;
}

}  // namespace

Result<HostConfig> parse_host_config(const ConfigValue& root) {
  if (!root.is_object()) return invalid(std::string("a host config must be a JSON object, got ") + kind_name(root.kind()));
  auto keys = reject_unknown_keys(root, {"format", "sriov", "passthrough", "fixed", "persist", "driverctl", "force", "vfio"}, "a host config");
  if (!keys) return std::move(keys).error();
  const ConfigValue* format = root.find("format");
  if (!format || !format->is_string() || format->as_string() != kHostConfigFormat)
    return at(invalid("expected \"" + std::string(kHostConfigFormat) + "\""), {"format"});
  HostConfig c;
  for (auto [flag, field] : {std::pair{"persist", &c.persist}, std::pair{"driverctl", &c.driverctl}, std::pair{"force", &c.force}})
    if (const ConfigValue* v = root.find(flag)) {
      auto b = read_bool(*v);
      if (!b) return at(std::move(b).error(), {flag});
      *field = *b;
    }
  if (const ConfigValue* vfio = root.find("vfio")) {
    if (!vfio->is_object()) return at(invalid("expected an object with group and mode"), {"vfio"});
    auto k = reject_unknown_keys(*vfio, {"group", "mode"}, "vfio");
    if (!k) return at(std::move(k).error(), {"vfio"});
    if (const ConfigValue* g = vfio->find("group")) {
      auto s = read_string(*g);
      if (!s || s->empty() || s->find_first_of(" \"\n") != std::string::npos)
        return at(invalid("expected a group name"), {"vfio", "group"});
      c.vfio_group = *s;
    }
    if (const ConfigValue* m = vfio->find("mode")) {
      auto s = read_string(*m);
      if (!s || s->size() != 4 || s->find_first_not_of("01234567") != std::string::npos)
        return at(invalid("expected an octal mode like \"0660\""), {"vfio", "mode"});
      c.vfio_mode = *s;
    }
  }
  // PFs whose mode pcipass never changes: no VF count set, never bound whole while they have VFs.
  std::map<PciAddress, size_t> fixed_at;
  if (const ConfigValue* list = root.find("fixed")) {
    if (!list->is_array()) return at(invalid("expected a list of PF addresses"), {"fixed"});
    for (size_t i = 0; i < list->items().size(); ++i) {
      const std::string idx = "[" + std::to_string(i) + "]";
      auto a = full_address(list->items()[i]);
      if (!a) return at(std::move(a).error(), {"fixed", idx});
      if (!fixed_at.emplace(*a, i).second) return at(invalid(a->to_string() + " is listed twice"), {"fixed", idx});
      c.fixed.push_back(*a);
    }
  }
  std::set<PciAddress> pfs;
  if (const ConfigValue* list = root.find("sriov")) {
    if (!list->is_array()) return at(invalid("expected a list"), {"sriov"});
    for (size_t i = 0; i < list->items().size(); ++i) {
      const ConfigValue& e = list->items()[i];
      const std::string idx = "[" + std::to_string(i) + "]";
      if (!e.is_object()) return at(invalid("expected an object with pf and vfs"), {"sriov", idx});
      auto k = reject_unknown_keys(e, {"pf", "vfs", "autoprobe"}, "an sriov entry");
      if (!k) return at(std::move(k).error(), {"sriov", idx});
      SriovWanted w;
      const ConfigValue* pf = e.find("pf");
      if (!pf) return at(invalid("missing pf"), {"sriov", idx});
      auto a = full_address(*pf);
      if (!a) return at(std::move(a).error(), {"sriov", idx, "pf"});
      if (!pfs.insert(*a).second) return at(invalid(a->to_string() + " is listed twice"), {"sriov", idx, "pf"});
      if (auto f = fixed_at.find(*a); f != fixed_at.end())
        return at(invalid(a->to_string() + " is declared fixed (fixed[" + std::to_string(f->second) +
                          "]): pcipass never changes its VF count"),
                  {"sriov", idx, "pf"});
      w.pf = *a;
      const ConfigValue* vfs = e.find("vfs");
      if (!vfs) return at(invalid("missing vfs"), {"sriov", idx});
      auto n = read_integer(*vfs, 0, 65535);
      if (!n) return at(std::move(n).error(), {"sriov", idx, "vfs"});
      w.vfs = static_cast<uint32_t>(*n);
      if (const ConfigValue* ap = e.find("autoprobe")) {
        auto b = read_bool(*ap);
        if (!b) return at(std::move(b).error(), {"sriov", idx, "autoprobe"});
        w.autoprobe = *b;
      }
      c.sriov.push_back(w);
    }
  }
  if (const ConfigValue* list = root.find("passthrough")) {
    if (!list->is_array()) return at(invalid("expected a list"), {"passthrough"});
    for (size_t i = 0; i < list->items().size(); ++i) {
      const ConfigValue& e = list->items()[i];
      const std::string idx = "[" + std::to_string(i) + "]";
      if (!e.is_object()) return at(invalid("expected an object with address, or vendor_id and product_id"), {"passthrough", idx});
      auto k = reject_unknown_keys(e, {"address", "vendor_id", "product_id"}, "a passthrough entry");
      if (!k) return at(std::move(k).error(), {"passthrough", idx});
      PassthroughWanted w;
      const ConfigValue* address = e.find("address");
      const ConfigValue* vendor = e.find("vendor_id");
      const ConfigValue* product = e.find("product_id");
      if (address && (vendor || product))
        return at(invalid("give either address or vendor_id and product_id, not both"), {"passthrough", idx});
      if (address) {
        auto a = full_address(*address);
        if (!a) return at(std::move(a).error(), {"passthrough", idx, "address"});
        w.address = *a;
      } else {
        if (!vendor || !product) return at(invalid("needs address, or both vendor_id and product_id"), {"passthrough", idx});
        auto v = vendor->is_string() ? PciId::parse(vendor->as_string()) : Result<PciId>(invalid("expected 4 hex digits"));
        if (!v) return at(std::move(v).error(), {"passthrough", idx, "vendor_id"});
        auto p = product->is_string() ? PciId::parse(product->as_string()) : Result<PciId>(invalid("expected 4 hex digits"));
        if (!p) return at(std::move(p).error(), {"passthrough", idx, "product_id"});
        w.ids = std::make_pair(*v, *p);
      }
      c.passthrough.push_back(w);
    }
  }
  return c;
}

}  // namespace pcipass
