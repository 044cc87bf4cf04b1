#pragma once
// Subcommand registration. Each returns the process exit status via `exit_code`.
#include <CLI/CLI.hpp>

namespace pcipass::app {

// Exit statuses shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitMismatch = 1;      // ran, but an expectation failed
inline constexpr int kExitInvalidInput = 2;  // bad input or usage; nothing was run
inline constexpr int kExitInternal = 3;      // an invariant broke: a bug in pcipass
// The client's statuses for what the server answered (2 covers a 400 too).
inline constexpr int kExitClientNotFound = 4;     // 404: no such host, device, flavor, server
inline constexpr int kExitClientConflict = 5;     // 409: no valid host, name taken, lost race
inline constexpr int kExitClientDenied = 6;       // 401/403: missing, unknown or too weak token
inline constexpr int kExitClientUnavailable = 7;  // unreachable server or 5xx
inline constexpr int kExitClientServerError = 8;  // --wait: the server ended in error
inline constexpr int kExitClientTimeout = 9;      // --wait: not settled within --timeout
inline constexpr int kExitClientOverQuota = 10;   // 403 OverQuota: the project's quota would be exceeded

void register_simulate(CLI::App& app, int& exit_code);
void register_discover(CLI::App& app, int& exit_code);
void register_check(CLI::App& app, int& exit_code);
void register_bind(CLI::App& app, int& exit_code);
void register_sriov(CLI::App& app, int& exit_code);
void register_apply(CLI::App& app, int& exit_code);
void register_server(CLI::App& app, int& exit_code);
void register_token(CLI::App& app, int& exit_code);
void register_client(CLI::App& app, int& exit_code);
void register_tenancy_client(CLI::App& app, int& exit_code);
void register_agent(CLI::App& app, int& exit_code);
// Registered last: it reads the whole command tree.
void register_completion(CLI::App& app, int& exit_code);
void register_man(CLI::App& app, int& exit_code);

}  // namespace pcipass::app
