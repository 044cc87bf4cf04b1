#pragma once
// What the CLI client's command files share: the common options, the one call that
// prints a result (a table for people, the JSON with --json) and sets the exit status.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace pcipass::app {

using Json = nlohmann::ordered_json;

struct ClientArgs {
  std::string url;
  std::string token_file;
  bool json = false;
};

// --url, --token-file, --json.
void add_common(CLI::App* cmd, ClientArgs& args);
// One value as a table cell ("-" for null and empty lists).
std::string cell(const Json& value);
// Rows of `list` (an array of objects) with the given columns.
void print_objects(const Json& list, const std::vector<std::string>& columns);
// One object as Field/Value rows, but for `skip`.
void print_fields(const Json& object, const std::vector<std::string>& skip = {});
// Calls the server; on success `show` prints the answer (unless --json); on failure the
// error is said and its exit status returned.
int perform(const ClientArgs& args, const std::string& method, const std::string& path, const Json* body,
            const std::function<void(const Json&)>& show);

// `host interface list|set` under `host` (cmd_client_interface.cc).
void add_host_interface_commands(CLI::App& host, int& exit_code);

}  // namespace pcipass::app
