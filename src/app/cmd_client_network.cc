// The CLI client's projects, networks, ports and quotas, in the openstack client's
// words: `project create`, `network create --provider-network-type vlan
// --provider-physical-network P --provider-segment 10 [--project P | --share]`,
// `port create --network N --vnic-type direct|direct-physical`, `quota set P --devices
// gpu=2 --ports direct=8`.
#include <iostream>
#include <map>
#include <memory>

#include "adapters/api_client/api_client.h"
#include "app/client_support.h"
#include "app/commands.h"
#include "core/config_value.h"

namespace pcipass::app {
namespace {

struct TenancyArgs {
  std::map<std::string, std::string> text;
  std::optional<uint64_t> segment;
  bool share = false;
  std::optional<int64_t> servers, vcpus, ram;
  std::vector<std::string> devices, ports;
};

// A quota limit as the openstack client takes it: a count, or -1 for unlimited.
Json limit_json(int64_t n) { return n < 0 ? Json(nullptr) : Json(n); }

// --devices ALIAS=N / --ports VNIC=N into `body` under PREFIX:KEY.
Status add_pairs(Json& body, const std::vector<std::string>& pairs, const std::string& prefix, const char* option) {
  for (const auto& p : pairs) {
    const size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == p.size())
      return invalid(std::string(option) + " expects NAME=COUNT (COUNT -1: unlimited), got " + quote(p));
    const std::string count = p.substr(eq + 1);
    char* end = nullptr;
    const long long n = std::strtoll(count.c_str(), &end, 10);
    if (*end != '\0' || n < -1) return invalid(std::string(option) + " " + quote(p) + ": the count is a whole number, or -1 for unlimited");
    body[prefix + p.substr(0, eq)] = limit_json(n);
  }
  return ok_status();
}

void print_quotas(const Json& b, Output& out) {
  out.text("project " + cell(b["project_id"]) + "\n");
  out.objects(b["quotas"], {"resource", "limit", "used"});
}

}  // namespace

void register_tenancy_client(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ClientArgs>();
  auto t = std::make_shared<TenancyArgs>();
  auto leaf = [&](CLI::App* parent, const char* name, const char* help) {
    auto* c = parent->add_subcommand(name, help);
    add_common(c, *a);
    return c;
  };
  auto& s = t->text;
  auto path = [](const char* base, const std::string& name) { return std::string(base) + "/" + url_encode(name); };

  // ---- projects ----
  auto* project = app.add_subcommand("project", "Projects: tenants with their own servers, networks, ports and quotas (client)");
  project->require_subcommand(1);
  auto* project_create = leaf(project, "create", "Create a project (admin)");
  project_create->add_option("name", s["pname"], "project name")->required();
  project_create->add_option("--description", s["pdesc"], "what it is for");
  project_create->callback([a, t, &exit_code] {
    Json body{{"name", t->text["pname"]}};
    if (!t->text["pdesc"].empty()) body["description"] = t->text["pdesc"];
    exit_code = perform(*a, "POST", "/v1/projects", &body, [](const Json& b, Output& out) { out.fields(b); });
  });
  leaf(project, "list", "List projects (a member sees its own)")->callback([a, &exit_code] {
    exit_code = perform(*a, "GET", "/v1/projects", nullptr, [](const Json& b, Output& out) { out.objects(b["projects"], {"name", "description"}); });
  });
  auto* project_show = leaf(project, "show", "Show a project");
  project_show->add_option("name", s["pname"], "project name")->required();
  project_show->callback([a, t, path, &exit_code] {
    exit_code = perform(*a, "GET", path("/v1/projects", t->text["pname"]), nullptr, [](const Json& b, Output& out) { out.fields(b); });
  });
  auto* project_delete = leaf(project, "delete", "Delete a project that has no servers, networks, ports or tokens (admin)");
  project_delete->add_option("name", s["pname"], "project name")->required();
  project_delete->callback([a, t, path, &exit_code] {
    const std::string name = t->text["pname"];
    exit_code = perform(*a, "DELETE", path("/v1/projects", name), nullptr, [name](const Json&, Output& out) { out.text("deleted project " + name + "\n"); });
  });

  // ---- networks ----
  auto* network = app.add_subcommand("network", "Networks: a VLAN (or untagged) segment on a physical network (client)");
  network->require_subcommand(1);
  auto* network_create = leaf(network, "create", "Create a network (admin)");
  network_create->add_option("name", s["nname"], "network name")->required();
  network_create->add_option("--provider-network-type", s["ntype"], "vlan or flat")->required()->check(CLI::IsMember({"vlan", "flat"}));
  network_create->add_option("--provider-physical-network", s["nphys"],
                             "the physical network (a data network: device_spec's physical_network, or a host interface's)")
      ->required();
  network_create->add_option("--provider-segment", t->segment, "vlan: the VLAN id, 1 to 4094");
  auto* owner = network_create->add_option("--project", s["nproject"], "the project that owns it (default: the operators')");
  network_create->add_flag("--share", t->share, "every project may use it")->excludes(owner);
  network_create->callback([a, t, &exit_code] {
    Json body{{"name", t->text["nname"]}, {"provider:network_type", t->text["ntype"]}, {"provider:physical_network", t->text["nphys"]}};
    if (t->segment) body["provider:segmentation_id"] = *t->segment;
    if (!t->text["nproject"].empty()) body["project_id"] = t->text["nproject"];
    if (t->share) body["shared"] = true;
    exit_code = perform(*a, "POST", "/v1/networks", &body, [](const Json& b, Output& out) { out.fields(b); });
  });
  leaf(network, "list", "List networks (a member sees its project's and the shared ones)")->callback([a, &exit_code] {
    exit_code = perform(*a, "GET", "/v1/networks", nullptr, [](const Json& b, Output& out) {
      out.objects(b["networks"], {"name", "project_id", "shared", "provider:network_type", "provider:physical_network", "provider:segmentation_id"});
    });
  });
  auto* network_show = leaf(network, "show", "Show a network");
  network_show->add_option("name", s["nname"], "network name")->required();
  network_show->callback([a, t, path, &exit_code] {
    exit_code = perform(*a, "GET", path("/v1/networks", t->text["nname"]), nullptr, [](const Json& b, Output& out) { out.fields(b); });
  });
  auto* network_delete = leaf(network, "delete", "Delete a network that no port is on (admin)");
  network_delete->add_option("name", s["nname"], "network name")->required();
  network_delete->callback([a, t, path, &exit_code] {
    const std::string name = t->text["nname"];
    exit_code = perform(*a, "DELETE", path("/v1/networks", name), nullptr, [name](const Json&, Output& out) { out.text("deleted network " + name + "\n"); });
  });

  // ---- ports ----
  auto* port = app.add_subcommand("port", "Ports: a server's NIC on a network, as a VF (direct) or a whole PF (direct-physical) (client)");
  port->require_subcommand(1);
  auto* port_create = leaf(port, "create", "Create a port");
  port_create->add_option("name", s["oname"], "port name")->required();
  port_create->add_option("--network", s["onet"], "the network it is on")->required();
  port_create->add_option("--vnic-type", s["ovnic"], "direct (a VF, the default) or direct-physical (a whole PF)")
      ->check(CLI::IsMember({"direct", "direct-physical"}));
  port_create->add_option("--mac-address", s["omac"], "its MAC (default: fa:16:3e and three random bytes)");
  port_create->add_option("--project", s["oproject"], "admins: the project it belongs to (default: the network's)");
  port_create->callback([a, t, &exit_code] {
    Json body{{"name", t->text["oname"]}, {"network_id", t->text["onet"]}};
    if (!t->text["ovnic"].empty()) body["binding:vnic_type"] = t->text["ovnic"];
    if (!t->text["omac"].empty()) body["mac_address"] = t->text["omac"];
    if (!t->text["oproject"].empty()) body["project_id"] = t->text["oproject"];
    exit_code = perform(*a, "POST", "/v1/ports", &body, [](const Json& b, Output& out) { out.fields(b); });
  });
  leaf(port, "list", "List ports (a member sees its project's)")->callback([a, &exit_code] {
    exit_code = perform(*a, "GET", "/v1/ports", nullptr, [](const Json& b, Output& out) {
      out.objects(b["ports"], {"name", "project_id", "network_id", "binding:vnic_type", "mac_address", "server"});
    });
  });
  auto* port_show = leaf(port, "show", "Show a port");
  port_show->add_option("name", s["oname"], "port name")->required();
  port_show->callback([a, t, path, &exit_code] {
    exit_code = perform(*a, "GET", path("/v1/ports", t->text["oname"]), nullptr, [](const Json& b, Output& out) { out.fields(b); });
  });
  auto* port_delete = leaf(port, "delete", "Delete a port that no server holds");
  port_delete->add_option("name", s["oname"], "port name")->required();
  port_delete->callback([a, t, path, &exit_code] {
    const std::string name = t->text["oname"];
    exit_code = perform(*a, "DELETE", path("/v1/ports", name), nullptr, [name](const Json&, Output& out) { out.text("deleted port " + name + "\n"); });
  });

  // ---- quotas ----
  auto* quota = app.add_subcommand("quota", "A project's quotas: servers, vCPUs, memory, devices per alias, ports per vnic type (client)");
  quota->require_subcommand(1);
  auto* quota_set = leaf(quota, "set", "Set a project's quotas (admin); a count of -1 removes the limit");
  quota_set->add_option("project", s["qproject"], "project name")->required();
  quota_set->add_option("--servers,--instances", t->servers, "servers");
  quota_set->add_option("--vcpus,--cores", t->vcpus, "vCPUs");
  quota_set->add_option("--ram", t->ram, "memory in MB");
  quota_set->add_option("--devices", t->devices, "ALIAS=COUNT: devices of a [pci] alias (repeatable)");
  quota_set->add_option("--ports", t->ports, "VNIC_TYPE=COUNT: ports of a vnic type, direct or direct-physical (repeatable)");
  quota_set->callback([a, t, path, &exit_code] {
    Json body = Json::object();
    if (t->servers) body["servers"] = limit_json(*t->servers);
    if (t->vcpus) body["vcpus"] = limit_json(*t->vcpus);
    if (t->ram) body["memory_mb"] = limit_json(*t->ram);
    for (auto st : {add_pairs(body, t->devices, "devices:", "--devices"), add_pairs(body, t->ports, "ports:", "--ports")})
      if (!st) {
        std::cerr << "pcipass quota set: " << st.error().describe() << "\n";
        exit_code = kExitInvalidInput;
        return;
      }
    if (body.empty()) {
      std::cerr << "pcipass quota set: name at least one quota (--servers, --vcpus, --ram, --devices, --ports)\n";
      exit_code = kExitInvalidInput;
      return;
    }
    exit_code = perform(*a, "PUT", path("/v1/projects", t->text["qproject"]) + "/quotas", &body, print_quotas);
  });
  auto* quota_show = leaf(quota, "show", "Show a project's quotas and what it uses");
  quota_show->add_option("project", s["qproject"], "project name")->required();
  quota_show->callback([a, t, path, &exit_code] {
    exit_code = perform(*a, "GET", path("/v1/projects", t->text["qproject"]) + "/quotas", nullptr, print_quotas);
  });
}

}  // namespace pcipass::app
