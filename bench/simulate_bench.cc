// Benchmark of the scheduler through the same Fleet code simulate uses: fleets of
// 100 / 1 000 / 10 000 hosts, filled to a steady state, then a mixed stream of
// boot / delete / query ops. Reports boot-decision latency percentiles, total time
// for the op stream, and scheduler bytes per device.
//   pcipass_bench [--hosts N,N,...] [--ops N] [--seed S] [--fill F] [--write-scenario FILE]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/fleet.h"
#include "core/boot.h"
#include "fleet_generator.h"

using namespace pcipass;
using Clock = std::chrono::steady_clock;

namespace {

double us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

struct Report {
  size_t hosts = 0, devices = 0, ops = 0, boots_ok = 0, boots_failed = 0, deletes = 0, queries = 0, live = 0;
  double setup_s = 0, fill_s = 0, ops_s = 0;
  double p50 = 0, p99 = 0, max = 0, claim_p50 = 0, explain_mean = 0, query_mean = 0;
  double bytes_per_device = 0;
};

Report run(size_t host_count, size_t op_count, uint64_t seed, double fill) {
  Report r;
  r.hosts = host_count;
  auto t0 = Clock::now();
  Scenario scenario = bench::generate_fleet(host_count, seed);
  Fleet fleet(scenario.alias);
  std::vector<HostInventory> hosts;
  hosts.reserve(scenario.hosts.size());
  for (const auto& h : scenario.hosts) hosts.push_back(HostInventory::build(h.name, h.numa, h.devices, scenario.device_spec, fleet.classes()).value());
  scenario.hosts.clear();
  scenario.hosts.shrink_to_fit();
  if (!fleet.add_hosts(std::move(hosts))) std::abort();
  r.setup_s = std::chrono::duration<double>(Clock::now() - t0).count();
  r.devices = fleet.device_count();

  bench::FlavorMix mix(scenario.alias);
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  std::vector<std::string> live;
  size_t next_id = 0;
  auto boot = [&](const InstanceShape& s, std::vector<double>* decision, std::vector<double>* claim) {
    std::string id = "vm-" + std::to_string(next_id);
    auto a = Clock::now();
    auto planned = plan_boot(fleet, id, s, std::nullopt, Weigher::Pack);  // the path simulate and the controller take
    auto b = Clock::now();
    if (decision) decision->push_back(us(b - a));
    if (!planned) return false;
    ++next_id;
    if (!record_boot(fleet, id, s, *planned).ok()) std::abort();
    if (claim) claim->push_back(us(Clock::now() - b));
    live.push_back(std::move(id));
    return true;
  };

  // Fill: about `fill` of the fleet's GPU capacity worth of mixed instances.
  auto t1 = Clock::now();
  const size_t target = static_cast<size_t>(fill * 40.0 * static_cast<double>(host_count));
  for (size_t i = 0; i < target; ++i) boot(mix.draw(rng), nullptr, nullptr);
  r.fill_s = std::chrono::duration<double>(Clock::now() - t1).count();

  std::vector<double> decision, claim;
  decision.reserve(op_count);
  claim.reserve(op_count);
  double explain_total = 0, query_total = 0;
  auto t2 = Clock::now();
  for (size_t i = 0; i < op_count; ++i) {
    // Hold occupancy near the fill level: boots outnumber deletes below it, and the reverse above.
    uint64_t x = rng() % 100;
    const uint64_t boot_share = live.size() < target ? 60 : 35;
    if (x < boot_share) {
      const InstanceShape& s = mix.draw(rng);
      if (boot(s, &decision, &claim)) {
        ++r.boots_ok;
      } else {
        ++r.boots_failed;
        auto a = Clock::now();
        auto reasons = fleet.explain(s, std::nullopt);
        explain_total += us(Clock::now() - a);
        if (reasons.size() != fleet.host_count()) std::abort();
      }
    } else if (x < 95) {
      if (live.empty()) continue;
      size_t k = rng() % live.size();
      std::swap(live[k], live.back());
      if (!fleet.free(live.back()).ok()) std::abort();
      live.pop_back();
      ++r.deletes;
    } else {
      auto a = Clock::now();
      auto hosts_fit = fleet.query(mix.draw(rng));
      query_total += us(Clock::now() - a);
      ++r.queries;
    }
  }
  r.ops_s = std::chrono::duration<double>(Clock::now() - t2).count();
  r.ops = op_count;
  r.live = live.size();
  r.max = decision.empty() ? 0 : *std::max_element(decision.begin(), decision.end());
  r.p50 = percentile(decision, 0.50);
  r.p99 = percentile(decision, 0.99);
  r.claim_p50 = percentile(claim, 0.50);
  r.explain_mean = r.boots_failed ? explain_total / static_cast<double>(r.boots_failed) : 0;
  r.query_mean = r.queries ? query_total / static_cast<double>(r.queries) : 0;
  r.bytes_per_device = static_cast<double>(fleet.memory_bytes()) / static_cast<double>(r.devices);
  auto problems = fleet.check_invariants();
  if (!problems.empty()) {
    std::fprintf(stderr, "invariant broken: %s\n", problems.front().c_str());
    std::abort();
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes = {100, 1000, 10000};
  size_t ops = 100000;
  uint64_t seed = 42;
  double fill = 0.5;
  std::string write_scenario;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--ops") ops = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--write-scenario") write_scenario = v;
    else if (k == "--seed") seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--fill") fill = std::strtod(v.c_str(), nullptr);
    else if (k == "--hosts") {
      sizes.clear();
      for (char* p = std::strtok(v.data(), ","); p; p = std::strtok(nullptr, ",")) sizes.push_back(std::strtoull(p, nullptr, 10));
    } else {
      std::fprintf(stderr, "usage: %s [--hosts N,N] [--ops N] [--seed S] [--fill F] [--write-scenario FILE]\n", argv[0]);
      return 2;
    }
  }
  if (!write_scenario.empty()) {
    // The same fleet and op mix as a scenario file for `pcipass simulate` (first --hosts size).
    const size_t n = sizes.front();
    std::string text = bench::scenario_text(n, static_cast<size_t>(fill * 40.0 * static_cast<double>(n)), ops, seed);
    FILE* f = std::fopen(write_scenario.c_str(), "w");
    if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fclose(f) != 0) {
      std::fprintf(stderr, "cannot write %s\n", write_scenario.c_str());
      return 1;
    }
    return 0;
  }
  std::printf("%7s %8s %8s %9s %9s %9s %9s %8s %8s %9s %10s %10s %8s\n", "hosts", "devices", "ops", "ops_s", "p50_us",
              "p99_us", "max_us", "boot_ok", "boot_nvh", "claim_us", "explain_us", "query_us", "B/dev");
  for (size_t n : sizes) {
    Report r = run(n, ops, seed, fill);
    std::printf("%7zu %8zu %8zu %9.3f %9.2f %9.2f %9.1f %8zu %8zu %9.2f %10.1f %10.1f %8.1f\n", r.hosts, r.devices, r.ops,
                r.ops_s, r.p50, r.p99, r.max, r.boots_ok, r.boots_failed, r.claim_p50, r.explain_mean, r.query_mean,
                r.bytes_per_device);
    std::fprintf(stderr, "  (%zu hosts: setup %.2f s, fill %.2f s, %zu deletes, %zu queries, %zu live at end)\n", r.hosts,
                 r.setup_s, r.fill_s, r.deletes, r.queries, r.live);
  }
  return 0;
}
