// pcipass apply HOSTCONFIG: bring the host to a declared state (VF counts, devices on
// vfio-pci), show the plan, and report drift.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "adapters/json/config_value_json.h"
#include "adapters/sysfs/posix_sysfs_reader.h"
#include "adapters/sysfs/posix_sysfs_writer.h"
#include "app/commands.h"
#include "app/terminal_progress.h"
#include "app/plan_output.h"
#include "host/apply.h"

namespace pcipass::app {
namespace {

struct ApplyArgs {
  std::string file;
  bool dry_run = false;
  bool drift = false;
  std::string sysfs_root = "/";
};

int run_apply(const ApplyArgs& args) {
  std::ifstream in(args.file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "pcipass apply: cannot open %s\n", args.file.c_str());
    return kExitInvalidInput;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  auto root = parse_json(buf.str());
  if (!root) {
    std::fprintf(stderr, "pcipass apply: %s: %s\n", args.file.c_str(), root.error().describe().c_str());
    return kExitInvalidInput;
  }
  auto config = parse_host_config(*root);
  if (!config) {
    std::fprintf(stderr, "pcipass apply: %s: %s\n", args.file.c_str(), config.error().describe().c_str());
    return kExitInvalidInput;
  }
  PosixSysfsReader reader(args.sysfs_root);
  if (!reader.exists("sys/bus/pci/devices")) {
    std::fprintf(stderr, "pcipass apply: %ssys/bus/pci/devices does not exist\n", reader.root().c_str());
    return kExitInvalidInput;
  }
  Discovery now = discover(reader);
  if (args.drift) {
    auto drift = find_drift(*config, reader, now);
    for (const auto& d : drift) std::printf("drift: %s\n", d.c_str());
    std::printf("%s\n", drift.empty() ? "the host matches the config" : (std::to_string(drift.size()) + " difference(s)").c_str());
    return drift.empty() ? kExitOk : kExitMismatch;
  }
  auto sriov = plan_apply_sriov(*config, reader, now);
  if (!sriov) {
    std::fprintf(stderr, "pcipass apply: %s\n", sriov.error().describe().c_str());
    return kExitInvalidInput;
  }
  auto bind = plan_apply_bind(*config, reader, now);
  if (!bind) {
    std::fprintf(stderr, "pcipass apply: %s\n", bind.error().describe().c_str());
    return kExitInvalidInput;
  }
  // A declared device that is not here, and that no VFs about to be made can bring, makes
  // the host unable to match the config: refused before anything runs.
  if (auto missing = missing_passthrough(*config, now); !missing.empty() && sriov->steps.empty()) {
    for (const auto& m : missing) std::fprintf(stderr, "pcipass apply: %s\n", m.c_str());
    std::fprintf(stderr, "pcipass apply: refused: the host cannot match the config (see pcipass discover)\n");
    return kExitInvalidInput;
  }
  std::printf("plan:\n");
  size_t number = print_plan(*sriov, args.dry_run, 1, false);
  number += print_plan(*bind, args.dry_run, number + 1, false);
  if (!sriov->steps.empty())
    std::printf("  (devices the new VFs bring are matched again after they appear)\n");
  if (number == 0) {
    std::printf("nothing to do: the host matches the config\n");
    return kExitOk;
  }
  if (args.dry_run) return kExitOk;
  PosixSysfsWriter writer(args.sysfs_root);
  TerminalProgress progress("pcipass apply");
  const Progress shown = progress.callback();
  ApplyOutcome out = apply(*config, reader, writer, &shown);
  progress.clear();
  return report_outcome("apply", out.failure, out.rolled_back, out.rollback_errors);
}

}  // namespace

void register_apply(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ApplyArgs>();
  CLI::App* cmd = app.add_subcommand("apply", "Bring the host to a declared state: VF counts and devices on vfio-pci "
                                              "(exit 0 done or in line, 1 failed and rolled back or drift, 2 refused)");
  cmd->add_option("HOSTCONFIG", args->file, "JSON file, format pcipass-host/1")->required();
  cmd->add_flag("--dry-run", args->dry_run, "show the plan, change nothing");
  cmd->add_flag("--drift", args->drift, "only report how the host differs from the config (exit 1 if it does)");
  cmd->add_option("--sysfs-root", args->sysfs_root, "root holding sys/ and etc/; default /");
  cmd->callback([args, &exit_code] { exit_code = run_apply(*args); });
}

}  // namespace pcipass::app
