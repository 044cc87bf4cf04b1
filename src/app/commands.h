#pragma once
// Subcommand registration. Each returns the process exit status via `exit_code`.
#include <CLI/CLI.hpp>

namespace pcipass::app {

// Exit statuses shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitMismatch = 1;      // ran, but an expectation failed
inline constexpr int kExitInvalidInput = 2;  // bad input or usage; nothing was run
inline constexpr int kExitInternal = 3;      // an invariant broke: a bug in pcipass

void register_simulate(CLI::App& app, int& exit_code);
void register_discover(CLI::App& app, int& exit_code);
void register_check(CLI::App& app, int& exit_code);
void register_bind(CLI::App& app, int& exit_code);
void register_sriov(CLI::App& app, int& exit_code);
void register_apply(CLI::App& app, int& exit_code);
void register_server(CLI::App& app, int& exit_code);
void register_token(CLI::App& app, int& exit_code);

}  // namespace pcipass::app
