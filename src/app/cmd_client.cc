// The CLI client, in the habits of the openstack and virsh CLIs: `pcipass host list`,
// `pcipass server create vm1 --flavor F`, tables for people, --json for scripts.
// Exit statuses say what failed (see kExitClient* in commands.h).
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "adapters/api_client/api_client.h"
#include "app/client_support.h"
#include "app/commands.h"
#include "app/exit_status.h"
#include "adapters/json/config_value_json.h"
#include "adapters/json/nova_conf.h"
#include "core/config_value.h"
#include "core/host_report.h"

namespace pcipass::app {

void add_common(CLI::App* cmd, ClientArgs& a) {
  cmd->add_option("--url", a.url, "the server (default: $PCIPASS_URL or http://127.0.0.1:8774)");
  cmd->add_option("--token-file", a.token_file, "file holding the bearer token (default: $PCIPASS_TOKEN_FILE; or set $PCIPASS_TOKEN)");
  cmd->add_flag("--json", a.json, "print the server's own JSON answer");
  cmd->add_option("-f,--format", a.format, "output format: table (for people), json, yaml or value (the cells alone, for scripts)")
      ->check(CLI::IsMember({"table", "json", "value", "yaml"}))
      ->capture_default_str();
  cmd->add_option("-c,--column", a.columns, "show only this column or field (repeatable)");
}

namespace {
// "3 hosts: REASON (a, b, c, ... 7 more)"
std::string group_line(const RefusalGroup& g) {
  std::string out = std::to_string(g.hosts) + (g.hosts == 1 ? " host: " : " hosts: ") + g.reason + " (";
  for (size_t i = 0; i < g.sample.size(); ++i) out += (i ? ", " : "") + g.sample[i];
  if (g.hosts > g.sample.size()) out += ", ... " + std::to_string(g.hosts - g.sample.size()) + " more";
  return out + ")";
}
}  // namespace

int perform(const ClientArgs& args, const std::string& method, const std::string& path, const Json* body,
            const std::function<void(const Json&, Output& out)>& show) {
  auto endpoint = resolve_endpoint(args.url, args.token_file);
  if (!endpoint) {
    std::cerr << "pcipass: " << endpoint.error().describe() << "\n";
    return client_exit_status(endpoint.error().code());
  }
  ApiClient client(std::move(*endpoint));
  ApiReply r = client.call(method, path, body);
  if (args.json && !r.body.is_null()) std::cout << r.body.dump(2) << "\n";
  if (r.ok()) {
    if (args.json) return kExitOk;
    Output out(parse_output_format(args.format).value_or(OutputFormat::Table), args.columns, std::cout);
    show(r.body, out);
    if (out.problem()) {
      std::cerr << "pcipass: " << *out.problem() << "\n";
      return kExitInvalidInput;
    }
    return kExitOk;
  }
  std::cerr << "pcipass: " << r.error->describe() << "\n";
  for (const auto& g : r.error->refusal_groups()) std::cerr << "  " << group_line(g) << "\n";
  if (!r.error->rejections().empty() && !r.error->refusal_groups().empty()) std::cerr << "  first refused hosts:\n";
  for (const auto& h : r.error->rejections()) std::cerr << "  " << h.host << ": " << h.reason << "\n";
  return client_exit_status(r.error->code());
}

namespace {

struct WaitArgs {
  bool wait = false;
  uint32_t timeout_s = 300;
};

void add_wait(CLI::App* cmd, WaitArgs& w, const std::string& what) {
  cmd->add_flag("--wait", w.wait, "wait " + what);
  cmd->add_option("--timeout", w.timeout_s, "with --wait: give up after this many seconds (exit 9)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 86400u));
}

// `server create|delete --wait`: polls the server until it is settled (created) or gone
// (deleted), or `timeout_s` passes. An error status is said with its step.
int wait_for_server(const ClientArgs& args, const std::string& name, bool until_gone, uint32_t timeout_s) {
  auto endpoint = resolve_endpoint(args.url, args.token_file);
  if (!endpoint) {
    std::cerr << "pcipass: " << endpoint.error().describe() << "\n";
    return client_exit_status(endpoint.error().code());
  }
  ApiClient client(std::move(*endpoint));
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  std::string last;
  for (;;) {
    ApiReply r = client.call("GET", "/v1/servers/" + url_encode(name));
    if (!r.ok() && r.error->code() == ErrorCode::NotFound && until_gone) {
      std::cout << "server " << name << " is deleted\n";
      return kExitOk;
    }
    if (!r.ok()) {
      std::cerr << "pcipass: " << r.error->describe() << "\n";
      return client_exit_status(r.error->code());
    }
    const std::string status = r.body.value("status", "");
    if (status != last && !args.json) std::cout << "server " << name << ": " << status << std::endl;
    last = status;
    if (!until_gone && status != "building") {
      if (args.json) std::cout << r.body.dump(2) << "\n";
      if (status != "error") return kExitOk;
      std::cerr << "pcipass: server " << name << " failed at " << cell(r.body["error"]["step"]) << ": "
                << cell(r.body["error"]["message"]) << "\n";
      return kExitClientServerError;
    }
    if (until_gone && status == "error") {
      std::cerr << "pcipass: server " << name << " is in error and not being deleted: " << cell(r.body["error"]["message"]) << "\n";
      return kExitClientServerError;
    }
    if (std::chrono::steady_clock::now() >= until) {
      std::cerr << "pcipass: server " << name << " is still " << status << " after " << timeout_s << " s (--timeout)\n";
      return kExitClientTimeout;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

std::string query(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string q;
  for (const auto& [k, v] : params)
    if (!v.empty()) q += (q.empty() ? "?" : "&") + k + "=" + url_encode(v);
  return q;
}

// --nic port-id=P | net-id=N[,vnic-type=T], as the openstack client writes them.
Result<Json> nic_list(const std::vector<std::string>& nics) {
  Json out = Json::array();
  for (const auto& nic : nics) {
    Json one = Json::object();
    std::stringstream parts(nic);
    std::string part;
    while (std::getline(parts, part, ',')) {
      const size_t eq = part.find('=');
      const std::string key = part.substr(0, eq);
      if (eq == std::string::npos || eq + 1 == part.size() || (key != "port-id" && key != "net-id" && key != "vnic-type"))
        return invalid("--nic expects port-id=PORT or net-id=NETWORK[,vnic-type=TYPE], got " + quote(nic));
      one[key] = part.substr(eq + 1);
    }
    out.push_back(std::move(one));
  }
  return out;
}

Result<Json> properties(const std::vector<std::string>& props) {
  Json out = Json::object();
  for (const auto& p : props) {
    const size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) return invalid("--property expects KEY=VALUE, got " + quote(p));
    out[p.substr(0, eq)] = p.substr(eq + 1);
  }
  return out;
}

}  // namespace

namespace {
int check_config_file(const std::string& path, bool as_json) {
  auto loaded = load_nova_pci_config(path);
  if (!loaded) {
    std::cerr << "pcipass config check: " << loaded.error().describe() << "\n";
    return kExitInvalidInput;
  }
  Json aliases = Json::array();
  size_t unusable = 0;
  for (const auto& al : loaded->aliases.aliases()) {
    aliases.push_back({{"name", al.name}, {"usable", !al.unusable}, {"unusable_reason", al.unusable ? Json(*al.unusable) : Json(nullptr)}});
    if (al.unusable) ++unusable;
  }
  if (as_json) {
    std::cout << Json{{"config_file", path}, {"device_spec_entries", loaded->device_spec.specs().size()}, {"aliases", aliases},
                      {"warnings", loaded->warnings}}.dump(2)
              << "\n";
    return kExitOk;
  }
  std::cout << path << ": " << loaded->device_spec.specs().size() << " device_spec entries, " << aliases.size()
            << " aliases (" << unusable << " unusable)\n";
  for (const auto& w : loaded->warnings) std::cout << "warning: " << w << "\n";
  return kExitOk;
}
}  // namespace

void register_client(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ClientArgs>();
  auto s = std::make_shared<std::map<std::string, std::string>>();
  auto props = std::make_shared<std::vector<std::string>>();
  auto unset = std::make_shared<std::vector<std::string>>();
  auto num = std::make_shared<std::map<std::string, uint64_t>>();
  auto flag = std::make_shared<bool>(false);
  auto leaf = [&](CLI::App* parent, const char* name, const char* help) {
    auto* c = parent->add_subcommand(name, help);
    add_common(c, *a);
    return c;
  };

  auto* host = app.add_subcommand("host", "Compute hosts and their inventory (client)");
  host->require_subcommand(1);
  leaf(host, "list", "List hosts")->callback([a, &exit_code] {
    exit_code = perform(*a, "GET", "/v1/hosts", nullptr, [](const Json& b, Output& out) {
      out.objects(b["hosts"], {"name", "locked", "devices", "allow_listed", "free", "vcpus_used", "vcpus", "memory_mb_used", "memory_mb"});
    });
  });
  for (const bool lock : {true, false}) {
    auto* c = leaf(host, lock ? "lock" : "unlock",
                   lock ? "Lock a host: it takes no new placements and keeps its servers (admin)"
                        : "Unlock a host: it takes placements again (admin)");
    auto name = std::make_shared<std::string>();
    c->add_option("name", *name, "host name")->required();
    c->callback([a, name, lock, &exit_code] {
      exit_code = perform(*a, "POST", "/v1/hosts/" + url_encode(*name) + (lock ? "/lock" : "/unlock"), nullptr, [name, lock](const Json&, Output& out) {
        out.text("host " + *name + " is " + (lock ? "locked: it takes no new placements" : "unlocked") + "\n");
      });
    });
  }
  add_host_interface_commands(*host, exit_code);
  auto* host_show = leaf(host, "show", "Show one host with its devices");
  host_show->add_option("name", (*s)["name"], "host name")->required();
  host_show->callback([a, s, &exit_code] {
    exit_code = perform(*a, "GET", "/v1/hosts/" + url_encode((*s)["name"]), nullptr, [](const Json& b, Output& out) {
      if (!out.is_table()) return out.fields(b);  // one document: the devices are a field
      out.fields(b, {"devices"});
      out.text("\n");
      Output devices(OutputFormat::Table, {}, std::cout);
      devices.objects(b["devices"], {"address", "vendor_id", "product_id", "type", "numa_node", "status", "owner", "aliases", "reason"});
    });
  });

  auto* host_import = leaf(host, "import", "Register every host of a scenario file (pcipass-scenario/1, e.g. examples/fleet.json)");
  host_import->add_option("file", (*s)["file"], "scenario JSON file")->required()->check(CLI::ExistingFile);
  host_import->callback([a, s, &exit_code] {
    const std::string& file = (*s)["file"];
    auto fail = [&](const Error& e) {
      std::cerr << "pcipass host import: " << file << ": " << e.describe() << "\n";
      exit_code = kExitInvalidInput;
    };
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    auto scenario = parse_json(text.str());
    if (!scenario) return fail(scenario.error());
    const ConfigValue* hosts = scenario->find("hosts");
    if (!hosts || !hosts->is_array()) return fail(std::move(invalid("expected a list of hosts").within("hosts")));
    // Every host is read, by the host-report rules, before anything is sent.
    std::vector<std::pair<std::string, HostReport>> reports;
    for (size_t i = 0; i < hosts->items().size(); ++i) {
      const ConfigValue& h = hosts->items()[i];
      const std::string at = "hosts[" + std::to_string(i) + "]";
      const ConfigValue* name = h.find("name");
      if (!name || !name->is_string()) return fail(std::move(invalid("a host needs a name").within(at + ".name")));
      if (h.find("device_spec"))
        std::cerr << "pcipass host import: " << at << ".device_spec: per-host device_spec is not part of a report; the server's --config applies\n";
      const ConfigValue* numa = h.find("numa");
      const ConfigValue* devices = h.find("devices");
      auto report = parse_host_report(ConfigValue::object({{"numa", numa ? *numa : ConfigValue::null()},
                                                           {"devices", devices ? *devices : ConfigValue::array()}}));
      if (!report) return fail(std::move(std::move(report).error().within(at)));
      reports.emplace_back(name->as_string(), std::move(*report));
    }
    exit_code = kExitOk;
    for (const auto& [name, report] : reports) {
      const Json body = to_json(host_report_value(report));
      const int rc = perform(*a, "PUT", "/v1/hosts/" + url_encode(name), &body, [&](const Json& b, Output& out) {
        out.text("registered " + name + " (" + std::to_string(report.devices.size()) + " devices, generation " + cell(b["generation"]) + ")\n");
      });
      if (rc != kExitOk) {
        exit_code = rc;
        return;
      }
    }
  });

  auto* device = app.add_subcommand("device", "PCI devices across the fleet (client)");
  device->require_subcommand(1);
  auto* device_list = leaf(device, "list", "List devices, optionally filtered");
  for (const char* f : {"host", "alias", "status", "owner"}) device_list->add_option(std::string("--") + f, (*s)[f], std::string("only this ") + f);
  device_list->callback([a, s, &exit_code] {
    exit_code = perform(*a, "GET",
                        "/v1/devices" + query({{"host", (*s)["host"]}, {"alias", (*s)["alias"]}, {"status", (*s)["status"]}, {"owner", (*s)["owner"]}}),
                        nullptr, [](const Json& b, Output& out) {
                          out.objects(b["devices"], {"host", "address", "vendor_id", "product_id", "type", "numa_node", "status", "owner", "aliases", "reason"});
                        });
  });
  auto* device_show = leaf(device, "show", "Show a device with its PF/VF relatives and IOMMU group");
  device_show->add_option("host", (*s)["dhost"], "host name")->required();
  device_show->add_option("address", (*s)["address"], "PCI address, e.g. 0000:41:02.0")->required();
  device_show->callback([a, s, &exit_code] {
    exit_code = perform(*a, "GET", "/v1/hosts/" + url_encode((*s)["dhost"]) + "/devices/" + url_encode((*s)["address"]), nullptr,
                        [](const Json& b, Output& out) { out.fields(b); });
  });

  auto* alias = app.add_subcommand("alias", "[pci] alias entries of the server's configuration (client)");
  alias->require_subcommand(1);
  leaf(alias, "list", "List aliases")->callback([a, &exit_code] {
    exit_code = perform(*a, "GET", "/v1/aliases", nullptr, [](const Json& b, Output& out) { out.objects(b["aliases"], {"name", "device_type", "numa_policy", "usable", "specs"}); });
  });

  auto* flavor = app.add_subcommand("flavor", "Flavors: vCPUs, memory and extra specs such as pci_passthrough:alias (client)");
  flavor->require_subcommand(1);
  auto* flavor_create = leaf(flavor, "create", "Create a flavor");
  flavor_create->add_option("name", (*s)["fname"], "flavor name")->required();
  flavor_create->add_option("--vcpus", (*num)["vcpus"], "vCPUs")->required();
  flavor_create->add_option("--ram", (*num)["ram"], "memory in MB")->required();
  flavor_create->add_option("--disk", (*num)["disk"], "root disk in GB (default 0), named in its servers' domains");
  flavor_create->add_option("--property", *props, "extra spec KEY=VALUE (repeatable), e.g. pci_passthrough:alias=a1:2");
  flavor_create->callback([a, s, num, props, &exit_code] {
    auto p = properties(*props);
    if (!p) {
      std::cerr << "pcipass flavor create: " << p.error().describe() << "\n";
      exit_code = kExitInvalidInput;
      return;
    }
    Json body{{"name", (*s)["fname"]}, {"vcpus", (*num)["vcpus"]}, {"memory_mb", (*num)["ram"]}, {"disk_gb", (*num)["disk"]}, {"extra_specs", *p}};
    exit_code = perform(*a, "POST", "/v1/flavors", &body, [](const Json& b, Output& out) { out.fields(b); });
  });
  leaf(flavor, "list", "List flavors")->callback([a, &exit_code] {
    exit_code = perform(*a, "GET", "/v1/flavors", nullptr, [](const Json& b, Output& out) { out.objects(b["flavors"], {"name", "vcpus", "memory_mb", "disk_gb", "extra_specs"}); });
  });
  auto* flavor_show = leaf(flavor, "show", "Show a flavor");
  flavor_show->add_option("name", (*s)["fname"], "flavor name")->required();
  flavor_show->callback([a, s, &exit_code] {
    exit_code = perform(*a, "GET", "/v1/flavors/" + url_encode((*s)["fname"]), nullptr, [](const Json& b, Output& out) { out.fields(b); });
  });
  auto* flavor_set = leaf(flavor, "set", "Set or unset a flavor's extra specs");
  flavor_set->add_option("name", (*s)["fname"], "flavor name")->required();
  flavor_set->add_option("--property", *props, "extra spec KEY=VALUE (repeatable)");
  flavor_set->add_option("--unset-property", *unset, "extra spec KEY to remove (repeatable)");
  auto set_disk = std::make_shared<std::optional<uint64_t>>();
  flavor_set->add_option("--disk", *set_disk, "root disk in GB (servers booted already keep theirs)");
  flavor_set->callback([a, s, props, unset, set_disk, &exit_code] {
    auto p = properties(*props);
    if (!p) {
      std::cerr << "pcipass flavor set: " << p.error().describe() << "\n";
      exit_code = kExitInvalidInput;
      return;
    }
    Json body{{"extra_specs", *p}, {"unset", *unset}};
    if (*set_disk) body["disk_gb"] = **set_disk;
    exit_code = perform(*a, "PATCH", "/v1/flavors/" + url_encode((*s)["fname"]), &body, [](const Json& b, Output& out) { out.fields(b); });
  });

  // `server` itself runs the controller (cmd_server.cc, registered first).
  auto* server = app.get_subcommand("server");
  auto* server_create = leaf(server, "create", "Create a server: pick a host and devices, claim them, print the libvirt XML");
  server_create->add_option("name", (*s)["sname"], "server name (its id)")->required();
  server_create->add_option("--flavor", (*s)["sflavor"], "flavor name")->required();
  server_create->add_option("--host", (*s)["shost"], "force this host");
  server_create->add_option("--image", (*s)["simage"], "the image the guest boots (kept with the server, named in its domain's metadata)");
  server_create->add_option("--key-name", (*s)["skey"], "the key pair for the guest (kept with the server, named in its domain's metadata)");
  server_create->add_option("--base-domain", (*s)["sbase"],
                            "the operator's base domain its host's agent merges it into (agent --libvirt --base-domains DIR: DIR/NAME.xml)");
  auto nics = std::make_shared<std::vector<std::string>>();
  server_create->add_option("--nic", *nics,
                            "a NIC (repeatable): port-id=PORT, or net-id=NETWORK[,vnic-type=direct|direct-physical] for a port made for it");
  auto wait = std::make_shared<WaitArgs>();
  add_wait(server_create, *wait, "until its host's agent has prepared it (active) or failed (error, exit 8)");
  server_create->callback([a, s, wait, nics, &exit_code] {
    Json body{{"name", (*s)["sname"]}, {"flavor", (*s)["sflavor"]}};
    if (!nics->empty()) {
      auto parsed = nic_list(*nics);
      if (!parsed) {
        std::cerr << "pcipass server create: " << parsed.error().describe() << "\n";
        exit_code = kExitInvalidInput;
        return;
      }
      body["nics"] = std::move(*parsed);
    }
    if (!(*s)["shost"].empty()) body["host"] = (*s)["shost"];
    if (!(*s)["sbase"].empty()) body["base_domain"] = (*s)["sbase"];
    if (!(*s)["simage"].empty()) body["image"] = (*s)["simage"];
    if (!(*s)["skey"].empty()) body["key_name"] = (*s)["skey"];
    exit_code = perform(*a, "POST", "/v1/servers", &body, [](const Json& b, Output& out) {
      out.fields(b, {"libvirt_xml", "libvirt_metadata_xml", "libvirt_domain_xml"});
      out.text("\n" + cell(b["libvirt_xml"]));
    });
    if (exit_code == kExitOk && wait->wait) exit_code = wait_for_server(*a, (*s)["sname"], false, wait->timeout_s);
  });
  auto* server_show = leaf(server, "show", "Show a server, its devices and libvirt XML");
  server_show->add_option("name", (*s)["sname"], "server name")->required();
  server_show->add_flag("--domain-xml", *flag, "print the whole example domain instead of the device elements");
  server_show->callback([a, s, flag, &exit_code] {
    const bool domain = *flag;
    exit_code = perform(*a, "GET", "/v1/servers/" + url_encode((*s)["sname"]), nullptr, [domain](const Json& b, Output& out) {
      out.fields(b, {"libvirt_xml", "libvirt_metadata_xml", "libvirt_domain_xml"});
      out.text("\n" + cell(b[domain ? "libvirt_domain_xml" : "libvirt_xml"]));
    });
  });
  auto* server_delete = leaf(server, "delete", "Delete a server and free its devices (once its host's agent has restored them)");
  server_delete->add_option("name", (*s)["sname"], "server name")->required();
  auto dwait = std::make_shared<WaitArgs>();
  add_wait(server_delete, *dwait, "until its host's agent has restored its devices and it is gone");
  auto force = std::make_shared<bool>(false);
  server_delete->add_flag("--force", *force,
                          "free its devices now, without its host's agent (which restores them when it comes back)");
  server_delete->callback([a, s, dwait, force, &exit_code] {
    exit_code = perform(*a, "DELETE", "/v1/servers/" + url_encode((*s)["sname"]) + (*force ? "?force=true" : ""), nullptr,
                        [s](const Json& b, Output& out) {
                          if (b.is_object() && b.contains("status"))
                            out.text("server " + (*s)["sname"] + " is " + cell(b["status"]) + ": its host's agent restores its devices\n");
                        });
    if (exit_code == kExitOk && dwait->wait) exit_code = wait_for_server(*a, (*s)["sname"], true, dwait->timeout_s);
  });
  auto* server_list = leaf(server, "list", "List servers");
  server_list->add_option("--host", (*s)["lhost"], "only on this host");
  server_list->callback([a, s, &exit_code] {
    exit_code = perform(*a, "GET", "/v1/servers" + query({{"host", (*s)["lhost"]}}), nullptr,
                        [](const Json& b, Output& out) { out.objects(b["servers"], {"id", "status", "host", "flavor", "devices"}); });
  });

  auto* explain = leaf(&app, "explain", "Where a flavor fits and why not: the refused hosts grouped by reason, or with "
                                         "--per-host one verdict per host, a page at a time (client)");
  explain->add_option("--flavor", (*s)["eflavor"], "flavor name")->required();
  explain->add_option("--host", (*s)["ehost"], "only this host");
  auto per_host = std::make_shared<bool>(false);
  explain->add_flag("--per-host", *per_host, "one verdict per host, in name order");
  explain->add_option("--limit", (*s)["elimit"], "with --per-host: hosts per page (default 1000, at most 10000)");
  explain->add_option("--marker", (*s)["emarker"], "with --per-host: start after this host (the next page's marker)");
  explain->callback([a, s, per_host, &exit_code] {
    const std::string path = "/v1/explain" + query({{"flavor", (*s)["eflavor"]}, {"host", (*s)["ehost"]},
                                                    {"per_host", *per_host ? "true" : ""}, {"limit", (*s)["elimit"]},
                                                    {"marker", (*s)["emarker"]}});
    exit_code = perform(*a, "GET", path, nullptr, [per_host](const Json& b, Output& out) {
      std::string head = "flavor " + cell(b["flavor"]) + " fits on " + cell(b["fits_on"]) + " host(s)";
      if (b.contains("refused") && b["refused"].is_number() && b["refused"].get<size_t>() > 0) head += ", refused by " + cell(b["refused"]);
      out.text(head + "\n\n");
      if (b.contains("hosts") && b["hosts"].is_array()) {
        std::vector<std::vector<Json>> rows;
        for (const auto& h : b["hosts"]) {
          const std::string why = h.contains("reason") ? cell(h["reason"]) : "";
          rows.push_back({h["host"], h["fits"].get<bool>() ? "yes" : "no", out.is_table() ? table_reason(why) : why});
        }
        out.table({"host", "fits", "why not"}, rows);
        out.text("\n(whole reasons: -f json)\n");
        if (b.contains("next")) out.text("\nmore hosts: --marker " + cell(b["next"]) + "\n");
        return;
      }
      std::vector<std::vector<Json>> rows;
      for (const auto& g : b["why"]) {
        Json sample = g["sample"];
        if (out.is_table()) {
          std::string words;
          for (const auto& h : g["sample"]) words += (words.empty() ? "" : ", ") + cell(h);
          if (g["hosts"].get<size_t>() > g["sample"].size()) words += ", ...";
          sample = words;
        }
        rows.push_back({g["hosts"], g["reason"], sample});
      }
      if (!rows.empty() || !out.is_table()) out.table({"hosts", "why not", "for example"}, rows);
      if (!*per_host) out.text("\n(each host's own words: --per-host)\n");
    });
  });

  auto* capacity = leaf(&app, "capacity", "Free and total devices per alias, per host and for the fleet (client)");
  capacity->add_option("--host", (*s)["chost"], "only this host");
  capacity->callback([a, s, &exit_code] {
    exit_code = perform(*a, "GET", "/v1/capacity" + query({{"host", (*s)["chost"]}}), nullptr, [](const Json& b, Output& out) {
      std::vector<std::vector<Json>> rows;
      for (const auto& [alias_name, v] : b["fleet"].items()) rows.push_back({"(fleet)", alias_name, v["free"], v["total"]});
      for (const auto& h : b["hosts"])
        for (const auto& [alias_name, v] : h["aliases"].items()) rows.push_back({h["host"], alias_name, v["free"], v["total"]});
      out.table({"host", "alias", "free", "total"}, rows);
    });
  });

  auto* config = app.add_subcommand("config", "The server's PCI configuration (client)");
  config->require_subcommand(1);
  leaf(config, "show", "Show what the server runs with")->callback([a, &exit_code] {
    exit_code = perform(*a, "GET", "/v1/config", nullptr, [](const Json& b, Output& out) { out.fields(b); });
  });
  leaf(config, "reload", "Make the server re-read its --config file")->callback([a, &exit_code] {
    exit_code = perform(*a, "POST", "/v1/config/reload", nullptr, [](const Json& b, Output& out) { out.fields(b); });
  });
  // Local: reads a file as `pcipass server --config` would, without a server.
  auto* check = config->add_subcommand("check", "Read a nova.conf-style file as the server would: its warnings, and "
                                                "exit 2 if the server would not start on it (local, no server)");
  auto check_file = std::make_shared<std::string>();
  auto check_json = std::make_shared<bool>(false);
  check->add_option("file", *check_file, "configuration file ([pci] device_spec and alias lines)")->required();
  check->add_flag("--json", *check_json, "print JSON");
  check->callback([check_file, check_json, &exit_code] { exit_code = check_config_file(*check_file, *check_json); });
}

}  // namespace pcipass::app
