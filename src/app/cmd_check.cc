// pcipass check: is this host ready for PCI passthrough? Exit 0 ready, 1 not ready.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "adapters/sysfs/posix_sysfs_reader.h"
#include "app/commands.h"
#include "host/readiness.h"

namespace pcipass::app {
namespace {

struct CheckArgs {
  bool json = false;
  bool all = false;
  std::string sysfs_root = "/";
};

int run_check(const CheckArgs& args) {
  PosixSysfsReader sysfs(args.sysfs_root);
  if (!sysfs.exists("sys/bus/pci")) {
    std::cerr << "pcipass check: " << sysfs.root() << "sys/bus/pci does not exist (is " << sysfs.root()
              << " a sysfs root?)\n";
    return kExitInvalidInput;
  }
  Discovery d = discover(sysfs);
  auto critical = find_host_critical(sysfs, d);
  Readiness r = check_readiness(sysfs, d, critical);
  if (args.json) {
    nlohmann::ordered_json j;
    j["ready"] = r.ready();
    j["items"] = nlohmann::ordered_json::array();
    for (const auto& i : r.items)
      j["items"].push_back({{"name", i.name}, {"status", to_string(i.status)}, {"detail", i.detail}, {"fix", i.fix}});
    std::cout << j.dump(2) << "\n";
    return r.ready() ? kExitOk : kExitMismatch;
  }
  size_t quiet_groups = 0;
  for (const auto& i : r.items) {
    const bool group = i.name.rfind("group ", 0) == 0 || i.name.rfind("host-device ", 0) == 0;
    if (group && i.status == CheckStatus::Ok && !args.all) {
      ++quiet_groups;
      continue;
    }
    const char* tag = i.status == CheckStatus::Ok ? "[ ok ]" : i.status == CheckStatus::Warn ? "[warn]" : "[FAIL]";
    std::printf("%s %s: %s\n", tag, i.name.c_str(), i.detail.c_str());
    if (!i.fix.empty() && i.status != CheckStatus::Ok) std::printf("       fix: %s\n", i.fix.c_str());
  }
  if (quiet_groups)
    std::printf("[ ok ] %zu more item%s (IOMMU groups, devices the host keeps for itself) %s fine (--all lists them)\n",
                quiet_groups, quiet_groups == 1 ? "" : "s", quiet_groups == 1 ? "is" : "are");
  std::printf("%s\n", r.ready() ? "ready for PCI passthrough" : "NOT ready for PCI passthrough");
  return r.ready() ? kExitOk : kExitMismatch;
}

}  // namespace

void register_check(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand("check", "Is this host ready for PCI passthrough? (read-only; exit 0 ready, 1 not)");
  cmd->add_flag("--json", args->json, "machine-readable items");
  cmd->add_flag("--all", args->all, "also list every IOMMU group that is fine");
  cmd->add_option("--sysfs-root", args->sysfs_root, "root holding sys/ and proc/; default /");
  cmd->callback([args, &exit_code] { exit_code = run_check(*args); });
}

}  // namespace pcipass::app
