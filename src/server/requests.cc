#include "server/requests.h"

#include "core/host_report.h"
#include "server/json_body.h"

namespace pcipass::server {
namespace {

constexpr uint64_t kMaxDiskGb = uint64_t{1} << 24;  // 16 PiB

Result<std::vector<std::pair<std::string, std::string>>> extra_specs(const ConfigValue& j, const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  if (j.is_null()) return out;
  if (!j.is_object()) return std::move(invalid("expected an object of string values").within(path));
  for (const auto& [k, v] : j.members()) {
    if (!v.is_string()) return std::move(invalid("expected a string").within(path + "." + k));
    if (k.empty() || k.size() > 255) return std::move(invalid("keys must be 1 to 255 characters").within(path));
    out.emplace_back(k, v.as_string());
  }
  return out;
}

Result<ConfigValue> object_body(const std::string& text) {
  auto body = parse_body(text);
  if (!body) return std::move(body).error();
  if (!body->is_object()) return std::move(invalid("expected a JSON object").within("body"));
  return body;
}

}  // namespace

Result<HostRecord> host_report(const std::string& text, const std::string& host) {
  auto body = parse_body(text);
  if (!body) return std::move(body).error();
  auto report = parse_host_report(*body);
  if (!report) return std::move(report).error();
  HostRecord out;
  out.name = host;
  out.numa = std::move(report->numa);
  out.platform = std::move(report->platform);
  out.manages_devices = report->manages_devices;
  for (auto& d : report->devices) out.devices.push_back({std::move(d.facts), std::move(d.fingerprint), false});
  return out;
}

Result<FlavorRecord> new_flavor(const std::string& text) {
  PCIPASS_TRY(body, object_body(text));
  Fields f(body, "");
  PCIPASS_TRY(name, f.string("name"));
  PCIPASS_TRY(vcpus, f.unsigned_int("vcpus", 4096));
  PCIPASS_TRY(mem, f.unsigned_int("memory_mb", uint64_t{1} << 32));
  PCIPASS_TRY(disk, f.optional_unsigned("disk_gb", kMaxDiskGb));
  PCIPASS_TRY(specs, extra_specs(f.raw("extra_specs"), "extra_specs"));
  if (auto st = f.no_unknown_fields(); !st) return std::move(st).error();
  return FlavorRecord{name, static_cast<uint32_t>(vcpus), mem, std::move(specs), 0, disk.value_or(0)};
}

Result<FlavorUpdate> flavor_update(const std::string& text, const std::string& name) {
  PCIPASS_TRY(body, object_body(text));
  Fields f(body, "");
  FlavorUpdate u;
  u.name = name;
  PCIPASS_TRY(vcpus, f.optional_unsigned("vcpus", 4096));
  PCIPASS_TRY(mem, f.optional_unsigned("memory_mb", uint64_t{1} << 32));
  if (vcpus) u.vcpus = static_cast<uint32_t>(*vcpus);
  u.memory_mb = mem;
  PCIPASS_TRY(disk, f.optional_unsigned("disk_gb", kMaxDiskGb));
  u.disk_gb = disk;
  PCIPASS_TRY(set, extra_specs(f.raw("extra_specs"), "extra_specs"));
  u.set = std::move(set);
  const ConfigValue& unset = f.raw("unset");
  if (!unset.is_null() && !unset.is_array()) return std::move(invalid("expected a list of extra spec keys").within("unset"));
  if (auto st = f.no_unknown_fields(); !st) return std::move(st).error();
  for (const auto& key : unset.items()) {
    if (!key.is_string()) return std::move(invalid("expected a string").within("unset"));
    u.unset.push_back(key.as_string());
  }
  return u;
}

Result<NewServer> new_server(const std::string& text) {
  PCIPASS_TRY(body, object_body(text));
  Fields f(body, "");
  PCIPASS_TRY(name, f.string("name"));
  PCIPASS_TRY(flavor, f.string("flavor"));
  PCIPASS_TRY(host, f.optional_string("host"));
  PCIPASS_TRY(base_domain, f.optional_string("base_domain"));
  PCIPASS_TRY(image, f.optional_string("image"));
  PCIPASS_TRY(key_name, f.optional_string("key_name"));
  const ConfigValue& nics = f.raw("nics");
  if (auto st = f.no_unknown_fields(); !st) return std::move(st).error();
  NewServer out{name, flavor, host, base_domain};
  out.image = image;
  out.key_name = key_name;
  if (nics.is_null()) return out;
  if (!nics.is_array()) return std::move(invalid("expected a list of NICs ({\"port-id\": P} or {\"net-id\": N, \"vnic-type\": T})").within("nics"));
  for (size_t i = 0; i < nics.items().size(); ++i) {
    const std::string at = "nics[" + std::to_string(i) + "]";
    const ConfigValue& item = nics.items()[i];
    if (!item.is_object()) return std::move(invalid("expected an object").within(at));
    Fields n(item, at);
    PCIPASS_TRY(port, n.optional_string("port-id"));
    PCIPASS_TRY(network, n.optional_string("net-id"));
    PCIPASS_TRY(vnic, n.optional_string("vnic-type"));
    if (auto st = n.no_unknown_fields(); !st) return std::move(st).error();
    if (port.has_value() == network.has_value()) return std::move(invalid("a NIC names either port-id or net-id").within(at));
    if (port && vnic) return std::move(invalid("a port has its vnic type already; vnic-type goes with net-id").within(at + ".vnic-type"));
    out.nics.push_back({port, network, vnic.value_or("direct")});
  }
  if (out.nics.size() > 32) return std::move(invalid("at most 32 NICs").within("nics"));
  return out;
}

Result<ServerOutcome> server_outcome(const std::string& text, const std::string& id) {
  PCIPASS_TRY(body, object_body(text));
  Fields f(body, "");
  PCIPASS_TRY(said, f.string("outcome"));
  PCIPASS_TRY(step, f.optional_string("step"));
  PCIPASS_TRY(message, f.optional_string("message"));
  if (auto st = f.no_unknown_fields(); !st) return std::move(st).error();
  auto outcome = parse_agent_outcome(said);
  if (!outcome) return std::move(invalid("expected \"active\", \"error\" or \"restored\", got " + quote(said)).within("outcome"));
  if (*outcome == AgentOutcome::Failed) {
    if (!step || step->empty()) return std::move(invalid("an error names the step that failed").within("step"));
    if (!message || message->empty()) return std::move(invalid("an error says what the host said").within("message"));
  }
  return ServerOutcome{id, *outcome, step.value_or(""), message.value_or("")};
}

Result<std::optional<uint64_t>> query_number(const Query& query, const char* key, uint64_t max,
                                             std::initializer_list<const char*> allowed) {
  auto text = query_value(query, key, allowed);
  if (!text) return std::move(text).error();
  if (!*text) return std::optional<uint64_t>();
  const std::string& t = **text;
  uint64_t n = 0;
  bool ok = !t.empty() && t.size() <= 20;
  for (char c : t) {
    if (c < '0' || c > '9' || n > (UINT64_MAX - 9) / 10) ok = false;
    if (!ok) break;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  if (!ok || n > max)
    return std::move(invalid("expected a whole number from 0 to " + std::to_string(max) + ", got " + quote(t)).within(key));
  return std::optional<uint64_t>(n);
}

Result<bool> query_flag(const Query& query, const char* key, std::initializer_list<const char*> allowed) {
  auto text = query_value(query, key, allowed);
  if (!text) return std::move(text).error();
  if (!*text || **text == "false") return false;
  if (**text == "true") return true;
  return std::move(invalid("expected true or false, got " + quote(**text)).within(key));
}

Result<NewToken> new_token(const std::string& text) {
  PCIPASS_TRY(body, object_body(text));
  Fields f(body, "");
  PCIPASS_TRY(name, f.string("name"));
  PCIPASS_TRY(role, f.string("role"));
  PCIPASS_TRY(host, f.optional_string("host"));
  PCIPASS_TRY(project, f.optional_string("project_id"));
  if (auto st = f.no_unknown_fields(); !st) return std::move(st).error();
  return NewToken{name, role, host, project};
}

namespace {
Result<bool> optional_bool(Fields& f, const char* key) {
  const ConfigValue& v = f.raw(key);
  if (v.is_null()) return false;
  if (!v.is_bool()) return std::move(invalid("expected true or false").within(f.path(key)));
  return v.as_bool();
}
}  // namespace

Result<ProjectRecord> new_project(const std::string& text) {
  PCIPASS_TRY(body, object_body(text));
  Fields f(body, "");
  PCIPASS_TRY(name, f.string("name"));
  PCIPASS_TRY(description, f.optional_string("description"));
  if (auto st = f.no_unknown_fields(); !st) return std::move(st).error();
  return ProjectRecord{name, description.value_or("")};
}

Result<NewNetwork> new_network(const std::string& text) {
  PCIPASS_TRY(body, object_body(text));
  Fields f(body, "");
  NewNetwork n;
  PCIPASS_TRY(name, f.string("name"));
  PCIPASS_TRY(project, f.optional_string("project_id"));
  PCIPASS_TRY(shared, optional_bool(f, "shared"));
  PCIPASS_TRY(type, f.optional_string("provider:network_type"));
  PCIPASS_TRY(physnet, f.string("provider:physical_network"));
  PCIPASS_TRY(segment, f.optional_unsigned("provider:segmentation_id", UINT32_MAX));
  if (auto st = f.no_unknown_fields(); !st) return std::move(st).error();
  return NewNetwork{name, project, shared, type.value_or("vlan"), physnet, segment};
}

Result<NewPort> new_port(const std::string& text) {
  PCIPASS_TRY(body, object_body(text));
  Fields f(body, "");
  PCIPASS_TRY(name, f.string("name"));
  PCIPASS_TRY(network, f.string("network_id"));
  PCIPASS_TRY(project, f.optional_string("project_id"));
  PCIPASS_TRY(vnic, f.optional_string("binding:vnic_type"));
  PCIPASS_TRY(mac, f.optional_string("mac_address"));
  if (auto st = f.no_unknown_fields(); !st) return std::move(st).error();
  return NewPort{name, network, project, vnic.value_or("direct"), mac};
}

Result<InterfaceRequest> interface_request(const std::string& text, const std::string& name) {
  PCIPASS_TRY(body, object_body(text));
  Fields f(body, "");
  PCIPASS_TRY(cls, f.string("class"));
  PCIPASS_TRY(net, f.optional_string("datanetwork"));
  PCIPASS_TRY(vfs, f.optional_unsigned("vfs", 65535));
  if (auto st = f.no_unknown_fields(); !st) return std::move(st).error();
  auto c = parse_interface_class(cls);
  if (!c) return std::move(invalid("class " + quote(cls) + " is not one of pci-sriov, pci-passthrough, none").within("class"));
  InterfaceRequest r{name, *c, net.value_or(""), std::nullopt};
  if (vfs) r.vfs = static_cast<uint32_t>(*vfs);
  return r;
}

Result<QuotaUpdate> quota_update(const std::string& text, const std::string& project) {
  PCIPASS_TRY(body, object_body(text));
  QuotaUpdate u;
  u.project = project;
  for (const auto& [resource, v] : body.members()) {
    if (v.is_null()) {
      u.set.emplace_back(resource, std::nullopt);
      continue;
    }
    auto limit = read_integer(v, 0, INT64_MAX);
    if (!limit) return std::move(std::move(limit).error().within(resource));
    u.set.emplace_back(resource, static_cast<uint64_t>(*limit));
  }
  return u;
}

Result<std::optional<std::string>> query_value(const Query& query, const char* key, std::initializer_list<const char*> allowed) {
  for (const auto& [k, v] : query) {
    bool known = false;
    for (const char* a : allowed) known = known || k == a;
    if (!known) {
      std::string names;
      for (const char* a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
      return std::move(invalid("unknown filter " + quote(k) + " (" + names + ")").within(k));
    }
  }
  auto it = query.find(key);
  if (it == query.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Result<DeviceFilter> device_filter(const Query& query) {
  DeviceFilter f;
  const auto allowed = {"host", "alias", "status", "owner"};
  PCIPASS_TRY(host, query_value(query, "host", allowed));
  PCIPASS_TRY(alias, query_value(query, "alias", allowed));
  PCIPASS_TRY(status, query_value(query, "status", allowed));
  PCIPASS_TRY(owner, query_value(query, "owner", allowed));
  f.host = host;
  f.alias = alias;
  f.owner = owner;
  if (status) {
    f.status = parse_device_status(*status);
    if (!f.status)
      return std::move(invalid("status must be one of available, allocated, unavailable, not-allow-listed, bridge, vanished").within("status"));
  }
  return f;
}

}  // namespace pcipass::server
