#include "core/simulation.h"

#include <algorithm>

#include "core/boot.h"

namespace pcipass {

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::Ok: return "ok";
    case Outcome::NoValidHost: return "NoValidHost";
    case Outcome::NotFound: return "NotFound";
    case Outcome::Conflict: return "Conflict";
  }
  return "ok";
}

std::optional<ReasonsMode> parse_reasons_mode(std::string_view text) {
  if (text == "hosts") return ReasonsMode::Hosts;
  if (text == "grouped") return ReasonsMode::Grouped;
  if (text == "none") return ReasonsMode::None;
  return std::nullopt;
}

Simulation Simulation::start(AliasTable aliases, SimulationOptions options) { return Simulation(std::move(aliases), std::move(options)); }

Status Simulation::add_host(size_t index, const HostScenario& h, const DeviceSpecList& specs) {
  auto inv = HostInventory::build(h.name, h.numa, h.devices, specs, fleet_.classes());
  if (!inv) return std::move(std::move(inv).error().within("[" + std::to_string(index) + "]").within("hosts"));
  pending_.push_back(std::move(*inv));
  return ok_status();
}

Status Simulation::finish_hosts() {
  auto added = fleet_.add_hosts(std::move(pending_));
  pending_.clear();
  if (!added) return std::move(added).error();
  return ok_status();
}

void Simulation::learn(const std::vector<Op>& ops) {
  for (const Op& op : ops) {
    if (op.kind == OpKind::Delete) continue;
    if (fleet_.cached_shapes() >= Fleet::kMaxShapes) break;
    (void)fleet_.count_fitting(op.shape);
  }
}

Result<Simulation> Simulation::build(const Scenario& scenario, SimulationOptions options) {
  Simulation sim = start(scenario.alias, std::move(options));
  sim.pending_.reserve(scenario.hosts.size());
  for (size_t i = 0; i < scenario.hosts.size(); ++i) {
    const HostScenario& h = scenario.hosts[i];
    const DeviceSpecList& specs = h.device_spec ? scenario.host_device_specs[*h.device_spec] : scenario.device_spec;
    if (auto st = sim.add_host(i, h, specs); !st) return std::move(st).error();
  }
  if (auto st = sim.finish_hosts(); !st) return std::move(st).error();
  sim.learn(scenario.ops);
  return sim;
}

Result<OpResult> Simulation::run(const Op& op) {
  OpResult r;
  r.kind = op.kind;
  r.id = op.id;
  const auto& now = options_.now_ns;
  const int64_t start = now();
  switch (op.kind) {
    case OpKind::Boot: {
      std::optional<HostIndex> forced;
      if (op.host) forced = fleet_.find_host(*op.host);
      auto planned = plan_boot(fleet_, op.id, op.shape, forced, options_.weigher);
      const int64_t decided = now();
      times_.schedule_us += static_cast<double>(decided - start) / 1000.0;
      if (!planned) {
        if (planned.error().code() == ErrorCode::NoValidHost) {
          r.outcome = Outcome::NoValidHost;
          if (options_.reasons == ReasonsMode::Hosts) r.reasons = fleet_.explain(op.shape, forced);
          else if (options_.reasons == ReasonsMode::Grouped) r.why = fleet_.explain_grouped(op.shape, forced);
          times_.explain_us += static_cast<double>(now() - decided) / 1000.0;
        } else {
          r.outcome = Outcome::Conflict;
          r.error = planned.error().describe();
        }
        break;
      }
      auto claimed = record_boot(fleet_, op.id, op.shape, *planned);
      times_.claim_us += static_cast<double>(now() - decided) / 1000.0;
      if (!claimed) {
        r.outcome = Outcome::Conflict;
        r.error = claimed.error().describe();
        break;
      }
      const InstanceRecord& rec = **claimed;
      const HostInventory& host = fleet_.host(rec.host);
      r.host = host.name();
      std::vector<DeviceIndex> held = rec.devices;
      std::sort(held.begin(), held.end(), [&](DeviceIndex a, DeviceIndex b) {
        return host.devices()[a].address < host.devices()[b].address;
      });
      for (DeviceIndex d : held) r.devices.push_back(host.devices()[d].address.to_string());
      for (const auto& [cell, use] : rec.cell_use) r.numa_cells.push_back(host.cells()[cell].id);
      break;
    }
    case OpKind::Delete: {
      auto freed = fleet_.free(op.id);
      times_.free_us += static_cast<double>(now() - start) / 1000.0;
      r.outcome = freed ? Outcome::Ok : Outcome::NotFound;
      break;
    }
    case OpKind::Query: {
      const auto names = fleet_.query_names(op.shape);
      r.hosts.assign(names.begin(), names.end());
      times_.query_us += static_cast<double>(now() - start) / 1000.0;
      break;
    }
  }
  times_.total_us += static_cast<double>(now() - start) / 1000.0;
  ++ops_run_;
  const char* kind = op.kind == OpKind::Boot ? "boot" : op.kind == OpKind::Delete ? "delete" : "query";
  ++counts_[op.kind == OpKind::Query ? std::string("query") : std::string(kind) + ":" + to_string(r.outcome)];

  if (op.expect_result) {
    const std::string& want = *op.expect_result;
    bool matched = want == to_string(r.outcome) || (op.kind == OpKind::Boot && r.outcome == Outcome::Ok && want == r.host);
    if (!matched) r.mismatch = "expected " + want;
  }
  if (op.expect_hosts && *op.expect_hosts != r.hosts) {
    std::string want;
    for (const auto& h : *op.expect_hosts) want += (want.empty() ? "" : ", ") + h;
    r.mismatch = "expected hosts [" + want + "]";
  }
  if (r.mismatch) ++mismatches_;

  if (options_.check_invariants) {
    auto problems = fleet_.check_invariants();
    // The op's shape: the hosts the fleet keeps for it are those a fresh look finds.
    if (op.kind != OpKind::Delete && fleet_.query(op.shape) != fleet_.query_from_scratch(op.shape))
      problems.push_back("the hosts kept for this op's shape differ from a from-scratch evaluation");
    if (!problems.empty()) {
      std::string text;
      for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
      return Error(ErrorCode::Internal, "invariant violated after this op: " + text);
    }
  }
  return r;
}

}  // namespace pcipass
