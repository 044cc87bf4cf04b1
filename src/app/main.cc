// pcipass: PCI passthrough scheduling for KVM fleets. One binary, subcommands.
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/commands.h"
#include "pcipass_version.h"

int main(int argc, char** argv) {
  CLI::App app{"pcipass: give VMs physical PCI devices (whole devices, SR-IOV PFs and VFs) across a KVM fleet"};
  app.set_version_flag("--version", std::string("pcipass ") + PCIPASS_VERSION);
  app.require_subcommand(1);
  int exit_code = pcipass::app::kExitOk;
  pcipass::app::register_simulate(app, exit_code);
  pcipass::app::register_discover(app, exit_code);
  pcipass::app::register_check(app, exit_code);
  pcipass::app::register_bind(app, exit_code);
  pcipass::app::register_sriov(app, exit_code);
  pcipass::app::register_apply(app, exit_code);
  pcipass::app::register_server(app, exit_code);
  pcipass::app::register_token(app, exit_code);
  pcipass::app::register_agent(app, exit_code);
  pcipass::app::register_client(app, exit_code);
  pcipass::app::register_tenancy_client(app, exit_code);
  pcipass::app::register_completion(app, exit_code);
  pcipass::app::register_man(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return pcipass::app::kExitInvalidInput;
  }
  return exit_code;
}
