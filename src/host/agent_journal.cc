#include "host/agent_journal.h"

#include <algorithm>

namespace pcipass {
namespace {

const char* phase_name(JournalPhase p) {
  switch (p) {
    case JournalPhase::Preparing: return "preparing";
    case JournalPhase::Prepared: return "prepared";
    case JournalPhase::Restoring: return "restoring";
  }
  return "preparing";
}

ConfigValue text_or_null(const std::optional<std::string>& s) { return s ? ConfigValue::string(*s) : ConfigValue::null(); }

Result<std::optional<std::string>> optional_text(const ConfigValue& v, const char* key) {
  const ConfigValue* m = v.find(key);
  if (!m || m->is_null()) return std::optional<std::string>();
  if (!m->is_string()) return std::move(invalid("expected a string or null").within(key));
  return std::optional<std::string>(m->as_string());
}

ConfigValue settings_value(const VfNetSettings& s) {
  return ConfigValue::object({{"mac", ConfigValue::string(s.mac)}, {"vlan", ConfigValue::integer(s.vlan)}});
}

Result<VfNetSettings> parse_settings(const ConfigValue& v) {
  const ConfigValue* mac = v.find("mac");
  const ConfigValue* vlan = v.find("vlan");
  if (!v.is_object() || !mac || !mac->is_string() || mac->as_string().size() != 17)
    return std::move(invalid("expected a MAC address").within("mac"));
  if (!vlan || !vlan->is_integer() || vlan->as_integer() < 0 || vlan->as_integer() > 4094)
    return std::move(invalid("expected a VLAN id from 0 to 4094").within("vlan"));
  return VfNetSettings{mac->as_string(), static_cast<uint16_t>(vlan->as_integer())};
}

Result<PreparedDevice> parse_device(const ConfigValue& v) {
  if (!v.is_object()) return invalid("a device must be an object");
  PreparedDevice d;
  const ConfigValue* a = v.find("address");
  if (!a || !a->is_string()) return std::move(invalid("expected a PCI address").within("address"));
  auto address = PciAddress::parse(a->as_string());
  if (!address) return std::move(std::move(address).error().within("address"));
  d.address = *address;
  const ConfigValue* t = v.find("type");
  if (!t || !t->is_string()) return std::move(invalid("expected type-PCI, type-PF or type-VF").within("type"));
  if (t->as_string() == "type-PF") d.type = DeviceType::Pf;
  else if (t->as_string() == "type-VF") d.type = DeviceType::Vf;
  else if (t->as_string() == "type-PCI") d.type = DeviceType::Pci;
  else return std::move(invalid("expected type-PCI, type-PF or type-VF, got " + quote(t->as_string())).within("type"));
  if (const ConfigValue* m = v.find("managed"); m && m->is_bool()) d.managed = m->as_bool();
  auto driver = optional_text(v, "driver");
  if (!driver) return std::move(driver).error();
  d.driver = *driver;
  auto override_ = optional_text(v, "driver_override");
  if (!override_) return std::move(override_).error();
  d.driver_override = *override_;
  if (const ConfigValue* g = v.find("iommu_group"); g && g->is_integer() && g->as_integer() >= 0)
    d.iommu_group = static_cast<uint32_t>(g->as_integer());
  if (const ConfigValue* n = v.find("numvfs")) {
    if (!n->is_integer() || n->as_integer() < 0 || n->as_integer() > 65535) return std::move(invalid("expected 0 to 65535").within("numvfs"));
    d.numvfs = static_cast<uint32_t>(n->as_integer());
  }
  if (const ConfigValue* p = v.find("autoprobe"); p && p->is_bool()) d.autoprobe = p->as_bool();
  auto pf_netdev = optional_text(v, "pf_netdev");
  if (!pf_netdev) return std::move(pf_netdev).error();
  d.pf_netdev = *pf_netdev;
  if (const ConfigValue* i = v.find("vf_index"); i && i->is_integer() && i->as_integer() >= 0) d.vf_index = static_cast<uint32_t>(i->as_integer());
  for (const char* key : {"vf_before", "vf_wanted"})
    if (const ConfigValue* s = v.find(key); s && !s->is_null()) {
      auto parsed = parse_settings(*s);
      if (!parsed) return std::move(std::move(parsed).error().within(key));
      (std::string(key) == "vf_before" ? d.vf_before : d.vf_wanted) = *parsed;
    }
  if (const ConfigValue* list = v.find("vf_settings"); list && list->is_array())
    for (size_t i = 0; i < list->items().size(); ++i) {
      auto parsed = parse_settings(list->items()[i]);
      if (!parsed) return std::move(std::move(parsed).error().within("[" + std::to_string(i) + "]").within("vf_settings"));
      d.vf_settings.push_back(*parsed);
    }
  return d;
}

}  // namespace

JournalEntry* AgentJournal::find(const std::string& server) {
  auto it = std::find_if(servers.begin(), servers.end(), [&](const JournalEntry& e) { return e.server == server; });
  return it == servers.end() ? nullptr : &*it;
}

const JournalEntry* AgentJournal::find(const std::string& server) const { return const_cast<AgentJournal*>(this)->find(server); }

void AgentJournal::erase(const std::string& server) {
  std::erase_if(servers, [&](const JournalEntry& e) { return e.server == server; });
}

ConfigValue journal_value(const AgentJournal& j) {
  std::vector<ConfigValue> servers;
  for (const auto& e : j.servers) {
    std::vector<ConfigValue> devices;
    for (const auto& d : e.devices)
      devices.push_back(ConfigValue::object({{"address", ConfigValue::string(d.address.to_string())},
                                             {"type", ConfigValue::string(nova_type_name(d.type))},
                                             {"managed", ConfigValue::boolean(d.managed)},
                                             {"driver", text_or_null(d.driver)},
                                             {"driver_override", text_or_null(d.driver_override)},
                                             {"iommu_group", d.iommu_group ? ConfigValue::integer(*d.iommu_group) : ConfigValue::null()},
                                             {"numvfs", ConfigValue::integer(d.numvfs)},
                                             {"autoprobe", ConfigValue::boolean(d.autoprobe)},
                                             {"pf_netdev", text_or_null(d.pf_netdev)},
                                             {"vf_index", d.vf_index ? ConfigValue::integer(*d.vf_index) : ConfigValue::null()},
                                             {"vf_before", d.vf_before ? settings_value(*d.vf_before) : ConfigValue::null()},
                                             {"vf_wanted", d.vf_wanted ? settings_value(*d.vf_wanted) : ConfigValue::null()},
                                             {"vf_settings", [&] {
                                                std::vector<ConfigValue> list;
                                                for (const auto& s : d.vf_settings) list.push_back(settings_value(s));
                                                return ConfigValue::array(std::move(list));
                                              }()}}));
    servers.push_back(ConfigValue::object({{"server", ConfigValue::string(e.server)},
                                           {"phase", ConfigValue::string(phase_name(e.phase))},
                                           {"devices", ConfigValue::array(std::move(devices))}}));
  }
  std::vector<ConfigValue::Member> attention;
  for (const auto& [a, why] : j.attention) attention.emplace_back(a.to_string(), ConfigValue::string(why));
  return ConfigValue::object({{"version", ConfigValue::integer(1)},
                              {"servers", ConfigValue::array(std::move(servers))},
                              {"attention", ConfigValue::object(std::move(attention))}});
}

Result<AgentJournal> parse_journal(const ConfigValue& v) {
  if (!v.is_object()) return invalid("the journal must be an object");
  if (const ConfigValue* ver = v.find("version"); !ver || !ver->is_integer() || ver->as_integer() != 1)
    return std::move(invalid("expected version 1 (a journal from another pcipass?)").within("version"));
  AgentJournal j;
  const ConfigValue* servers = v.find("servers");
  if (!servers || !servers->is_array()) return std::move(invalid("expected a list").within("servers"));
  for (size_t i = 0; i < servers->items().size(); ++i) {
    const ConfigValue& e = servers->items()[i];
    auto here = [&](Error err) { return std::move(err.within("[" + std::to_string(i) + "]").within("servers")); };
    if (!e.is_object()) return here(invalid("an entry must be an object"));
    JournalEntry entry;
    const ConfigValue* name = e.find("server");
    if (!name || !name->is_string() || name->as_string().empty()) return here(std::move(invalid("expected a server id").within("server")));
    entry.server = name->as_string();
    const ConfigValue* phase = e.find("phase");
    const std::string p = phase && phase->is_string() ? phase->as_string() : "";
    if (p == "preparing") entry.phase = JournalPhase::Preparing;
    else if (p == "prepared") entry.phase = JournalPhase::Prepared;
    else if (p == "restoring") entry.phase = JournalPhase::Restoring;
    else return here(std::move(invalid("expected preparing, prepared or restoring").within("phase")));
    const ConfigValue* devices = e.find("devices");
    if (!devices || !devices->is_array()) return here(std::move(invalid("expected a list").within("devices")));
    for (size_t k = 0; k < devices->items().size(); ++k) {
      auto d = parse_device(devices->items()[k]);
      if (!d) return here(std::move(std::move(d).error().within("[" + std::to_string(k) + "]").within("devices")));
      entry.devices.push_back(std::move(*d));
    }
    j.servers.push_back(std::move(entry));
  }
  if (const ConfigValue* att = v.find("attention")) {
    if (!att->is_object()) return std::move(invalid("expected an object of address: reason").within("attention"));
    for (const auto& [k, why] : att->members()) {
      auto a = PciAddress::parse(k);
      if (!a || !why.is_string()) return std::move(invalid("expected a PCI address and a reason").within(k).within("attention"));
      j.attention[*a] = why.as_string();
    }
  }
  return j;
}

}  // namespace pcipass
