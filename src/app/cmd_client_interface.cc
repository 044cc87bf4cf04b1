// The CLI client's host interfaces, in StarlingX's words: `host interface set HOST
// IFNAME|ADDRESS --class pci-sriov --vfs 8 --datanetwork group0-data0` (also
// pci-passthrough, and none to give it back to the host) on a locked host, and `host
// interface list HOST`.
#include <iostream>
#include <memory>
#include <optional>

#include "adapters/api_client/api_client.h"
#include "app/client_support.h"

namespace pcipass::app {
namespace {

struct InterfaceArgs {
  std::string host, name, cls, datanetwork;
  std::optional<uint32_t> vfs;
};

// One interface as a table row: SR-IOV said in words, the VF count with what is wanted.
Json interface_row(const Json& i) {
  Json row = i;
  const uint64_t total = i.value("sriov_totalvfs", uint64_t{0});
  row["sriov_totalvfs"] = total == 0 ? Json("no SR-IOV") : Json(total);
  std::string vfs = std::to_string(i.value("sriov_numvfs", uint64_t{0}));
  if (i.contains("vfs_wanted") && i["vfs_wanted"].is_number_unsigned() && i["vfs_wanted"].get<uint64_t>() != i.value("sriov_numvfs", uint64_t{0}))
    vfs += " (set to " + std::to_string(i["vfs_wanted"].get<uint64_t>()) + ": its agent sets it while the host is locked)";
  row["vfs"] = total == 0 ? Json("-") : Json(vfs);
  return row;
}

const std::vector<std::string> kColumns = {"name", "address", "class", "datanetworks", "sriov_totalvfs", "vfs", "link", "physical_networks", "held_by"};

}  // namespace

void add_host_interface_commands(CLI::App& host, int& exit_code) {
  auto a = std::make_shared<ClientArgs>();
  auto t = std::make_shared<InterfaceArgs>();
  auto* iface = host.add_subcommand("interface", "A host's interfaces: their class, data network and VF count (client)");
  iface->require_subcommand(1);

  auto* list = iface->add_subcommand("list", "List a host's interfaces: class, data networks, sriov_totalvfs or \"no SR-IOV\", VF count, link");
  add_common(list, *a);
  list->add_option("host", t->host, "host name")->required();
  list->callback([a, t, &exit_code] {
    exit_code = perform(*a, "GET", "/v1/hosts/" + url_encode(t->host) + "/interfaces", nullptr, [](const Json& b, Output& out) {
      Json rows = Json::array();
      for (const auto& i : b["interfaces"]) rows.push_back(interface_row(i));
      out.objects(rows, kColumns);
    });
  });

  auto* set = iface->add_subcommand("set", "Set an interface's class on a locked host; its agent carries out the VF count (admin)");
  add_common(set, *a);
  set->add_option("host", t->host, "host name")->required();
  set->add_option("interface", t->name, "interface name (eno2) or full PCI address of the device")->required();
  set->add_option("--class", t->cls, "pci-sriov (VFs to VMs), pci-passthrough (the whole device to one VM), none (the host's)")
      ->required()
      ->check(CLI::IsMember({"pci-sriov", "pci-passthrough", "none"}));
  set->add_option("--vfs", t->vfs, "pci-sriov: the number of VFs, 1 to sriov_totalvfs");
  set->add_option("--datanetwork", t->datanetwork, "the data network it serves (the physical_network of its VFs or of itself)");
  set->callback([a, t, &exit_code] {
    Json body{{"class", t->cls}};
    if (!t->datanetwork.empty()) body["datanetwork"] = t->datanetwork;
    if (t->vfs) body["vfs"] = *t->vfs;
    exit_code = perform(*a, "PUT", "/v1/hosts/" + url_encode(t->host) + "/interfaces/" + url_encode(t->name), &body, [](const Json& b, Output& out) {
      out.objects(Json::array({interface_row(b)}), kColumns);
    });
  });
}

}  // namespace pcipass::app
