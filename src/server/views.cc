#include "server/views.h"

#include "adapters/json/config_value_json.h"
#include "adapters/libvirt_xml/libvirt_xml.h"
#include "core/host_report.h"

namespace pcipass::server {
namespace {

constexpr const char* kApiVersion = "1.0";

template <class T>
Json or_null(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

// A project on the wire: null for the operators' own.
Json project_or_null(const std::string& project) { return project.empty() ? Json(nullptr) : Json(project); }

}  // namespace

Json summary_json(const HostSummary& h) {
  return {{"name", h.name},
          {"devices", h.devices},
          {"allow_listed", h.allow_listed},
          {"free", h.free},
          {"vcpus_used", h.vcpus_used},
          {"memory_mb_used", h.memory_mb_used},
          {"vcpus", or_null(h.vcpus)},
          {"memory_mb", or_null(h.memory_mb)},
          {"locked", h.locked},
          {"blocked", or_null(h.blocked)}};
}

namespace {

// A device's facts as its host reported them, in the report's own format.
Json device_facts_json(const StoredDevice& d) { return to_json(reported_device_value({d.facts, d.fingerprint})); }

Json addresses(const std::vector<PciAddress>& list) {
  Json out = Json::array();
  for (const auto& a : list) out.push_back(a.to_string());
  return out;
}

}  // namespace

Json version_json(size_t hosts) { return {{"name", "pcipass"}, {"api_version", kApiVersion}, {"hosts", hosts}}; }

Json report_json(const ReportResult& r) {
  Json notes = Json::array();
  for (const auto& n : r.notes) notes.push_back(n);
  return {{"host", r.host}, {"generation", r.generation}, {"notes", notes}};
}

Json hosts_json(const std::vector<HostSummary>& hosts) {
  Json out = Json::array();
  for (const auto& h : hosts) out.push_back(summary_json(h));
  return {{"hosts", out}};
}

Json host_json(const HostDetail& host) {
  Json j = summary_json(host.summary);
  j["generation"] = host.generation;
  if (host.numa) {
    Json cells = Json::array();
    for (const auto& c : *host.numa)
      cells.push_back({{"id", c.id}, {"cpus", or_null(c.cpus)}, {"memory_mb", or_null(c.memory_mb)}, {"vcpus_used", c.vcpus_used},
                       {"memory_mb_used", c.memory_mb_used}, {"free_devices", c.free_devices}});
    j["numa"] = cells;
  } else {
    j["numa"] = nullptr;
  }
  j["devices"] = devices_json(host.devices)["devices"];
  j["problems"] = host.problems;
  j["config_findings"] = host.config_findings;
  j["platform"] = to_json(host_platform_value(host.platform));
  return j;
}

Json device_json(const DeviceView& d) {
  if (d.last_seen) {  // vanished: as its host last reported it
    Json g = device_facts_json(*d.last_seen);
    g["host"] = d.host;
    g["status"] = to_string(d.status);
    g["owner"] = or_null(d.owner);
    return g;
  }
  Json j{{"host", d.host}, {"address", d.address.to_string()}, {"vendor_id", d.vendor_id.to_string()},
         {"product_id", d.product_id.to_string()}, {"type", nova_type_name(d.type)}};
  j["numa_node"] = or_null(d.numa_node);
  j["status"] = to_string(d.status);
  j["owner"] = or_null(d.owner);
  if (!d.reason.empty()) j["reason"] = d.reason;
  if (d.detail) {
    Json tags = Json::object();
    for (const auto& [k, v] : d.detail->tags) tags[k] = or_null(v);
    j["tags"] = tags;
  }
  j["aliases"] = d.aliases;
  if (d.physfn) j["physfn"] = d.physfn->to_string();
  if (d.fixed) j["fixed"] = "its mode is never changed (pcipass_fixed in device_spec)";
  if (!d.problems.empty()) j["problems"] = d.problems;
  if (!d.detail) return j;
  j["vfs"] = addresses(d.detail->vfs);
  if (d.detail->vfs_in_use) j["vfs_in_use"] = *d.detail->vfs_in_use;
  if (d.detail->sriov_numvfs) j["sriov_numvfs"] = *d.detail->sriov_numvfs;  // VFs enabled now (reported)
  if (const auto& g = d.detail->iommu_group)
    j["iommu_group"] = {{"number", g->number}, {"endpoints", addresses(g->endpoints)}, {"assignable", g->assignable}};
  if (d.detail->reported) {
    Json facts = device_facts_json(*d.detail->reported);
    j["class_code"] = facts["class_code"];
    j["devname"] = facts["devname"];
    j["fingerprint"] = facts["fingerprint"];
    if (d.detail->reported->facts.sriov_totalvfs > 0) j["sriov_totalvfs"] = d.detail->reported->facts.sriov_totalvfs;
  }
  return j;
}

Json devices_json(const std::vector<DeviceView>& devices) {
  Json out = Json::array();
  for (const auto& d : devices) out.push_back(device_json(d));
  return {{"devices", out}};
}

Json aliases_json(const std::vector<Alias>& aliases) {
  Json out = Json::array();
  for (const auto& a : aliases) {
    Json specs = Json::array();
    for (const auto& s : a.specs) {
      Json spec{{"vendor_id", s.vendor_id ? Json(s.vendor_id->to_string()) : Json("*")},
                {"product_id", s.product_id ? Json(s.product_id->to_string()) : Json("*")}};
      if (s.live_migratable) spec["live_migratable"] = *s.live_migratable;
      if (s.capability_type) spec["capability_type"] = *s.capability_type;
      if (s.never) spec["matches_nothing"] = *s.never;
      specs.push_back(spec);
    }
    out.push_back({{"name", a.name},
                   {"device_type", a.device_type ? Json(nova_type_name(*a.device_type)) : Json(nullptr)},
                   {"numa_policy", a.numa_policy ? Json(to_string(*a.numa_policy)) : Json(nullptr)},
                   {"specs", specs},
                   {"usable", !a.unusable},
                   {"unusable_reason", a.unusable ? Json(*a.unusable) : Json(nullptr)}});
  }
  return {{"aliases", out}};
}

Json config_json(const ConfigSummary& c) {
  return {{"config_file", or_null(c.source)}, {"device_spec_entries", c.device_spec_entries}, {"aliases", c.aliases}, {"warnings", c.warnings}};
}

Json flavor_json(const FlavorRecord& f) {
  Json specs = Json::object();
  for (const auto& [k, v] : f.extra_specs) specs[k] = v;
  return {{"name", f.name}, {"vcpus", f.vcpus}, {"memory_mb", f.memory_mb}, {"disk_gb", f.disk_gb}, {"extra_specs", specs}};
}

Json flavors_json(const std::vector<FlavorRecord>& flavors) {
  Json out = Json::array();
  for (const auto& f : flavors) out.push_back(flavor_json(f));
  return {{"flavors", out}};
}

Result<Json> server_json(const ServerView& s) {
  Json devices = Json::array();
  std::vector<PassthroughDevice> passthrough;
  for (const auto& d : s.devices) {
    if (d.vanished) {
      devices.push_back({{"address", d.address.to_string()}, {"type", nova_type_name(d.type)}, {"vanished", true}});
      continue;
    }
    PassthroughDevice p;
    p.address = d.address;
    p.managed = d.managed;
    p.network_interface = d.network_interface;
    if (d.network_interface) {
      p.mac = d.mac;
      p.vlan = d.port ? d.vlan : s.vlan;  // a port's VF: its network's VLAN
    }
    passthrough.push_back(p);
    Json dj{{"address", d.address.to_string()}, {"type", nova_type_name(d.type)}, {"numa_node", or_null(d.numa_node)},
            {"managed", d.managed}};
    if (d.mac) dj["mac"] = *d.mac;
    if (d.port) dj["port"] = *d.port;
    if (d.vlan) dj["vlan"] = *d.vlan;
    devices.push_back(dj);
  }
  auto xml = devices_xml(passthrough);
  if (!xml) return std::move(xml).error();
  const DomainMetadata about{s.flavor.value_or(""), s.disk_gb, s.image.value_or(""), s.key_name.value_or("")};
  auto domain = domain_xml(s.id, s.vcpus, s.memory_mb, passthrough, about);
  if (!domain) return std::move(domain).error();
  Json out{{"id", s.id},          {"status", to_string(s.state.status)}, {"host", s.host}, {"flavor", or_null(s.flavor)}, {"vcpus", s.vcpus},
           {"project_id", project_or_null(s.project)},
           {"memory_mb", s.memory_mb}, {"disk_gb", s.disk_gb}, {"image", or_null(s.image)}, {"key_name", or_null(s.key_name)},
           {"numa_cells", s.numa_cells}, {"devices", devices},      {"libvirt_xml", *xml},
           {"libvirt_metadata_xml", metadata_xml(about, 0)}, {"libvirt_domain_xml", *domain}};
  if (s.state.status == ServerStatus::Error) out["error"] = {{"step", s.state.step}, {"message", s.state.message}};
  else if (s.state.status == ServerStatus::Active && !s.state.message.empty()) out["prepared"] = s.state.message;
  if (s.vlan) out["vlan"] = *s.vlan;
  if (s.base_domain) out["base_domain"] = *s.base_domain;
  if (!s.notes.empty()) out["notes"] = s.notes;
  return out;
}

Result<Json> assignments_json(const HostAssignments& a) {
  Json servers = Json::array();
  for (const auto& s : a.servers) {
    auto j = server_json(s);
    if (!j) return std::move(j).error();
    servers.push_back(std::move(*j));
  }
  Json interfaces = Json::array();
  for (const auto& i : a.interfaces) {
    Json j{{"address", i.address.to_string()}, {"class", interface_class_name(i.cls)}, {"datanetwork", i.datanetwork}};
    j["vfs"] = i.vfs ? Json(*i.vfs) : Json(nullptr);
    interfaces.push_back(std::move(j));
  }
  return Json{{"host", a.host},         {"generation", a.generation}, {"manages_devices", a.manages_devices},
              {"locked", a.locked},     {"interfaces", interfaces},   {"servers", servers}};
}

Json servers_json(const std::vector<ServerSummary>& servers) {
  Json out = Json::array();
  for (const auto& s : servers) {
    Json j{{"id", s.id},       {"status", to_string(s.state.status)}, {"host", s.host}, {"flavor", s.flavor},
           {"devices", addresses(s.devices)}, {"project_id", project_or_null(s.project)}};
    if (s.state.status == ServerStatus::Error) j["error"] = {{"step", s.state.step}, {"message", s.state.message}};
    out.push_back(std::move(j));
  }
  return {{"servers", out}};
}

Json refusal_groups_json(const std::vector<RefusalGroup>& groups) {
  Json why = Json::array();
  for (const auto& g : groups) {
    Json one{{"reason", g.reason}, {"hosts", g.hosts}, {"sample", g.sample}};
    if (!g.kind.empty()) one["kind"] = g.kind;
    why.push_back(std::move(one));
  }
  return why;
}

Json explanation_json(const Explanation& e) {
  Json out{{"flavor", e.flavor}, {"fits_on", e.fits_on}, {"refused", e.refused}, {"why", refusal_groups_json(e.why)}};
  if (!e.hosts.empty()) {
    Json hosts = Json::array();
    for (const auto& v : e.hosts) {
      Json h{{"host", v.host}, {"fits", v.fits}};
      if (!v.fits) h["reason"] = v.reason;
      hosts.push_back(h);
    }
    out["hosts"] = hosts;
  }
  if (e.next) out["next"] = *e.next;
  return out;
}

// Written by hand: at 10 000 hosts a tree of it takes longer to build than the answer.
std::string capacity_json(const Capacity& c) {
  std::string out = "{\"fleet\":{";
  auto counts = [&](const AliasCapacity& a) {
    append_json_string(out, a.alias);
    out += ":{\"free\":" + std::to_string(a.free) + ",\"total\":" + std::to_string(a.total) + "}";
  };
  for (size_t i = 0; i < c.fleet.size(); ++i) {
    if (i) out += ',';
    counts(c.fleet[i]);
  }
  out += "},\"hosts\":[";
  for (size_t h = 0; h < c.hosts.size(); ++h) {
    out += h ? ",{\"host\":" : "{\"host\":";
    append_json_string(out, c.hosts[h].host);
    out += ",\"aliases\":{";
    for (size_t i = 0; i < c.hosts[h].aliases.size(); ++i) {
      if (i) out += ',';
      counts(c.hosts[h].aliases[i]);
    }
    out += "}}";
  }
  return out + "]}";
}

Json health_json(const Health& h) {
  auto entries = [](const std::vector<Health::Entry>& list, const char* key) {
    Json out = Json::array();
    for (const auto& e : list) out.push_back({{key, e.name}, {"problems", e.problems}});
    return out;
  };
  return {{"status", h.ok() ? "ok" : "degraded"}, {"blocked_hosts", entries(h.hosts, "host")}, {"servers", entries(h.servers, "id")}};
}

Json issued_token_json(const IssuedToken& t) {
  return {{"name", t.name}, {"role", t.role}, {"host", or_null(t.host)}, {"project_id", or_null(t.project)}, {"token", t.secret}};
}

Json tokens_json(const std::vector<TokenInfo>& tokens) {
  Json out = Json::array();
  for (const auto& t : tokens) out.push_back({{"name", t.name}, {"role", t.role}, {"host", or_null(t.host)}, {"project_id", or_null(t.project)}});
  return {{"tokens", out}};
}

Json project_json(const ProjectRecord& p) { return {{"name", p.name}, {"description", p.description}}; }

Json projects_json(const std::vector<ProjectRecord>& projects) {
  Json out = Json::array();
  for (const auto& p : projects) out.push_back(project_json(p));
  return {{"projects", out}};
}

Json network_json(const NetworkRecord& n) {
  return {{"name", n.name},
          {"project_id", project_or_null(n.project)},
          {"shared", n.shared},
          {"provider:network_type", to_string(n.type)},
          {"provider:physical_network", n.physical_network},
          {"provider:segmentation_id", or_null(n.segment)}};
}

Json interface_json(const HostInterfaceView& v) {
  const InterfaceClass cls = v.set ? v.set->cls : InterfaceClass::None;
  Json j{{"host", v.host},
         {"address", v.address.to_string()},
         {"name", v.name.empty() ? Json(nullptr) : Json(v.name)},
         {"class", interface_class_name(cls)},
         {"set", v.set.has_value()},
         {"datanetworks", v.set && !v.set->datanetwork.empty() ? Json::array({v.set->datanetwork}) : Json::array()},
         {"physical_networks", v.physical_networks},
         {"sriov_totalvfs", v.sriov_totalvfs},
         {"sriov_numvfs", v.vfs},
         {"vfs_wanted", v.set && v.set->vfs ? Json(*v.set->vfs) : Json(nullptr)},
         {"link", v.link ? Json(*v.link) : Json(nullptr)},
         {"held_by", v.held_by}};
  return j;
}

Json interfaces_json(const std::vector<HostInterfaceView>& interfaces) {
  Json out = Json::array();
  for (const auto& i : interfaces) out.push_back(interface_json(i));
  return {{"interfaces", out}};
}

Json networks_json(const std::vector<NetworkRecord>& networks) {
  Json out = Json::array();
  for (const auto& n : networks) out.push_back(network_json(n));
  return {{"networks", out}};
}

Json port_json(const PortRecord& p) {
  return {{"name", p.name},
          {"project_id", project_or_null(p.project)},
          {"network_id", p.network},
          {"binding:vnic_type", to_string(p.vnic_type)},
          {"mac_address", p.mac},
          {"server", p.server.empty() ? Json(nullptr) : Json(p.server)}};
}

Json ports_json(const std::vector<PortRecord>& ports) {
  Json out = Json::array();
  for (const auto& p : ports) out.push_back(port_json(p));
  return {{"ports", out}};
}

Json quotas_json(const ProjectQuotas& q) {
  Json out = Json::array();
  for (const auto& u : q.quotas) out.push_back({{"resource", u.resource}, {"limit", or_null(u.limit)}, {"used", u.used}});
  return {{"project_id", q.project}, {"quotas", out}};
}

}  // namespace pcipass::server
