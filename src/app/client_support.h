#pragma once
// What the CLI client's command files share: the common options, the one call that
// prints a result (client_output.h) and sets the exit status.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app/client_output.h"

#include <functional>
#include <string>
#include <vector>

namespace pcipass::app {

using Json = nlohmann::ordered_json;

struct ClientArgs {
  std::string url;
  std::string token_file;
  bool json = false;
  std::string format = "table";
  std::vector<std::string> columns;
};

// --url, --token-file, --json, -f/--format, -c/--column.
void add_common(CLI::App* cmd, ClientArgs& args);
// Calls the server; on success `show` prints the answer through an Output of the
// command's -f and -c (with --json, the server's answer is printed instead); on failure
// the error is said and its exit status returned.
int perform(const ClientArgs& args, const std::string& method, const std::string& path, const Json* body,
            const std::function<void(const Json&, Output&)>& show);

// `host interface list|set` under `host` (cmd_client_interface.cc).
void add_host_interface_commands(CLI::App& host, int& exit_code);

}  // namespace pcipass::app
