#include "core/alias.h"

#include <algorithm>

#include "core/device_spec.h"
#include "core/hex.h"

namespace pcipass {

const char* to_string(NumaPolicy policy) {
  switch (policy) {
    case NumaPolicy::Legacy: return "legacy";
    case NumaPolicy::Required: return "required";
    case NumaPolicy::Preferred: return "preferred";
    case NumaPolicy::Socket: return "socket";
  }
  return "legacy";
}

std::optional<NumaPolicy> parse_numa_policy(std::string_view text) {
  if (text == "legacy") return NumaPolicy::Legacy;
  if (text == "required") return NumaPolicy::Required;
  if (text == "preferred") return NumaPolicy::Preferred;
  if (text == "socket") return NumaPolicy::Socket;
  return std::nullopt;
}

bool Alias::admits(PciId vendor, PciId product, DeviceType type,
                   const std::optional<std::string>& live_migratable) const {
  if (device_type ? *device_type != type : type == DeviceType::Pf) return false;
  for (const auto& s : specs) {
    if (s.vendor_id != vendor || s.product_id != product) continue;
    if (s.live_migratable) {
      const char* want = *s.live_migratable ? "true" : "false";
      if (!live_migratable || *live_migratable != want) continue;
    }
    return true;
  }
  return false;
}

namespace {

struct ParsedEntry {
  std::string name;
  AliasSpec spec;
  std::optional<DeviceType> device_type;
  std::optional<NumaPolicy> numa_policy;
};

Result<PciId> parse_alias_id(const ConfigValue& v) {
  auto id = v.is_string() ? PciId::parse(v.as_string()) : Result<PciId>(invalid(""));
  if (!id) return invalid("must be exactly 4 hex digits, got " + v.to_json());
  return *id;
}

Result<ParsedEntry> parse_entry(const ConfigValue& v, std::vector<std::string>& warnings) {
  if (!v.is_object()) return invalid(std::string("an alias must be an object, got ") + kind_name(v.kind()));
  auto keys = reject_unknown_keys(v, {"name", "vendor_id", "product_id", "device_type", "numa_policy",
                                      "capability_type", "resource_class", "traits", "live_migratable"},
                                  "alias");
  if (!keys) return std::move(keys).error();
  ParsedEntry e;
  const ConfigValue* name = v.find("name");
  if (!name) return invalid("alias has no name");
  if (!name->is_string()) return std::move(invalid("alias name must be a string").within("name"));
  e.name = std::string(trim(name->as_string()));
  if (e.name.empty() || e.name.size() > 256)
    return std::move(invalid("alias name must be 1 to 256 characters").within("name"));
  const ConfigValue* vendor = v.find("vendor_id");
  const ConfigValue* product = v.find("product_id");
  if (!vendor || !product)
    return invalid("The PCI alias " + e.name + " does not have vendor_id and product_id fields set (both are required)");
  auto vid = parse_alias_id(*vendor);
  if (!vid) return std::move(std::move(vid).error().within("vendor_id"));
  auto pid = parse_alias_id(*product);
  if (!pid) return std::move(std::move(pid).error().within("product_id"));
  e.spec.vendor_id = *vid;
  e.spec.product_id = *pid;
  if (const ConfigValue* t = v.find("device_type")) {
    std::string s = t->is_string() ? t->as_string() : "";
    if (s == "type-PCI") e.device_type = DeviceType::Pci;
    else if (s == "type-PF") e.device_type = DeviceType::Pf;
    else if (s == "type-VF") e.device_type = DeviceType::Vf;
    else return std::move(invalid("must be one of type-PCI, type-PF, type-VF, got " + t->to_json()).within("device_type"));
  } else {
    warnings.push_back("alias " + quote(e.name) + " has no device_type: like Nova it matches type-PCI and type-VF "
                       "devices but never a PF");
  }
  if (const ConfigValue* p = v.find("numa_policy")) {
    auto policy = p->is_string() ? parse_numa_policy(p->as_string()) : std::nullopt;
    if (!policy) return std::move(invalid("must be one of required, legacy, preferred, socket, got " + p->to_json()).within("numa_policy"));
    e.numa_policy = policy;
  }
  if (const ConfigValue* c = v.find("capability_type")) {
    return std::move(invalid("capability_type " + c->to_json() + " is rejected: in Nova an alias with capability_type "
                             "never matches any device; remove the key").within("capability_type"));
  }
  if (const ConfigValue* lm = v.find("live_migratable")) {
    std::optional<bool> b;
    if (lm->is_bool()) b = lm->as_bool();
    else if (lm->is_string()) b = parse_bool_like(lm->as_string());
    if (!b) return std::move(invalid("expected a boolean (yes/no/true/false), got " + lm->to_json()).within("live_migratable"));
    e.spec.live_migratable = b;
  }
  for (const char* key : {"resource_class", "traits"}) {
    if (const ConfigValue* x = v.find(key)) {
      if (!x->is_string()) return std::move(invalid("expected a string").within(key));
      warnings.push_back("alias " + quote(e.name) + ": " + key + " is used only for Placement scheduling, which "
                         "pcipass does not do; matching uses vendor_id and product_id");
    }
  }
  return e;
}

}  // namespace

Result<AliasTable> AliasTable::parse(const ConfigValue& list, std::vector<std::string>& warnings) {
  if (!list.is_array()) return invalid(std::string("alias must be a list, got ") + kind_name(list.kind()));
  AliasTable table;
  for (size_t i = 0; i < list.items().size(); ++i) {
    const std::string where = "[" + std::to_string(i) + "]";
    auto entry = parse_entry(list.items()[i], warnings);
    if (!entry) return std::move(std::move(entry).error().within(where));
    auto existing = std::find_if(table.aliases_.begin(), table.aliases_.end(),
                                 [&](const Alias& a) { return a.name == entry->name; });
    if (existing == table.aliases_.end()) {
      Alias a;
      a.name = entry->name;
      a.specs.push_back(entry->spec);
      a.device_type = entry->device_type;
      a.numa_policy = entry->numa_policy;
      a.source_indexes.push_back(i);
      table.aliases_.push_back(std::move(a));
      continue;
    }
    const std::string first = "alias[" + std::to_string(existing->source_indexes.front()) + "]";
    if (!existing->device_type || !entry->device_type)
      return std::move(invalid("alias " + quote(entry->name) + " is defined more than once, so every definition must "
                               "set device_type (Nova fails with PciInvalidAlias: 'dev_type'); see also " + first).within(where));
    if (*existing->device_type != *entry->device_type)
      return std::move(invalid(std::string("Device type mismatch for alias '") + entry->name + "': " +
                               nova_type_name(*entry->device_type) + " here, " + nova_type_name(*existing->device_type) +
                               " in " + first).within(where));
    if (existing->numa_policy != entry->numa_policy) {
      auto show = [](const std::optional<NumaPolicy>& p) { return p ? std::string(to_string(*p)) : std::string("unset"); };
      return std::move(invalid("NUMA policy mismatch for alias '" + entry->name + "': " + show(entry->numa_policy) +
                               " here, " + show(existing->numa_policy) + " in " + first).within(where));
    }
    existing->specs.push_back(entry->spec);
    existing->source_indexes.push_back(i);
  }
  return table;
}

const Alias* AliasTable::find(std::string_view name) const {
  for (const auto& a : aliases_)
    if (a.name == name) return &a;
  return nullptr;
}

std::optional<size_t> AliasTable::index_of(std::string_view name) const {
  for (size_t i = 0; i < aliases_.size(); ++i)
    if (aliases_[i].name == name) return i;
  return std::nullopt;
}

}  // namespace pcipass
