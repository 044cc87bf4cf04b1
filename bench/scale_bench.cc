// Benchmark of the scheduler at scale on a realistic fleet and op mix (issue 14):
// the scenario comes from bench/realistic_fleet.cc as text, is parsed as `pcipass
// simulate` parses it and replayed through the same Simulation, timing every op.
//   pcipass_scale_bench [--hosts N] [--ops N] [--seed S] [--reasons hosts|grouped|none]
//                       [--write-scenario FILE]
// Prints one line of figures: load (parse and build), op time, mean boot decision
// (failures included), mean failed-boot decision, mean and max grouped explanation,
// a query over 50 ns per host returned (p99 and worst), the memory the load took and the
// peak (the generator's text is written to a file and freed before the load).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "adapters/json/scenario_json.h"
#include "core/scenario.h"
#include "core/simulation.h"
#include "realistic_fleet.h"

using namespace pcipass;
using Clock = std::chrono::steady_clock;

namespace {

int64_t now_ns() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

int usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--hosts N] [--ops N] [--seed S] [--reasons hosts|grouped|none] [--write-scenario FILE]\n", argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bench::RealisticMix mix;
  std::string write_scenario;
  ReasonsMode reasons = ReasonsMode::Grouped;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--hosts") mix.hosts = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--ops") mix.ops = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--seed") mix.seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--write-scenario") write_scenario = v;
    else if (k == "--reasons") {
      auto mode = parse_reasons_mode(v);
      if (!mode) return usage(argv[0]);
      reasons = *mode;
    } else return usage(argv[0]);
  }
  if ((argc - 1) % 2 != 0 || mix.hosts == 0) return usage(argv[0]);
  // The scenario goes to a file and is streamed back from it, as `pcipass simulate` reads it.
  const bool keep = !write_scenario.empty();
  const std::string path = keep ? write_scenario : "/tmp/pcipass-scale-bench-" + std::to_string(getpid()) + ".json";
  // Written by a child process, so that the text's memory is not in this one's peak.
  const pid_t child = fork();
  if (child == 0) {
    std::string text = bench::realistic_scenario_text(mix);
    FILE* f = std::fopen(path.c_str(), "w");
    const bool written = f && std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fclose(f) == 0;
    if (!written) std::fprintf(stderr, "cannot write %s\n", path.c_str());
    _exit(written ? 0 : 1);
  }
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  if (keep) return 0;
  const double rss_before_load = peak_rss_mb();

  const int64_t t0 = now_ns();
  SimulationOptions options;
  options.reasons = reasons;
  options.now_ns = now_ns;
  auto loaded = load_simulation([&] { return std::make_unique<std::ifstream>(path, std::ios::binary); }, options);
  std::remove(path.c_str());
  if (!loaded) {
    std::fprintf(stderr, "generated scenario is invalid: %s\n", loaded.error().describe().c_str());
    return 1;
  }
  Simulation* sim = &*loaded->simulation;
  const double load_s = static_cast<double>(now_ns() - t0) / 1e9;
  const double rss_loaded = peak_rss_mb();

  size_t boots = 0, failed = 0, queries = 0;
  double decide_us = 0, failed_decide_us = 0, explain_max_us = 0, query_excess_max_us = 0, query_us = 0;
  size_t query_hosts = 0;
  std::vector<double> query_excess;
  const int64_t t1 = now_ns();
  for (const Op& op : loaded->ops) {
    const SimulationTimes before = sim->times();
    auto r = sim->run(op);
    if (!r) {
      std::fprintf(stderr, "op failed: %s\n", r.error().describe().c_str());
      return 1;
    }
    const SimulationTimes& after = sim->times();
    if (op.kind == OpKind::Boot) {
      ++boots;
      const double d = after.schedule_us - before.schedule_us;
      decide_us += d;
      if (r->outcome == Outcome::NoValidHost) {
        ++failed;
        failed_decide_us += d;
        explain_max_us = std::max(explain_max_us, after.explain_us - before.explain_us);
      }
    } else if (op.kind == OpKind::Query) {
      ++queries;
      const double q = after.query_us - before.query_us;
      query_us += q;
      query_hosts += r->hosts.size();
      query_excess_max_us = std::max(query_excess_max_us, q - 0.05 * static_cast<double>(r->hosts.size()));
      query_excess.push_back(q - 0.05 * static_cast<double>(r->hosts.size()));
    }
  }
  const double ops_s = static_cast<double>(now_ns() - t1) / 1e9;
  const SimulationTimes& t = sim->times();
  std::sort(query_excess.begin(), query_excess.end());
  const double q_p99 = query_excess.empty() ? 0 : query_excess[query_excess.size() * 99 / 100];
  std::printf("%7s %8s %8s %7s %8s %9s %10s %8s %11s %11s %9s %11s %11s %8s %8s\n", "hosts", "ops", "boots", "nvh", "load_s",
              "op_time_s", "boot_us", "nvh_us", "explain_us", "explmax_us", "query_us", "q-50ns/h99", "q-50ns/hmax", "load_MB",
              "peak_MB");
  std::printf("%7zu %8zu %8zu %7zu %8.2f %9.3f %10.2f %8.2f %11.1f %11.1f %9.1f %11.1f %11.1f %8.0f %8.0f\n", mix.hosts, sim->ops_run(),
              boots, failed, load_s, t.total_us / 1e6, boots ? decide_us / static_cast<double>(boots) : 0.0,
              failed ? failed_decide_us / static_cast<double>(failed) : 0.0, failed ? t.explain_us / static_cast<double>(failed) : 0.0,
              explain_max_us, queries ? query_us / static_cast<double>(queries) : 0.0, q_p99, query_excess_max_us,
              rss_loaded - rss_before_load, peak_rss_mb());
  std::fprintf(stderr, "  (%zu queries returned %zu hosts in all; replay wall %.2f s; schedule %.2f s, claim %.2f s, free %.2f s, "
                       "query %.2f s, explain %.2f s)\n",
               queries, query_hosts, ops_s, t.schedule_us / 1e6, t.claim_us / 1e6, t.free_us / 1e6, t.query_us / 1e6,
               t.explain_us / 1e6);
  return 0;
}
