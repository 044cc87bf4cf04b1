#pragma once
// Replays a scenario through the real Fleet (schedule, claim, free, query), one op
// at a time. Time is read through an injected function so the core has no clock.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/fleet.h"
#include "core/scenario.h"

namespace pcipass {

enum class Outcome { Ok, NoValidHost, NotFound, Conflict };
const char* to_string(Outcome outcome);

struct OpResult {
  OpKind kind = OpKind::Boot;
  std::string id;
  Outcome outcome = Outcome::Ok;
  std::string host;
  std::vector<std::string> devices;   // every device the instance holds, by address
  std::vector<uint32_t> numa_cells;   // host NUMA cell ids, one per instance cell
  std::vector<Rejection> reasons;     // NoValidHost with ReasonsMode::Hosts: one per rejected host
  std::vector<RefusalGroup> why;      // NoValidHost with ReasonsMode::Grouped
  std::vector<std::string> hosts;     // query
  std::string error;                  // Conflict
  std::optional<std::string> mismatch;
};

struct SimulationTimes {
  double schedule_us = 0, claim_us = 0, free_us = 0, query_us = 0, explain_us = 0, setup_us = 0, total_us = 0;
};

// What a failed boot says (scenario-format.md): why per host, grouped by cause, or nothing.
enum class ReasonsMode : uint8_t { Hosts, Grouped, None };
std::optional<ReasonsMode> parse_reasons_mode(std::string_view text);

struct SimulationOptions {
  Weigher weigher = Weigher::Pack;
  ReasonsMode reasons = ReasonsMode::Hosts;
  bool check_invariants = false;
  std::function<int64_t()> now_ns = [] { return int64_t{0}; };
};

class Simulation {
 public:
  // Builds every host's inventory and the fleet; errors name the host path.
  static Result<Simulation> build(const Scenario& scenario, SimulationOptions options);
  // The same in steps, as a stream gives the hosts: start(), add_host() for each (its
  // inventory is built at once, so its reported devices need not be kept),
  // finish_hosts(), then learn() the ops.
  static Simulation start(AliasTable aliases, SimulationOptions options);
  Status add_host(size_t index, const HostScenario& host, const DeviceSpecList& specs);
  Status finish_hosts();
  // The fleet learns the first request shapes the ops use (as many as it keeps), so that
  // the first boot or query of each does not pay for fitting every host.
  void learn(const std::vector<Op>& ops);

  // Runs one op. An Internal error means an invariant broke (only with check_invariants).
  Result<OpResult> run(const Op& op);

  const Fleet& fleet() const { return fleet_; }
  size_t mismatches() const { return mismatches_; }
  const std::map<std::string, size_t>& result_counts() const { return counts_; }
  size_t ops_run() const { return ops_run_; }
  SimulationTimes& times() { return times_; }
  const SimulationTimes& times() const { return times_; }

 private:
  explicit Simulation(AliasTable aliases, SimulationOptions options) : fleet_(std::move(aliases)), options_(std::move(options)) {}
  Fleet fleet_;
  std::vector<HostInventory> pending_;  // added, not yet in the fleet
  SimulationOptions options_;
  SimulationTimes times_;
  size_t mismatches_ = 0;
  size_t ops_run_ = 0;
  std::map<std::string, size_t> counts_;
};

}  // namespace pcipass
