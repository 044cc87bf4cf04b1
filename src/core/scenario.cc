#include "core/scenario.h"

#include <set>
#include <unordered_map>

#include "core/host_report.h"

namespace pcipass {
namespace {

std::string idx(size_t i) { return "[" + std::to_string(i) + "]"; }

Error at(Error e, std::initializer_list<std::string> path) {
  for (auto it = std::rbegin(path); it != std::rend(path); ++it) e.within(*it);
  return e;
}

Result<ExtraSpecs> parse_extra_specs(const ConfigValue& v) {
  if (!v.is_object()) return invalid(std::string("expected an object of extra specs, got ") + kind_name(v.kind()));
  ExtraSpecs out;
  std::set<std::string> seen;
  for (const auto& [key, value] : v.members()) {
    if (!seen.insert(key).second) return at(invalid("duplicate extra spec"), {key});
    if (value.is_string()) out.emplace_back(key, value.as_string());
    else if (value.is_integer()) out.emplace_back(key, std::to_string(value.as_integer()));
    else return at(invalid(std::string("extra spec values are strings, got ") + kind_name(value.kind())), {key});
  }
  return out;
}

}  // namespace

Status ScenarioParser::header(const ConfigValue& root) {
  if (!root.is_object()) return invalid(std::string("a scenario must be a JSON object, got ") + kind_name(root.kind()));
  auto keys = reject_unknown_keys(root, {"format", "device_spec", "alias", "hosts", "ops"}, "the scenario");
  if (!keys) {
    Error e = std::move(keys).error();
    return Error(e.code(), "unknown top-level key").within(e.context().front());
  }
  const ConfigValue* format = root.find("format");
  if (!format) return at(invalid("missing; expected \"" + std::string(kScenarioFormat) + "\""), {"format"});
  if (!format->is_string() || format->as_string() != kScenarioFormat)
    return at(invalid("unsupported format " + format->to_json() + "; expected \"" + std::string(kScenarioFormat) + "\""), {"format"});
  std::vector<std::string> local;
  if (const ConfigValue* ds = root.find("device_spec")) {
    auto list = DeviceSpecList::parse(*ds, local);
    if (!list) return at(std::move(list).error(), {"device_spec"});
    device_spec_ = std::move(*list);
    collect("device_spec", local);
  }
  if (const ConfigValue* al = root.find("alias")) {
    auto table = AliasTable::parse(*al, local);
    if (!table) return at(std::move(table).error(), {"alias"});
    alias_ = std::move(*table);
    collect("alias", local);
  }
  return ok_status();
}

void ScenarioParser::collect(const std::string& path, std::vector<std::string>& local) {
  for (auto& w : local) warnings_.push_back(path + (w.front() == '[' ? "" : ": ") + w);
  local.clear();
}

Result<HostScenario> ScenarioParser::host(size_t i, const ConfigValue& h, std::optional<DeviceSpecList>& own_spec) {
  const std::string hp = "hosts" + idx(i);
  std::vector<std::string> local;
  own_spec.reset();
  if (!h.is_object()) return at(invalid("a host must be an object"), {"hosts", idx(i)});
  auto hk = reject_unknown_keys(h, {"name", "numa", "device_spec", "devices"}, "a host");
  if (!hk) return at(std::move(hk).error(), {"hosts", idx(i)});
  HostScenario host;
  const ConfigValue* name = h.find("name");
  if (!name) return at(invalid("missing host name"), {"hosts", idx(i)});
  auto name_text = read_string(*name);
  if (!name_text) return at(std::move(name_text).error(), {"hosts", idx(i), "name"});
  if (name_text->empty()) return at(invalid("host name is empty"), {"hosts", idx(i), "name"});
  if (!names_.insert(*name_text).second) return at(invalid("duplicate host name " + quote(*name_text)), {"hosts", idx(i), "name"});
  host.name = *name_text;
  if (const ConfigValue* numa = h.find("numa"); numa && !numa->is_null()) {
    auto cells = parse_numa_cells(*numa);
    if (!cells) return at(std::move(cells).error(), {"hosts", idx(i), "numa"});
    host.numa = std::move(*cells);
  }
  if (const ConfigValue* ds = h.find("device_spec")) {
    auto list = DeviceSpecList::parse(*ds, local);
    if (!list) return at(std::move(list).error(), {"hosts", idx(i), "device_spec"});
    own_spec = std::move(*list);
    collect(hp + ".device_spec", local);
  }
  if (const ConfigValue* devices = h.find("devices")) {
    if (!devices->is_array()) return at(invalid("expected a list of devices"), {"hosts", idx(i), "devices"});
    host.devices.reserve(devices->items().size());
    for (size_t j = 0; j < devices->items().size(); ++j) {
      auto d = parse_reported_device(devices->items()[j]);
      if (!d) return at(std::move(d).error(), {"hosts", idx(i), "devices", idx(j)});
      host.devices.push_back(std::move(d->facts));
    }
  }
  return host;
}

Result<Op> ScenarioParser::op(size_t i, const ConfigValue& o) {
  const std::set<std::string>& names = names_;
  auto here = [&](Error e, std::initializer_list<std::string> rest = {}) {
    for (auto it = std::rbegin(rest); it != std::rend(rest); ++it) e.within(*it);
    return at(std::move(e), {"ops", idx(i)});
  };
  if (!o.is_object()) return here(invalid("an op must be an object"));
  const ConfigValue* kind = o.find("op");
  if (!kind || !kind->is_string()) return here(invalid("missing \"op\" (boot, delete or query)"), {"op"});
  Op op;
  const std::string& k = kind->as_string();
  Status known = ok_status();
  if (k == "boot") {
    op.kind = OpKind::Boot;
    known = reject_unknown_keys(o, {"op", "id", "vcpus", "memory_mb", "extra_specs", "host", "expect"}, "a boot op");
  } else if (k == "delete") {
    op.kind = OpKind::Delete;
    known = reject_unknown_keys(o, {"op", "id", "expect"}, "a delete op");
  } else if (k == "query") {
    op.kind = OpKind::Query;
    known = reject_unknown_keys(o, {"op", "vcpus", "memory_mb", "extra_specs", "expect"}, "a query op");
  } else {
    return here(invalid("unknown op " + quote(k) + " (boot, delete or query)"), {"op"});
  }
  if (!known) return here(std::move(known).error());
  if (op.kind != OpKind::Query) {
    const ConfigValue* id = o.find("id");
    if (!id) return here(invalid("missing instance id"), {"id"});
    auto text = read_string(*id);
    if (!text) return here(std::move(text).error(), {"id"});
    if (text->empty()) return here(invalid("instance id is empty"), {"id"});
    op.id = *text;
    if (op.kind == OpKind::Boot) {
      auto [it, fresh] = alive_.emplace(op.id, i);
      if (!fresh)
        return here(invalid("instance " + quote(op.id) + " is still alive: ops" + idx(it->second) +
                            " booted it and no delete came since"),
                    {"id"});
    } else {
      alive_.erase(op.id);
    }
  }
  if (op.kind != OpKind::Delete) {
    uint32_t vcpus = kDefaultVcpus;
    uint64_t memory = kDefaultMemoryMb;
    if (const ConfigValue* v = o.find("vcpus")) {
      auto n = read_integer(*v, 1, 4096);
      if (!n) return here(std::move(n).error(), {"vcpus"});
      vcpus = static_cast<uint32_t>(*n);
    }
    if (const ConfigValue* v = o.find("memory_mb")) {
      auto n = read_integer(*v, 0, int64_t{1} << 40);
      if (!n) return here(std::move(n).error(), {"memory_mb"});
      memory = static_cast<uint64_t>(*n);
    }
    ExtraSpecs extra;
    if (const ConfigValue* e = o.find("extra_specs")) {
      auto parsed = parse_extra_specs(*e);
      if (!parsed) return here(std::move(parsed).error(), {"extra_specs"});
      extra = std::move(*parsed);
    }
    std::vector<std::string> ignored;
    auto shape = parse_flavor(vcpus, memory, extra, alias_, ignored);
    if (!shape) return here(std::move(shape).error(), {"extra_specs"});
    for (const auto& key : ignored)
      warnings_.push_back("ops" + idx(i) + ".extra_specs." + key + ": not a scheduling key pcipass models; ignored");
    op.shape = std::move(*shape);
  }
  if (const ConfigValue* h = o.find("host")) {
    auto text = read_string(*h);
    if (!text) return here(std::move(text).error(), {"host"});
    if (!names.count(*text)) return here(invalid("no host named " + quote(*text) + " in this scenario"), {"host"});
    op.host = *text;
  }
  if (const ConfigValue* e = o.find("expect")) {
    if (op.kind == OpKind::Query) {
      if (!e->is_array()) return here(invalid("a query expects a list of host names"), {"expect"});
      std::vector<std::string> list;
      for (size_t j = 0; j < e->items().size(); ++j) {
        auto text = read_string(e->items()[j]);
        if (!text) return here(std::move(text).error(), {"expect", idx(j)});
        if (!names.count(*text)) return here(invalid("no host named " + quote(*text) + " in this scenario"), {"expect", idx(j)});
        list.push_back(*text);
      }
      op.expect_hosts = std::move(list);
    } else {
      auto text = read_string(*e);
      if (!text) return here(std::move(text).error(), {"expect"});
      bool valid = op.kind == OpKind::Boot ? (*text == "ok" || *text == "NoValidHost" || names.count(*text))
                                           : (*text == "ok" || *text == "NotFound");
      if (!valid)
        return here(invalid(op.kind == OpKind::Boot ? "expected \"ok\", \"NoValidHost\" or a host name, got " + quote(*text)
                                                    : "expected \"ok\" or \"NotFound\", got " + quote(*text)),
                    {"expect"});
      op.expect_result = *text;
    }
  }
  return op;
}

Result<Scenario> parse_scenario(const ConfigValue& root) {
  ScenarioParser parser;
  if (auto st = parser.header(root); !st) return std::move(st).error();
  Scenario s;
  const ConfigValue* hosts = root.find("hosts");
  if (!hosts) return at(invalid("missing; a scenario needs a list of hosts"), {"hosts"});
  if (!hosts->is_array()) return at(invalid(std::string("expected a list, got ") + kind_name(hosts->kind())), {"hosts"});
  for (size_t i = 0; i < hosts->items().size(); ++i) {
    std::optional<DeviceSpecList> own;
    auto host = parser.host(i, hosts->items()[i], own);
    if (!host) return std::move(host).error();
    if (own) {
      host->device_spec = s.host_device_specs.size();
      s.host_device_specs.push_back(std::move(*own));
    }
    s.hosts.push_back(std::move(*host));
  }
  if (const ConfigValue* ops = root.find("ops")) {
    if (!ops->is_array()) return at(invalid(std::string("expected a list, got ") + kind_name(ops->kind())), {"ops"});
    for (size_t i = 0; i < ops->items().size(); ++i) {
      auto op = parser.op(i, ops->items()[i]);
      if (!op) return std::move(op).error();
      s.ops.push_back(std::move(*op));
    }
  }
  s.device_spec = parser.device_spec();
  s.alias = parser.alias();
  s.warnings = std::move(parser.warnings());
  return s;
}

}  // namespace pcipass
