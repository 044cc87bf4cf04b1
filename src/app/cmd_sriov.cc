// pcipass sriov ADDR N: set a PF's VF count (through 0, as the kernel requires).
#include <cstdio>
#include <cstdlib>

#include "adapters/sysfs/posix_sysfs_reader.h"
#include "adapters/sysfs/posix_sysfs_writer.h"
#include "app/commands.h"
#include "app/plan_output.h"
#include "host/binding.h"
#include "host/plan_executor.h"

namespace pcipass::app {
namespace {

struct SriovArgs {
  std::string address;
  int64_t count = -1;
  bool no_autoprobe = false;
  bool dry_run = false;
  std::string sysfs_root = "/";
  SriovOptions options;
};

int run_sriov(const SriovArgs& args) {
  auto pf = PciAddress::parse(args.address);
  if (!pf) {
    std::fprintf(stderr, "pcipass sriov: %s: %s (full addresses only)\n", args.address.c_str(), pf.error().message().c_str());
    return kExitInvalidInput;
  }
  if (args.count < 0 || args.count > 65535) {
    std::fprintf(stderr, "pcipass sriov: the VF count must be 0 to 65535, got %lld\n", static_cast<long long>(args.count));
    return kExitInvalidInput;
  }
  PosixSysfsReader reader(args.sysfs_root);
  Discovery d = discover(reader);
  auto state = read_pf_state(reader, d, *pf);
  if (!state) {
    std::fprintf(stderr, "pcipass sriov: %s\n", state.error().message().c_str());
    return kExitInvalidInput;
  }
  SriovOptions o = args.options;
  o.autoprobe = !args.no_autoprobe;
  std::optional<std::string> rules;
  if (auto r = reader.read(std::string(kSriovUdevRules))) rules = *r;
  auto plan = plan_sriov(*state, static_cast<uint32_t>(args.count), o, rules);
  if (!plan) {
    std::fprintf(stderr, "pcipass sriov: %s\n", plan.error().message().c_str());
    return kExitInvalidInput;
  }
  if (print_plan(*plan, args.dry_run) == 0) {
    std::printf("nothing to do\n");
    return kExitOk;
  }
  if (args.dry_run) return kExitOk;
  PosixSysfsWriter writer(args.sysfs_root);
  Execution ex = execute(*plan, writer, reader);
  return report_outcome("sriov", ex.failure, ex.rolled_back, ex.rollback_errors);
}

}  // namespace

void register_sriov(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<SriovArgs>();
  CLI::App* cmd = app.add_subcommand("sriov", "Set the number of VFs of an SR-IOV PF (exit 0 done, 1 rolled back, 2 refused)");
  cmd->add_option("ADDR", args->address, "full PCI address of the PF")->required();
  cmd->add_option("N", args->count, "number of VFs (0 removes them)")->required();
  cmd->add_flag("--persist", args->options.persist, "set the count again at boot (udev rule, when the PF's driver binds)");
  cmd->add_flag("--no-autoprobe", args->no_autoprobe, "leave new VFs without a driver, ready for vfio-pci");
  cmd->add_flag("--force", args->options.force, "remove VFs even if some are bound to vfio-pci");
  cmd->add_flag("--dry-run", args->dry_run, "print the plan, change nothing");
  cmd->add_option("--sysfs-root", args->sysfs_root, "root holding sys/ and etc/; default /");
  cmd->callback([args, &exit_code] { exit_code = run_sriov(*args); });
}

}  // namespace pcipass::app
