// pcipass agent: discovers this host's PCI devices and reports them to the server at
// start, whenever the inventory changes (checked every --poll seconds) and at least
// every --interval seconds. Read-only on the host unless --manage-devices: then it also
// carries out what the controller places on the host (host/placement_agent.h), watching
// its assignments, with its journal in var/lib/pcipass under the root.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "adapters/api_client/api_client.h"
#include "adapters/api_client/controller_link_http.h"
#include "adapters/libvirt/libvirt_hypervisor.h"
#include "adapters/libvirt_xml/domain_merge.h"
#include "adapters/netlink/netlink_vf_network.h"
#include "adapters/sysfs/posix_sysfs_writer.h"
#include "adapters/json/config_value_json.h"
#include "host/agent_journal.h"
#include "adapters/sysfs/posix_sysfs_reader.h"
#include "adapters/log/stream_log.h"
#include "app/commands.h"
#include "app/terminal_progress.h"
#include "app/exit_status.h"
#include "host/discovery.h"
#include "host/host_facts.h"
#include "core/host_report.h"
#include "host/placement_agent.h"

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
  bool manage_devices = false;
  std::string libvirt_uri;
  std::string base_domains;
  std::string vfio_group;
  std::string log_format = "text";
};

volatile sig_atomic_t g_stop = 0;  // set by SIGINT/SIGTERM only
void on_signal(int) { g_stop = 1; }

// The journal as saved under the root (none yet: empty); InvalidArgument naming the
// file when it cannot be read as one.
Result<AgentJournal> load_journal(const PosixSysfsReader& sysfs) {
  const std::string path = sysfs.root() + std::string(kJournalPath);
  if (!sysfs.exists(std::string(kJournalPath))) return AgentJournal{};
  auto text = sysfs.read(std::string(kJournalPath), 64u << 20);
  if (!text) return std::move(std::move(text).error().within(path));
  auto value = parse_json(*text);
  if (!value) return std::move(std::move(value).error().within(path));
  auto journal = parse_journal(*value);
  if (!journal) return std::move(std::move(journal).error().within(path));
  return journal;
}

int run_agent(const AgentArgs& args) {
  StreamLog log(parse_log_format(args.log_format).value_or(LogFormat::Text), STDERR_FILENO, std::getenv("JOURNAL_STREAM") != nullptr);
  // The first scan of a big host takes a while: shown on a terminal, then never again.
  TerminalProgress progress("pcipass agent");
  bool first_scan = true;
  const Progress scan = [&](std::string_view stage, size_t done, size_t total) {
    if (first_scan) progress.update(stage, done, total);
  };
  auto say = [&log, &progress](LogLevel level, std::string_view event, const std::string& message) {
    progress.clear();
    log.write(level, event, {{"message", message}});
  };
  auto endpoint = resolve_endpoint(args.server, args.token_file, false);
  if (!endpoint) {
    say(LogLevel::Error, "agent.start_failed", endpoint.error().describe());
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
    say(LogLevel::Error, "agent.start_failed", sysfs.root() + "sys/bus/pci/devices does not exist");
    return kExitInvalidInput;
  }
  if (!args.base_domains.empty() && args.libvirt_uri.empty()) {
    say(LogLevel::Error, "agent.start_failed", "--base-domains is for the domains --libvirt starts: it needs --libvirt");
    return kExitInvalidInput;
  }
  if (!args.libvirt_uri.empty() && !args.manage_devices) {
    say(LogLevel::Error, "agent.start_failed", "--libvirt starts the servers' domains once their devices are prepared: it needs --manage-devices");
    return kExitInvalidInput;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  ApiClient client(*endpoint);
  // With --manage-devices: the placements carried out here.
  PosixSysfsWriter writer(args.sysfs_root);
  std::unique_ptr<HttpControllerLink> link;
  std::unique_ptr<LibvirtHypervisor> hypervisor;
  std::unique_ptr<PlacementAgent> placements;
  std::unique_ptr<NetlinkVfNetwork> network;
  if (args.manage_devices) {
    auto journal = load_journal(sysfs);
    if (!journal) {
      say(LogLevel::Error, "agent.start_failed", "the journal: " + journal.error().describe());
      return kExitInvalidInput;
    }
    if (!args.libvirt_uri.empty()) {
      auto hv = LibvirtHypervisor::connect(args.libvirt_uri);
      if (!hv) {
        say(LogLevel::Error, "agent.start_failed", "--libvirt " + args.libvirt_uri + ": " + hv.error().describe());
        return client_exit_status(hv.error().code());
      }
      hypervisor = std::move(*hv);
    }
    link = std::make_unique<HttpControllerLink>(*endpoint, name);
    if (auto net = NetlinkVfNetwork::open()) network = std::move(*net);
    else say(LogLevel::Warning, "agent.no_netlink", net.error().describe() + ": NIC VFs cannot get their MAC and VLAN here");
    PlacementAgentOptions o;
    o.domain_of = [dir = args.base_domains](const AssignedServer& s) -> Result<std::string> {
      if (!s.base_domain) return s.domain_xml;
      if (dir.empty()) return invalid("server " + s.id + " names the base domain " + quote(*s.base_domain) + ", and the agent has no --base-domains");
      const std::string file = dir + "/" + *s.base_domain + ".xml";
      std::ifstream in(file);
      if (!in) return Error(ErrorCode::NotFound, file + ": cannot be read (the base domain " + quote(*s.base_domain) + ")");
      std::stringstream text;
      text << in.rdbuf();
      auto merged = merge_domain(text.str(), s.id, s.vcpus, s.memory_mb, s.devices_xml, s.metadata_xml);
      if (!merged) return std::move(std::move(merged).error().within(file));
      return merged;
    };
    o.restore.pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(100)); };
    o.prepare.network = network.get();
    if (!args.vfio_group.empty()) o.prepare.vfio_group = args.vfio_group;
    o.restore.network = network.get();
    o.log = [say](const std::string& line) { say(LogLevel::Info, "agent.step", line); };
    o.scan_progress = scan;
    auto save = [&writer](const AgentJournal& j) { return writer.write_file(kJournalPath, to_json(journal_value(j)).dump(1) + "\n"); };
    placements = std::make_unique<PlacementAgent>(sysfs, writer, *link, hypervisor.get(), std::move(*journal), save, std::move(o));
    if (auto st = placements->recover(); !st) {
      say(LogLevel::Error, "agent.start_failed", "recovering the journal's half-done steps: " + st.error().describe());
      return kExitInternal;
    }
  }
  auto current_report = [&]() -> HostReport {
    if (placements) return placements->report();
    const Discovery d = discover(sysfs, nullptr, &scan);
    const auto critical = find_host_critical(sysfs, d);
    return host_report_of(sysfs, d, critical, check_readiness(sysfs, d, critical));
  };
  std::string last_sent;
  auto last_time = std::chrono::steady_clock::now() - std::chrono::hours(24);
  uint32_t backoff = 1;
  std::optional<uint64_t> cursor;
  while (!g_stop) {
    const HostReport host = current_report();
    if (first_scan) {
      first_scan = false;
      progress.clear();
    }
    const nlohmann::ordered_json report = to_json(host_report_value(host));
    const std::string body = report.dump();
    const auto now = std::chrono::steady_clock::now();
    const bool due = body != last_sent || now - last_time >= std::chrono::seconds(args.interval_s);
    int code = kExitOk;
    if (due) {
      ApiReply r = client.call("PUT", "/v1/hosts/" + url_encode(name), &report);
      if (!r.ok()) {
        say(LogLevel::Error, "agent.report_refused", "the report of " + name + " was not taken: " + r.error->describe());
        code = client_exit_status(r.error->code());
      } else {
        log.write(LogLevel::Info, "agent.reported",
                  {{"message", "reported " + std::to_string(host.devices.size()) + " devices of " + name + " (" +
                                   (body == last_sent ? "periodic" : "changed") + ")"},
                   {"host", name}, {"devices", static_cast<int64_t>(host.devices.size())}, {"changed", int64_t{body != last_sent}}});
        if (r.body.contains("notes") && r.body["notes"].is_array())
          for (const auto& n : r.body["notes"])
            if (n.is_string()) say(LogLevel::Warning, "agent.server_note", "server: " + n.get<std::string>());
        last_sent = body;
        last_time = now;
        backoff = 1;
      }
    }
    if (placements && code == kExitOk) {
      // Held until the host's assignments move (or --poll passes), then carried out.
      auto work = link->assignments(cursor, args.once ? 0 : args.poll_s);
      if (!work) {
        say(LogLevel::Error, "agent.assignments_failed", "the assignments of " + name + ": " + work.error().describe());
        code = client_exit_status(work.error().code());
        cursor.reset();
      } else {
        cursor = work->generation;
        if (auto st = placements->carry_out(*work); !st) {
          say(LogLevel::Warning, "agent.step_failed", st.error().describe() + " (tried again)");
          cursor.reset();  // look again at once
        }
      }
    }
    if (args.once) return code;
    // After a failure: 2, 4, 8... seconds, at most six polls.
    if (code != kExitOk) backoff = std::min<uint32_t>(backoff * 2, args.poll_s * 6);
    if (placements && code == kExitOk) continue;  // the watch waited already
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
  cmd->add_flag("--manage-devices", args->manage_devices,
                "carry out what the controller places here: bind its devices to vfio-pci (a PF's VFs removed), and give "
                "them back when the server is deleted; writes sysfs, keeps a journal in var/lib/pcipass");
  cmd->add_option("--libvirt", args->libvirt_uri,
                  "with --manage-devices: start each server's domain through libvirt once its devices are ready, e.g. qemu:///system");
  cmd->add_option("--vfio-group", args->vfio_group,
                  "with --manage-devices: the group that must own /dev/vfio/N with read and write once a device is bound "
                  "(the VM's: kvm, libvirt-qemu); default: only that it is there");
  cmd->add_option("--base-domains", args->base_domains,
                  "with --libvirt: where the base domains servers name (pcipass:base_domain) are, as NAME.xml: the server's "
                  "devices, name, vCPUs and memory are merged into it");
  cmd->add_option("--log-format", args->log_format, "text (`key=value` lines, for journald and people) or json (one object a line)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([args, &exit_code] { exit_code = run_agent(*args); });
}

}  // namespace pcipass::app
