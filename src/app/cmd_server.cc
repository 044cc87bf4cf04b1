// pcipass server: the controller's REST API (docs/api.md) over one Store.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "app/commands.h"
#include "app/open_store.h"
#include "pcipass_version.h"
#include "adapters/crypto/openssl_secrets.h"
#include "adapters/log/stream_log.h"
#include "adapters/json/nova_conf.h"
#include "adapters/system/system_clock.h"
#include "controller/service.h"
#include "server/http_api.h"
#include "server/http_server.h"

namespace pcipass::app {
namespace {

struct ServerArgs {
  std::optional<std::string> config;
  std::string db = "sqlite:pcipass.db";
  std::string listen = "127.0.0.1:8774";
  uint32_t refresh_ms = 1000;
  size_t max_body = 8u << 20;
  size_t max_connections = 10000;
  size_t threads = 0;  // max(8, CPUs)
  std::optional<std::string> bootstrap_token_file;
  std::string log_format = "text";
  std::string log_level = "info";
  bool metrics_open = false;
};

Result<std::pair<std::string, int>> split_listen(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return invalid("--listen expects HOST:PORT, got " + quote(text));
  try {
    size_t used = 0;
    const int port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || port < 0 || port > 65535) throw std::out_of_range("port");
    return std::make_pair(text.substr(0, colon), port);
  } catch (...) {
    return invalid("--listen: bad port in " + quote(text));
  }
}

// --db as it may be logged: a PostgreSQL URL or keyword string without its password.
std::string redacted_db(const std::string& db) {
  std::string out = db;
  if (const size_t scheme = out.find("://"); scheme != std::string::npos) {
    const size_t at = out.find('@', scheme);
    const size_t colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  for (size_t p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    size_t end = out.find_first_of(" &", p);
    out.replace(p + 9, (end == std::string::npos ? out.size() : end) - p - 9, "***");
  }
  return out;
}

// Sleeps 0.1 ms × attempt (at most 5 ms), with jitter: between retries of lost races.
void retry_pause(int attempt) {
  static thread_local std::minstd_rand jitter(std::random_device{}());
  const auto us = std::min(5000, 100 * attempt) * (50 + static_cast<int>(jitter() % 100)) / 100;
  std::this_thread::sleep_for(std::chrono::microseconds(us));
}

// With no token at all in the store, creates an admin token and writes its secret
// (mode 0600) to `file`; an existing file is left alone.
Status bootstrap_admin(TokenStore& store, Secrets& secrets, const std::string& file) {
  auto tokens = store.tokens();
  if (!tokens) return std::move(tokens).error();
  if (!tokens->empty()) return ok_status();
  auto secret = secrets.new_secret();
  if (!secret) return std::move(secret).error();
  const mode_t old = ::umask(077);
  std::ofstream out(file, std::ios::trunc);
  ::umask(old);
  if (!(out << *secret << "\n")) return Error(ErrorCode::PermissionDenied, "cannot write " + file);
  out.close();
  return store.create_token({"admin", secrets.digest(*secret), "admin", ""});
}

// Descriptors kept for the store, the configuration and the listener.
constexpr rlim_t kSpareDescriptors = 64;

// The connection cap that the process's open-file limit allows: the soft limit is
// raised to the hard one if that is needed, and the cap lowered (with a warning) if even
// that is too few, so that one connection too many is refused in order rather than
// left unaccepted.
size_t connection_cap(size_t wanted, Log& log) {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return wanted;
  const rlim_t need = static_cast<rlim_t>(wanted) + kSpareDescriptors;
  if (r.rlim_cur != RLIM_INFINITY && r.rlim_cur < need) {
    rlimit raised = r;
    raised.rlim_cur = r.rlim_max == RLIM_INFINITY ? need : std::min(r.rlim_max, need);
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) r = raised;
  }
  if (r.rlim_cur == RLIM_INFINITY || r.rlim_cur >= need) return wanted;
  const size_t cap = r.rlim_cur > kSpareDescriptors * 2 ? static_cast<size_t>(r.rlim_cur - kSpareDescriptors) : static_cast<size_t>(r.rlim_cur / 2);
  log.write(LogLevel::Warning, "server.connection_cap",
            {{"message", "the open-file limit is " + std::to_string(r.rlim_cur) + ": at most " + std::to_string(cap) + " connections (not " +
                             std::to_string(wanted) + "); raise `ulimit -n` (LimitNOFILE= under systemd) for more"},
             {"connections", static_cast<int64_t>(cap)}});
  return std::max<size_t>(1, cap);
}

int run_server(const ServerArgs& args) {
  // Signals go to one thread: SIGHUP reloads the configuration, SIGINT/SIGTERM stop.
  // Blocked before any thread starts (the store's and the committer's too), which
  // inherit the mask: else the default action of a SIGTERM kills the process at once.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGHUP, SIGINT, SIGTERM}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  StreamLog log(parse_log_format(args.log_format).value_or(LogFormat::Text), STDERR_FILENO, std::getenv("JOURNAL_STREAM") != nullptr,
                parse_log_level(args.log_level).value_or(LogLevel::Info));
  // Said before the server runs: the reason it does not.
  auto fatal = [&log](const Error& e) { log.write(LogLevel::Error, "server.start_failed", {{"message", e.describe()}}); };
  auto where = split_listen(args.listen);
  if (!where) {
    fatal(where.error());
    return kExitInvalidInput;
  }
  auto store = open_store(args.db);
  if (!store) {
    fatal(store.error());
    return store.error().code() == ErrorCode::InvalidArgument ? kExitInvalidInput : kExitInternal;
  }
  auto checkpointer = Checkpointer::start(args.db, **store, 200);
  if (!checkpointer) {
    fatal(checkpointer.error());
    return kExitInternal;
  }
  OpenSslSecrets secrets;
  SystemClock clock;
  if (args.bootstrap_token_file)
    if (auto st = bootstrap_admin(**store, secrets, *args.bootstrap_token_file); !st) {
      fatal(st.error());
      return kExitInternal;
    }
  std::optional<NovaConfFile> config;
  if (args.config) config.emplace(*args.config);
  ServiceOptions options;
  options.retry_pause = retry_pause;
  options.log = &log;
  auto service = Service::open(**store, config ? &*config : nullptr, secrets, clock, options);
  if (!service) {
    fatal(service.error());
    return service.error().code() == ErrorCode::InvalidArgument || service.error().code() == ErrorCode::NotFound ? kExitInvalidInput
                                                                                                               : kExitInternal;
  }
  server::HttpOptions api_options;
  api_options.max_body_bytes = args.max_body;
  api_options.metrics_open = args.metrics_open;
  api_options.build = {PCIPASS_VERSION, args.db.rfind("sqlite:", 0) == 0   ? "sqlite"
                                        : args.db.rfind("memory", 0) == 0 ? "memory"
                                                                          : "postgresql"};
  server::HttpApi api(**service, api_options);

  server::HttpServerOptions http_options;
  http_options.address = where->first;
  http_options.port = static_cast<uint16_t>(where->second);
  http_options.max_body_bytes = args.max_body;
  http_options.max_connections = connection_cap(args.max_connections, log);
  http_options.on_answered = [&log, &api](const server::AnsweredRequest& r) {
    api.record(r);
    // An agent's routine traffic (its watch, its periodic reports) answered well is debug:
    // at 10 000 hosts it would be a thousand lines a second.
    const bool routine = r.status < 300 && (r.route == "/v1/hosts/{}/assignments" || (r.method == "PUT" && r.route == "/v1/hosts/{}"));
    log.write(r.status >= 500 ? LogLevel::Error : routine ? LogLevel::Debug : LogLevel::Info, "http.request",
              {{"method", std::string(r.method)}, {"target", std::string(r.target)}, {"status", int64_t{r.status}},
               {"duration_ms", std::chrono::duration<double, std::milli>(r.took).count()}, {"bytes", static_cast<int64_t>(r.bytes)},
               {"caller", r.caller.empty() ? std::string("-") : std::string(r.caller)}, {"peer", std::string(r.peer)}});
  };
  http_options.threads = args.threads;
  auto http = server::HttpServer::start(
      http_options, [&api](const server::HttpRequest& r) { return api.handle(r); }, api.error_bodies());
  if (!http) {
    fatal(http.error());
    return kExitInvalidInput;
  }
  const std::string url = "http://" + where->first + ":" + std::to_string((*http)->port()) + "/v1";
  log.write(LogLevel::Info, "server.listening", {{"message", "listening on " + url}, {"url", url}, {"db", redacted_db(args.db)}});

  std::atomic<bool> stopping{false};
  std::mutex m;
  std::condition_variable wake;
  std::thread refresher([&] {
    std::unique_lock lock(m);
    while (!stopping) {
      wake.wait_for(lock, std::chrono::milliseconds(args.refresh_ms));
      if (stopping) break;
      lock.unlock();
      // A busy store (this server's batch was refused meanwhile) is retried by the batch's own requests.
      if (auto moved = (*service)->refresh(); !moved && moved.error().code() != ErrorCode::Busy)
        log.write(LogLevel::Warning, "store.refresh_failed", {{"message", moved.error().describe()}});
      lock.lock();
    }
  });
  std::thread signal_thread([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        auto r = (*service)->reload_config();  // a success is said by the service (config.reloaded)
        if (!r)
          log.write(LogLevel::Error, "config.reload_failed", {{"message", "reload failed, keeping the running configuration: " + r.error().describe()}});
        continue;
      }
      stopping = true;
      wake.notify_all();
      return;
    }
  });
  signal_thread.join();
  (*http)->stop();
  refresher.join();
  log.write(LogLevel::Info, "server.stopped", {});
  return kExitOk;
}

}  // namespace

void register_server(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ServerArgs>();
  // `pcipass server` with no subcommand runs the controller; its subcommands
  // (create, delete, show, list; see cmd_client.cc) manage servers through one.
  auto* cmd = app.add_subcommand("server",
                                 "Without a subcommand: run the controller (REST API under /v1 on SQLite or PostgreSQL). "
                                 "With one: create, show, list or delete servers (instances) through it");
  cmd->add_option("--config", args->config, "INI file with nova.conf's [pci] device_spec and alias lines (SIGHUP or POST /v1/config/reload re-reads it)");
  cmd->add_option("--db", args->db, "sqlite:PATH (default sqlite:pcipass.db) or postgresql://...")->capture_default_str();
  cmd->add_option("--listen", args->listen, "HOST:PORT to listen on (port 0: any free port)")->capture_default_str();
  cmd->add_option("--refresh-ms", args->refresh_ms, "how often to take in other controllers' changes")->capture_default_str()->check(CLI::Range(10u, 3600000u));
  cmd->add_option("--max-body", args->max_body, "largest request body accepted, in bytes")->capture_default_str()->check(CLI::Range(size_t{1024}, size_t{1} << 30));
  cmd->add_option("--max-connections", args->max_connections, "open connections at most; one more is answered 503 and closed")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  cmd->add_option("--threads", args->threads, "event loops that serve connections, one thread each (each serves many); 0: max(8, the CPUs)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{1024}));
  cmd->add_option("--bootstrap-admin-token-file", args->bootstrap_token_file,
                  "if the database has no token yet, create an admin token and write it to this file (mode 0600)");
  cmd->add_flag("--metrics-open", args->metrics_open,
                "answer GET /metrics (Prometheus) without a token, for a scraper on a trusted network; else it needs a token "
                "that sees the fleet (admin or reader)");
  cmd->add_option("--log-format", args->log_format,
                  "text (one `key=value` line per event, for journald and people) or json (one JSON object a line, for log shippers)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--log-level", args->log_level,
                  "the least level logged: debug (also the agents' routine watches and reports), info, warning or error")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warning", "error"}));
  cmd->callback([cmd, args, &exit_code] {
    if (cmd->get_subcommands().empty()) exit_code = run_server(*args);
  });
}

}  // namespace pcipass::app
