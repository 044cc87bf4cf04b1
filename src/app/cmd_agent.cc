// pcipass agent: discovers this host's PCI devices and reports them to the server at
// start, whenever the inventory changes (checked every --poll seconds) and at least
// every --interval seconds. Read-only on the host: it never writes sysfs.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "adapters/api_client/api_client.h"
#include "adapters/json/config_value_json.h"
#include "adapters/sysfs/posix_sysfs_reader.h"
#include "app/commands.h"
#include "app/exit_status.h"
#include "host/discovery.h"
#include "host/host_facts.h"
#include "core/host_report.h"

namespace pcipass::app {
namespace {

struct AgentArgs {
  std::string server;
  std::string token_file;
  std::string host;
  std::string sysfs_root = "/";
  uint32_t interval_s = 300;
  uint32_t poll_s = 10;
  bool once = false;
};

volatile sig_atomic_t g_stop = 0;  // set by SIGINT/SIGTERM only
void on_signal(int) { g_stop = 1; }

int run_agent(const AgentArgs& args) {
  auto endpoint = resolve_endpoint(args.server, args.token_file, false);
  if (!endpoint) {
    std::cerr << "pcipass agent: " << endpoint.error().describe() << "\n";
    return kExitInvalidInput;
  }
  std::string name = args.host;
  if (name.empty()) {
    char buf[256] = {};
    gethostname(buf, sizeof buf - 1);
    name = buf;
  }
  PosixSysfsReader sysfs(args.sysfs_root);
  if (!sysfs.exists("sys/bus/pci/devices")) {
    std::cerr << "pcipass agent: " << sysfs.root() << "sys/bus/pci/devices does not exist\n";
    return kExitInvalidInput;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  ApiClient client(std::move(*endpoint));
  std::string last_sent;
  auto last_time = std::chrono::steady_clock::now() - std::chrono::hours(24);
  uint32_t backoff = 1;
  while (!g_stop) {
    const Discovery d = discover(sysfs);
    const auto critical = find_host_critical(sysfs, d);
    const nlohmann::ordered_json report = to_json(host_report_value(host_report_of(sysfs, d, critical, check_readiness(sysfs, d, critical))));
    const std::string body = report.dump();
    const auto now = std::chrono::steady_clock::now();
    const bool due = body != last_sent || now - last_time >= std::chrono::seconds(args.interval_s);
    int code = kExitOk;
    if (due) {
      ApiReply r = client.call("PUT", "/v1/hosts/" + url_encode(name), &report);
      if (!r.ok()) {
        std::cerr << "pcipass agent: the report of " << name << " was not taken: " << r.error->describe() << std::endl;
        code = client_exit_status(r.error->code());
      } else {
        std::cout << "pcipass agent: reported " << d.devices.size() << " devices of " << name << " (" << (body == last_sent ? "periodic" : "changed")
                  << ")" << std::endl;
        if (r.body.contains("notes") && r.body["notes"].is_array())
          for (const auto& n : r.body["notes"])
            if (n.is_string()) std::cout << "pcipass agent: server: " << n.get<std::string>() << std::endl;
        last_sent = body;
        last_time = now;
        backoff = 1;
      }
    }
    if (args.once) return code;
    // After a failure: 2, 4, 8... seconds, at most six polls.
    if (code != kExitOk) backoff = std::min<uint32_t>(backoff * 2, args.poll_s * 6);
    const uint32_t wait = code == kExitOk ? args.poll_s : backoff;
    for (uint32_t i = 0; i < wait * 10 && !g_stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return kExitOk;
}

}  // namespace

void register_agent(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<AgentArgs>();
  auto* cmd = app.add_subcommand("agent", "Report this host's PCI inventory to the server, at start, on change and periodically");
  cmd->add_option("--server", args->server, "the server, e.g. http://controller:8774")->required();
  cmd->add_option("--token-file", args->token_file, "file holding this host's agent token")->required();
  cmd->add_option("--host", args->host, "the name to report under (default: this machine's hostname)");
  cmd->add_option("--sysfs-root", args->sysfs_root, "directory holding sys/ (default /)")->capture_default_str();
  cmd->add_option("--interval", args->interval_s, "report at least this often, in seconds")->capture_default_str()->check(CLI::Range(1u, 86400u));
  cmd->add_option("--poll", args->poll_s, "look for changes this often, in seconds")->capture_default_str()->check(CLI::Range(1u, 3600u));
  cmd->add_flag("--once", args->once, "report once and exit (the exit status says whether the server took it)");
  cmd->callback([args, &exit_code] { exit_code = run_agent(*args); });
}

}  // namespace pcipass::app
