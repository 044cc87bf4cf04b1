// pcipass bind / unbind: per-device vfio-pci binding by driver_override, whole IOMMU
// groups, optionally persistent (driverctl-compatible), with rollback on failure.
#include <cstdio>
#include <iostream>

#include "adapters/sysfs/posix_sysfs_reader.h"
#include "adapters/sysfs/posix_sysfs_writer.h"
#include "app/commands.h"
#include "app/plan_output.h"
#include "host/binding.h"
#include "host/plan_executor.h"

namespace pcipass::app {
namespace {

struct BindArgs {
  std::vector<std::string> addresses;
  std::string sysfs_root = "/";
  bool dry_run = false;
  BindOptions bind;
  UnbindOptions unbind;
};

Result<std::vector<PciAddress>> parse_addresses(const std::vector<std::string>& text) {
  std::vector<PciAddress> out;
  for (const auto& t : text) {
    auto a = PciAddress::parse(t);
    if (!a) return invalid(t + ": " + a.error().message() + " (full addresses only, as lspci -D prints them)");
    out.push_back(*a);
  }
  return out;
}

int report(const BindPlan& plan, bool dry_run, PosixSysfsWriter* writer, const PosixSysfsReader& reader, const char* verb) {
  if (print_plan(plan, dry_run) == 0) {
    std::printf("nothing to do\n");
    return kExitOk;
  }
  if (dry_run) return kExitOk;
  Execution ex = execute(plan, *writer, reader);
  return report_outcome(verb, ex.failure, ex.rolled_back, ex.rollback_errors);
}

int run(const BindArgs& args, bool binding) {
  const char* verb = binding ? "bind" : "unbind";
  auto addresses = parse_addresses(args.addresses);
  if (!addresses) {
    std::fprintf(stderr, "pcipass %s: %s\n", verb, addresses.error().message().c_str());
    return kExitInvalidInput;
  }
  PosixSysfsReader reader(args.sysfs_root);
  if (!reader.exists("sys/bus/pci/devices")) {
    std::fprintf(stderr, "pcipass %s: %ssys/bus/pci/devices does not exist\n", verb, reader.root().c_str());
    return kExitInvalidInput;
  }
  Discovery d = discover(reader);
  auto state = read_device_states(reader, d, find_host_critical(reader, d));
  Result<BindPlan> plan = invalid("");
  if (binding) {
    std::optional<std::string> rule;
    if (auto r = reader.read(std::string(kVfioUdevRule))) rule = *r;
    plan = plan_bind(*addresses, state, args.bind, reader.exists("sys/bus/pci/drivers/" + args.bind.driver), rule);
  } else {
    plan = plan_unbind(*addresses, state, args.unbind);
  }
  if (!plan) {
    std::fprintf(stderr, "pcipass %s: %s\n", verb, plan.error().message().c_str());
    return kExitInvalidInput;
  }
  PosixSysfsWriter writer(args.sysfs_root);
  return report(*plan, args.dry_run, &writer, reader, verb);
}

}  // namespace

void register_bind(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<BindArgs>();
  CLI::App* bind = app.add_subcommand("bind", "Bind devices (and the rest of their IOMMU groups) to vfio-pci "
                                              "by driver_override; exit 0 done, 1 failed and rolled back, 2 refused");
  bind->add_option("ADDR", args->addresses, "full PCI addresses (DDDD:BB:SS.F)")->required();
  bind->add_flag("--persist", args->bind.persist, "keep it across reboots (driverctl's /etc/driverctl.d files) and "
                                                    "install a udev rule for /dev/vfio/N");
  bind->add_flag("--force", args->bind.force, "allow devices the host depends on and partial IOMMU groups");
  bind->add_option("--driver", args->bind.driver, "driver to bind (default vfio-pci)");
  bind->add_option("--vfio-group", args->bind.vfio_group, "group owning /dev/vfio/N with --persist (default kvm)");
  bind->add_option("--vfio-mode", args->bind.vfio_mode, "mode of /dev/vfio/N with --persist (default 0660)");
  bind->add_flag("--dry-run", args->dry_run, "print the plan, change nothing");
  bind->add_option("--sysfs-root", args->sysfs_root, "root holding sys/ and etc/; default /");
  bind->callback([args, &exit_code] { exit_code = run(*args, true); });

  auto uargs = std::make_shared<BindArgs>();
  CLI::App* unbind = app.add_subcommand("unbind", "Release devices from their driver and clear pcipass's overrides");
  unbind->add_option("ADDR", uargs->addresses, "full PCI addresses (DDDD:BB:SS.F)")->required();
  unbind->add_flag("--restore", uargs->unbind.restore, "re-probe so the host driver binds the device again");
  unbind->add_flag("--dry-run", uargs->dry_run, "print the plan, change nothing");
  unbind->add_option("--sysfs-root", uargs->sysfs_root, "root holding sys/ and etc/; default /");
  unbind->callback([uargs, &exit_code] { exit_code = run(*uargs, false); });
}

}  // namespace pcipass::app
