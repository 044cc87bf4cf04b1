// pcipass bind / unbind: per-device vfio-pci binding by driver_override, whole IOMMU
// groups, optionally persistent (id-keyed udev rules, driverctl's files on request), with
// rollback on failure; --rekey moves persisted bindings to their devices' new addresses.
#include <cstdio>
#include <iostream>

#include "adapters/sysfs/posix_sysfs_reader.h"
#include "adapters/sysfs/posix_sysfs_writer.h"
#include "app/commands.h"
#include "app/plan_output.h"
#include "host/binding.h"
#include "host/host_critical.h"
#include "host/persistence.h"
#include "host/plan_executor.h"

namespace pcipass::app {
namespace {

struct BindArgs {
  std::vector<std::string> addresses;
  std::string sysfs_root = "/";
  bool dry_run = false;
  bool rekey = false;
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

// bind --rekey: each persisted binding whose device (ids and fingerprint) sits at another
// address now is bound there and persisted there, and forgotten at the old address.
int rekey(const BindArgs& args, const PosixSysfsReader& reader, PosixSysfsWriter& writer) {
  bool any = false;
  for (int round = 0; round < 16; ++round) {  // one driver per round, reading the files anew
    Discovery d = discover(reader);
    const auto critical = find_host_critical(reader, d);
    const PersistenceFiles files = read_persistence_files(reader);
    const auto findings = persistence_findings(files, d, critical);
    BindOptions o = args.bind;
    o.persist = true;
    std::vector<PciAddress> to;
    const BindRules rules = parse_bind_rules(files.bind_rules.value_or(""));
    for (const auto& f : findings) {
      if (!f.moved_to || (!to.empty() && f.driver != o.driver)) continue;
      o.driver = f.driver;
      if (const PersistedBinding* b = binding_at(rules.bindings, f.address)) o.driverctl = o.driverctl || b->driverctl;
      o.forget.push_back(f.address);
      to.push_back(*f.moved_to);
      std::printf("%s moved to %s: re-keying its %s binding\n", f.address.to_string().c_str(), f.moved_to->to_string().c_str(),
                  f.driver.c_str());
    }
    if (to.empty()) {
      for (const auto& f : findings) std::printf("not re-keyed: %s\n", f.text.c_str());
      if (!any) std::printf("nothing to re-key\n");
      return kExitOk;
    }
    any = true;
    auto plan = plan_bind(to, read_device_states(reader, d, critical), o, reader.exists("sys/bus/pci/drivers/" + o.driver), files);
    if (!plan) {
      std::fprintf(stderr, "pcipass bind --rekey: %s\n", plan.error().message().c_str());
      return kExitInvalidInput;
    }
    if (int rc = report(*plan, args.dry_run, &writer, reader, "bind --rekey"); rc != kExitOk || args.dry_run) return rc;
  }
  return kExitOk;
}

int run(const BindArgs& args, bool binding) {
  const char* verb = binding ? "bind" : "unbind";
  if (binding && args.rekey != args.addresses.empty()) {
    std::fprintf(stderr, "pcipass bind: %s\n", args.rekey ? "--rekey takes no addresses: it finds the devices that moved"
                                                          : "no device given (full PCI addresses, or --rekey)");
    return kExitInvalidInput;
  }
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
  if (args.rekey) {
    PosixSysfsWriter writer(args.sysfs_root);
    return rekey(args, reader, writer);
  }
  Discovery d = discover(reader);
  auto state = read_device_states(reader, d, find_host_critical(reader, d));
  Result<BindPlan> plan = invalid("");
  const PersistenceFiles files = read_persistence_files(reader);
  if (binding) plan = plan_bind(*addresses, state, args.bind, reader.exists("sys/bus/pci/drivers/" + args.bind.driver), files);
  else plan = plan_unbind(*addresses, state, args.unbind, files);
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
  bind->add_option("ADDR", args->addresses, "full PCI addresses (DDDD:BB:SS.F)");
  bind->add_flag("--rekey", args->rekey, "move each persisted binding whose device now sits at another address (same ids and "
                                         "fingerprint: VPD serial, slot or ACPI index) there, binding it now; `check` lists them");
  CLI::Option* persist = bind->add_flag("--persist", args->bind.persist, "keep it across reboots: a udev rule per device that binds it at boot only "
                                                  "while its address holds the same device (ids), and "
                                                    "install a udev rule for /dev/vfio/N");
  bind->add_flag("--driverctl", args->bind.driverctl, "with --persist, also write driverctl's /etc/driverctl.d file, for "
                                                      "tools that read it. RISK: driverctl binds by address alone, so after a "
                                                      "re-enumeration (a card added, a BIOS change) it binds whatever device then sits "
                                                      "there, possibly the host's own NIC; `pcipass check` flags such a file")
      ->needs(persist);
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
  unbind->add_flag("--persisted-only", uargs->unbind.persisted_only,
                   "only forget the persisted override (pcipass's rule, driverctl's file) for each address, leaving whatever "
                   "device is there as it is");
  unbind->add_flag("--dry-run", uargs->dry_run, "print the plan, change nothing");
  unbind->add_option("--sysfs-root", uargs->sysfs_root, "root holding sys/ and etc/; default /");
  unbind->callback([uargs, &exit_code] { exit_code = run(*uargs, false); });
}

}  // namespace pcipass::app
