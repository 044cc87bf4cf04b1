#include "server/inventory_json.h"

#include <cstdio>

#include "core/hex.h"

namespace pcipass::server {

Json device_facts_json(const StoredDevice& d) {
  const auto& f = d.facts;
  Json j;
  j["address"] = f.address.to_string();
  j["vendor_id"] = f.vendor_id.to_string();
  j["product_id"] = f.product_id.to_string();
  if (f.class_code) {
    char cls[8];
    std::snprintf(cls, sizeof cls, "%06x", *f.class_code);
    j["class_code"] = cls;
  } else {
    j["class_code"] = nullptr;
  }
  j["numa_node"] = f.numa_node ? Json(*f.numa_node) : Json(nullptr);
  j["sriov_totalvfs"] = f.sriov_totalvfs;
  j["physfn"] = f.physfn ? Json(f.physfn->to_string()) : Json(nullptr);
  j["devname"] = f.devname;
  j["iommu_group"] = f.iommu_group ? Json(*f.iommu_group) : Json(nullptr);
  j["fingerprint"] = d.fingerprint;
  return j;
}

Json inventory_json(const HostRecord& h) {
  Json j;
  if (h.numa) {
    j["numa"] = Json::array();
    for (const auto& c : *h.numa)
      j["numa"].push_back({{"id", c.id}, {"cpus", c.cpus}, {"memory_mb", c.memory_mb}, {"socket", c.socket ? Json(*c.socket) : Json(nullptr)}});
  } else {
    j["numa"] = nullptr;
  }
  j["devices"] = Json::array();
  for (const auto& d : h.devices) j["devices"].push_back(device_facts_json(d));
  return j;
}

Result<HostRecord> parse_inventory(const Json& body, const std::string& host_name) {
  HostRecord h;
  h.name = host_name;
  Fields top(body, "");
  if (auto st = top.is_object(); !st) return std::move(st).error();
  const Json& numa = top.raw("numa");
  if (!numa.is_null()) {
    if (!numa.is_array()) return std::move(invalid("expected a list of NUMA cells or null").within("numa"));
    h.numa = std::vector<NumaCellSpec>{};
    for (size_t i = 0; i < numa.size(); ++i) {
      Fields c(numa[i], "numa[" + std::to_string(i) + "]");
      if (auto st = c.is_object(); !st) return std::move(st).error();
      NumaCellSpec cell;
      PCIPASS_TRY(id, c.unsigned_int("id", 65535));
      PCIPASS_TRY(cpus, c.unsigned_int("cpus", 1u << 20));
      PCIPASS_TRY(mem, c.unsigned_int("memory_mb", uint64_t{1} << 40));
      PCIPASS_TRY(socket, c.optional_unsigned("socket", 65535));
      if (auto st = c.no_unknown_fields(); !st) return std::move(st).error();
      cell.id = static_cast<uint32_t>(id);
      cell.cpus = static_cast<uint32_t>(cpus);
      cell.memory_mb = mem;
      if (socket) cell.socket = static_cast<uint32_t>(*socket);
      for (const auto& other : *h.numa)
        if (other.id == cell.id) return std::move(invalid("NUMA cell " + std::to_string(cell.id) + " is given twice").within(c.path("id")));
      h.numa->push_back(cell);
    }
  }
  const Json& devices = top.raw("devices");
  if (!devices.is_array()) return std::move(invalid("expected a list of devices").within("devices"));
  if (auto st = top.no_unknown_fields(); !st) return std::move(st).error();
  for (size_t i = 0; i < devices.size(); ++i) {
    Fields d(devices[i], "devices[" + std::to_string(i) + "]");
    if (auto st = d.is_object(); !st) return std::move(st).error();
    StoredDevice out;
    auto& f = out.facts;
    PCIPASS_TRY(address, d.string("address"));
    auto a = PciAddress::parse(address);
    if (!a) return std::move(std::move(a).error().within(d.path("address")));
    f.address = *a;
    for (auto [key, target] : {std::pair{"vendor_id", &f.vendor_id}, std::pair{"product_id", &f.product_id}}) {
      PCIPASS_TRY(text, d.string(key));
      auto id = PciId::parse(text);
      if (!id) return std::move(std::move(id).error().within(d.path(key)));
      *target = *id;
    }
    PCIPASS_TRY(cls, d.optional_string("class_code"));
    if (cls) {
      auto v = parse_hex_exact(*cls, 0xffffff);
      if (!v) return std::move(invalid("expected a 24-bit hex class code such as \"020000\"").within(d.path("class_code")));
      f.class_code = static_cast<uint32_t>(*v);
    }
    PCIPASS_TRY(node, d.optional_unsigned("numa_node", 65535));
    if (node) f.numa_node = static_cast<uint32_t>(*node);
    PCIPASS_TRY(total, d.optional_unsigned("sriov_totalvfs", 65535));
    f.sriov_totalvfs = static_cast<uint32_t>(total.value_or(0));
    PCIPASS_TRY(physfn, d.optional_string("physfn"));
    if (physfn) {
      auto pf = PciAddress::parse(*physfn);
      if (!pf) return std::move(std::move(pf).error().within(d.path("physfn")));
      f.physfn = *pf;
    }
    PCIPASS_TRY(devname, d.optional_string("devname"));
    f.devname = devname.value_or("");
    PCIPASS_TRY(group, d.optional_unsigned("iommu_group", 0xffffffffu));
    if (group) f.iommu_group = static_cast<uint32_t>(*group);
    PCIPASS_TRY(print, d.optional_string("fingerprint"));
    out.fingerprint = print.value_or("");
    if (auto st = d.no_unknown_fields(); !st) return std::move(st).error();
    h.devices.push_back(std::move(out));
  }
  return h;
}

}  // namespace pcipass::server
