#include "core/alias.h"

#include <set>

#include <algorithm>
#include <cctype>

#include "core/device_spec.h"
#include "core/hex.h"

namespace pcipass {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Nova compares request values with pool tags case-insensitively.
bool has_tag(const std::vector<Tag>& tags, std::string_view key, std::string_view value) {
  for (const auto& t : tags)
    if (t.key == key) return t.value && lower(*t.value) == value;
  return false;
}

// Characters, as jsonschema counts a string's length (UTF-8 continuation bytes do not count).
size_t code_points(std::string_view s) {
  return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

}  // namespace

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

bool Alias::admits(PciId vendor, PciId product, DeviceType type, const std::optional<std::string>& live_migratable,
                   const std::vector<Tag>& tags) const {
  if (device_type ? *device_type != type : type == DeviceType::Pf) return false;
  for (const auto& s : specs) {
    if (s.never) continue;
    if ((s.vendor_id && *s.vendor_id != vendor) || (s.product_id && *s.product_id != product)) continue;
    if (s.live_migratable) {
      const char* want = *s.live_migratable ? "true" : "false";
      if (!live_migratable || *live_migratable != want) continue;
    }
    if (s.capability_type && !has_tag(tags, "capability_type", *s.capability_type)) continue;
    if (s.physical_network && !has_tag(tags, "physical_network", *s.physical_network)) continue;
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

// Nova's pattern ^[0-9a-fA-F]{4}$ under re.search also lets "8086\n" through (Python's
// $ matches before a final newline); such an id then equals no device's id.
Result<PciId> parse_alias_id(const ConfigValue& v, std::optional<std::string>& never, std::string_view key) {
  if (v.is_string()) {
    std::string_view text = v.as_string();
    const bool newline = text.size() == 5 && text.back() == '\n';
    if (newline) text.remove_suffix(1);
    if (auto id = PciId::parse(text)) {
      if (newline && !never)
        never = std::string(key) + " " + v.to_json() + " ends in a newline, so (as in Nova) it equals no device's id";
      return *id;
    }
  }
  return invalid("must be exactly 4 hex digits, got " + v.to_json());
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
  // Nova checks the length before it strips the name.
  const size_t length = code_points(name->as_string());
  if (length == 0 || length > 256) return std::move(invalid("alias name must be 1 to 256 characters").within("name"));
  e.name = std::string(trim(name->as_string()));
  const std::string shown = e.name.empty() ? name->to_json() : quote(e.name);
  if (e.name.empty())
    warnings.push_back("alias " + shown + " has a name of only spaces, which Nova strips to nothing: no flavor "
                       "can ask for it");
  for (const char* key : {"vendor_id", "product_id"}) {
    const ConfigValue* id = v.find(key);
    if (!id) {
      warnings.push_back("alias " + shown + " has no " + key + ": like Nova 26 it matches devices of any " +
                         (std::string_view(key) == "vendor_id" ? "vendor" : "product") +
                         " that a device_spec admits (Nova 2025.2 refuses such an alias)");
      continue;
    }
    auto parsed = parse_alias_id(*id, e.spec.never, key);
    if (!parsed) return std::move(std::move(parsed).error().within(key));
    (std::string_view(key) == "vendor_id" ? e.spec.vendor_id : e.spec.product_id) = *parsed;
  }
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
    if (!c->is_string() || c->as_string() != "pci")
      return std::move(invalid("must be \"pci\" (the only value Nova allows), got " + c->to_json()).within("capability_type"));
    e.spec.capability_type = "pci";
    warnings.push_back("alias " + shown + ": capability_type is no device property; as in Nova, this alternative "
                       "matches only devices whose device_spec entry has the tag \"capability_type\": \"pci\"");
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

namespace {
// Nova: an alias without numa_policy has the legacy one.
NumaPolicy effective(const std::optional<NumaPolicy>& p) { return p.value_or(NumaPolicy::Legacy); }
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
      if (a.name.empty()) a.unusable = "its name is empty after Nova strips the spaces, so no flavor can ask for it";
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
    if (effective(existing->numa_policy) != effective(entry->numa_policy)) {
      auto show = [](const std::optional<NumaPolicy>& p) { return p ? std::string(to_string(*p)) : std::string("unset"); };
      return std::move(invalid("NUMA policy mismatch for alias '" + entry->name + "': " + show(entry->numa_policy) +
                               " here, " + show(existing->numa_policy) + " in " + first).within(where));
    }
    existing->specs.push_back(entry->spec);
    existing->source_indexes.push_back(i);
  }
  return table;
}

void AliasTable::mark_unusable(const DeviceSpecList& specs, std::vector<std::string>& warnings) {
  // Whether some device_spec entry that can admit a device tags it key=value.
  auto tagged = [&](std::string_view key, std::string_view value) {
    return std::any_of(specs.specs().begin(), specs.specs().end(), [&](const DeviceSpec& s) {
      if (s.never_matches()) return false;
      auto v = s.tag(key);
      return v && lower(*v) == value;
    });
  };
  for (auto& a : aliases_) {
    if (a.unusable) {
      warnings.push_back("alias " + quote(a.name) + " is unusable: " + *a.unusable);
      continue;
    }
    if (specs.empty()) continue;  // nothing is allow-listed at all: not this alias's fault
    std::vector<std::string> reasons;
    for (const auto& s : a.specs) {
      if (s.never) reasons.push_back(*s.never);
      else if (s.capability_type && !tagged("capability_type", *s.capability_type))
        reasons.push_back("capability_type \"" + *s.capability_type + "\" is a tag no device_spec entry has");
      else if (s.live_migratable && !tagged("live_migratable", *s.live_migratable ? "true" : "false"))
        reasons.push_back(std::string("live_migratable ") + (*s.live_migratable ? "true" : "false") +
                          " is a tag no device_spec entry has");
    }
    if (reasons.size() < a.specs.size()) continue;
    std::string why;
    for (const auto& r : reasons) why += (why.empty() ? "" : "; ") + r;
    a.unusable = "no device can match it: " + why;
    warnings.push_back("alias " + quote(a.name) + " is unusable: " + *a.unusable);
  }
}

const Alias* AliasTable::find(std::string_view name) const {
  for (const auto& a : aliases_)
    if (a.name == name) return &a;
  return nullptr;
}

std::string port_alias_name(bool whole_pf, const std::string& physical_network) {
  return std::string(whole_pf ? "port direct-physical on " : "port direct on ") + physical_network;
}

void AliasTable::add_port_aliases(const DeviceSpecList& specs) {
  std::set<std::string> networks;
  for (const DeviceSpec& spec : specs.specs())
    for (const Tag& t : spec.pool_tags())
      if (t.key == "physical_network" && t.value && !t.value->empty()) networks.insert(*t.value);
  for (const std::string& net : networks)
    for (bool pf : {false, true}) {
      Alias a;
      a.name = port_alias_name(pf, net);
      AliasSpec any;
      any.physical_network = net;
      a.specs.push_back(any);
      a.device_type = pf ? DeviceType::Pf : DeviceType::Vf;
      a.for_ports = true;
      if (!index_of(a.name)) aliases_.push_back(std::move(a));
    }
}

std::optional<size_t> AliasTable::index_of(std::string_view name) const {
  for (size_t i = 0; i < aliases_.size(); ++i)
    if (aliases_[i].name == name) return i;
  return std::nullopt;
}

}  // namespace pcipass
