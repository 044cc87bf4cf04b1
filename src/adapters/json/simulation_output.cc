#include "adapters/json/simulation_output.h"

#include "adapters/json/config_value_json.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

namespace pcipass {

using Json = nlohmann::ordered_json;

namespace {

void put_string(std::string& out, std::string_view text) { append_json_string(out, text); }

void put_strings(std::string& out, const std::vector<std::string>& list) {
  out += '[';
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) out += ',';
    put_string(out, list[i]);
  }
  out += ']';
}

void put_member(std::string& out, std::string_view key) {
  out += out.size() > 1 ? ",\"" : "\"";
  out += key;
  out += "\":";
}

}  // namespace

// Written by hand, not through a JSON tree: a query line can name thousands of hosts,
// and the lines of a large run are most of its time otherwise.
std::string op_result_json(const OpResult& r, ReasonsMode reasons_mode) {
  std::string out = "{";
  auto text = [&](std::string_view key, std::string_view value) {
    put_member(out, key);
    put_string(out, value);
  };
  switch (r.kind) {
    case OpKind::Boot:
      text("op", "boot");
      text("id", r.id);
      text("result", to_string(r.outcome));
      if (r.outcome == Outcome::Ok) {
        text("host", r.host);
        put_member(out, "devices");
        put_strings(out, r.devices);
        put_member(out, "numa_cells");
        out += '[';
        for (size_t i = 0; i < r.numa_cells.size(); ++i) out += (i ? "," : "") + std::to_string(r.numa_cells[i]);
        out += ']';
      } else if (r.outcome == Outcome::NoValidHost) {
        if (reasons_mode == ReasonsMode::Hosts) {
          put_member(out, "reasons");
          out += '{';
          for (size_t i = 0; i < r.reasons.size(); ++i) {
            if (i) out += ',';
            put_string(out, r.reasons[i].host);
            out += ':';
            put_string(out, r.reasons[i].reason);
          }
          out += '}';
        } else if (reasons_mode == ReasonsMode::Grouped) {
          put_member(out, "why");
          out += '[';
          for (size_t i = 0; i < r.why.size(); ++i) {
            out += i ? ",{\"reason\":" : "{\"reason\":";
            put_string(out, r.why[i].reason);
            out += ",\"hosts\":" + std::to_string(r.why[i].hosts) + ",\"sample\":";
            put_strings(out, r.why[i].sample);
            out += '}';
          }
          out += ']';
        }
      } else {
        text("error", r.error);
      }
      break;
    case OpKind::Delete:
      text("op", "delete");
      text("id", r.id);
      text("result", to_string(r.outcome));
      break;
    case OpKind::Query:
      text("op", "query");
      put_member(out, "hosts");
      put_strings(out, r.hosts);
      break;
  }
  if (r.mismatch) text("mismatch", *r.mismatch);
  return out + "}";
}

static double round1(double v) { return static_cast<double>(static_cast<int64_t>(v * 10 + 0.5)) / 10.0; }

std::string summary_json(const Simulation& sim, size_t hosts) {
  Json summary;
  summary["ops"] = sim.ops_run();
  summary["hosts"] = hosts;
  summary["mismatches"] = sim.mismatches();
  Json results = Json::object();
  for (const auto& [k, v] : sim.result_counts()) results[k] = v;
  summary["results"] = results;
  const auto& t = sim.times();
  summary["time_us"] = {{"schedule", round1(t.schedule_us)}, {"claim", round1(t.claim_us)}, {"free", round1(t.free_us)},
                        {"query", round1(t.query_us)},       {"explain", round1(t.explain_us)},
                        {"setup", round1(t.setup_us)},       {"total", round1(t.total_us)}};
  Json j;
  j["summary"] = summary;
  return j.dump();
}

std::string grouped_reasons(const std::vector<Rejection>& reasons, const std::string& indent) {
  std::map<std::string, std::vector<std::string>> groups;
  for (const auto& r : reasons) groups[r.reason].push_back(r.host);
  std::vector<std::pair<std::string, std::vector<std::string>>> sorted(groups.begin(), groups.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  std::string out;
  for (const auto& [reason, hosts] : sorted) {
    out += indent + std::to_string(hosts.size()) + (hosts.size() == 1 ? " host: " : " hosts: ") + reason + " (";
    for (size_t i = 0; i < hosts.size() && i < 5; ++i) out += (i ? ", " : "") + hosts[i];
    if (hosts.size() > 5) out += ", ... " + std::to_string(hosts.size() - 5) + " more";
    out += ")\n";
  }
  return out;
}

std::string op_result_human(const OpResult& r) {
  std::string out;
  switch (r.kind) {
    case OpKind::Boot:
      out = "boot " + r.id + ": ";
      if (r.outcome == Outcome::Ok) {
        out += "ok on " + r.host;
        if (!r.devices.empty()) {
          out += ", devices ";
          for (size_t i = 0; i < r.devices.size(); ++i) out += (i ? " " : "") + r.devices[i];
        }
        if (!r.numa_cells.empty()) {
          out += ", NUMA cell" + std::string(r.numa_cells.size() > 1 ? "s " : " ");
          for (size_t i = 0; i < r.numa_cells.size(); ++i) out += (i ? "+" : "") + std::to_string(r.numa_cells[i]);
        }
        out += "\n";
      } else if (r.outcome == Outcome::NoValidHost) {
        out += "No valid host was found\n";
        if (!r.why.empty()) {
          for (const auto& g : r.why) {
            out += "    " + std::to_string(g.hosts) + (g.hosts == 1 ? " host: " : " hosts: ") + g.reason + " (";
            for (size_t i = 0; i < g.sample.size(); ++i) out += (i ? ", " : "") + g.sample[i];
            if (g.hosts > g.sample.size()) out += ", ... " + std::to_string(g.hosts - g.sample.size()) + " more";
            out += ")\n";
          }
        } else {
          out += grouped_reasons(r.reasons, "    ");
        }
      } else {
        out += std::string(to_string(r.outcome)) + ": " + r.error + "\n";
      }
      break;
    case OpKind::Delete:
      out = "delete " + r.id + ": " + (r.outcome == Outcome::Ok ? "ok" : "not found (no such instance)") + "\n";
      break;
    case OpKind::Query: {
      out = "query: " + std::to_string(r.hosts.size()) + (r.hosts.size() == 1 ? " host fits" : " hosts fit");
      if (!r.hosts.empty()) {
        out += ": ";
        for (size_t i = 0; i < r.hosts.size() && i < 10; ++i) out += (i ? ", " : "") + r.hosts[i];
        if (r.hosts.size() > 10) out += ", ... " + std::to_string(r.hosts.size() - 10) + " more";
      }
      out += "\n";
      break;
    }
  }
  if (r.mismatch) out += "    MISMATCH: " + *r.mismatch + "\n";
  return out;
}

std::string summary_human(const Simulation& sim, size_t hosts) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%zu ops on %zu hosts, %zu expectation mismatch%s; ", sim.ops_run(), hosts,
                sim.mismatches(), sim.mismatches() == 1 ? "" : "es");
  std::string out = buf;
  bool first = true;
  for (const auto& [k, v] : sim.result_counts()) {
    out += (first ? "" : ", ") + k + " " + std::to_string(v);
    first = false;
  }
  std::snprintf(buf, sizeof buf, "\ntime: setup %.0f us, ops %.0f us (schedule %.0f, claim %.0f, free %.0f, query %.0f, explain %.0f)\n",
                sim.times().setup_us, sim.times().total_us, sim.times().schedule_us, sim.times().claim_us, sim.times().free_us,
                sim.times().query_us, sim.times().explain_us);
  return out + buf;
}

}  // namespace pcipass
