#include "adapters/json/scenario_json.h"

#include <algorithm>
#include <iterator>

#include "adapters/json/config_value_json.h"

namespace pcipass {

Result<Scenario> load_scenario_text(std::string_view text) {
  auto root = parse_json(text);
  if (!root) return std::move(root).error();
  if (auto expanded = expand_device_spec_strings(*root); !expanded) return std::move(expanded).error();
  return parse_scenario(*root);
}

namespace {

Result<LoadedSimulation> load_whole(const std::function<std::unique_ptr<std::istream>()>& open, SimulationOptions options) {
  auto in = open();
  if (!in || !*in) return invalid("cannot read the input");
  std::string text(std::istreambuf_iterator<char>(*in), {});
  in.reset();
  auto scenario = load_scenario_text(text);
  std::string().swap(text);
  if (!scenario) return std::move(scenario).error();
  auto sim = Simulation::build(*scenario, std::move(options));
  if (!sim) return std::move(sim).error();
  LoadedSimulation out;
  out.simulation = std::move(*sim);
  out.ops = std::move(scenario->ops);
  out.warnings = std::move(scenario->warnings);
  out.hosts = scenario->hosts.size();
  return out;
}

}  // namespace

Result<LoadedSimulation> load_simulation(const std::function<std::unique_ptr<std::istream>()>& open, SimulationOptions options,
                                         const std::function<void(size_t hosts)>& read_host) {
  ScenarioParser parser;
  LoadedSimulation out;
  size_t header_members = 0;  // how many members the header was read from
  bool hosts_in_fleet = false, seen_hosts = false;
  auto out_of_order = [] { return invalid("the scenario's members are not in streaming order"); };
  auto finish_hosts = [&]() -> Status {
    if (hosts_in_fleet) return ok_status();
    hosts_in_fleet = true;
    return out.simulation->finish_hosts();
  };

  JsonStreamHooks hooks;
  hooks.streamed = {"hosts", "ops"};
  hooks.array_starts = [&](const std::string& key, const ConfigValue& so_far) -> Status {
    if (key == "ops" && !seen_hosts) return out_of_order();  // ops name hosts: they must come first
    if (key == "hosts" && seen_hosts) return out_of_order();
    if (key == "hosts") seen_hosts = true;
    if (out.simulation) return ok_status();
    ConfigValue header = so_far;
    if (auto st = expand_device_spec_strings(header); !st) return st;
    if (auto st = parser.header(header); !st) return st;
    header_members = so_far.members().size();
    out.simulation = Simulation::start(parser.alias(), options);
    return ok_status();
  };
  hooks.element = [&](const std::string& key, size_t index, ConfigValue element) -> Status {
    if (key == "hosts") {
      if (auto st = expand_device_spec_strings_of_host(element, index); !st) return st;
      std::optional<DeviceSpecList> own;
      auto host = parser.host(index, element, own);
      if (!host) return std::move(host).error();
      ++out.hosts;
      if (read_host) read_host(out.hosts);
      return out.simulation->add_host(index, *host, own ? *own : parser.device_spec());
    }
    if (auto st = finish_hosts(); !st) return st;
    auto op = parser.op(index, element);
    if (!op) return std::move(op).error();
    out.ops.push_back(std::move(*op));
    return ok_status();
  };

  // On any error, out of order or not, the whole document is read as parse_scenario
  // reads it, so that a document gets the same first error however it is laid out.
  // So does one where nothing was streamed (no hosts list), or members came after the
  // lists began.
  auto whole = [&] {
    out = LoadedSimulation();
    return load_whole(open, options);
  };
  auto root = parse_json_streaming(open, hooks);
  if (!root) return whole();
  const size_t lists = (root->find("hosts") ? 1 : 0) + (root->find("ops") ? 1 : 0);
  if (!out.simulation || !root->is_object() || !seen_hosts || root->members().size() != header_members + lists) return whole();
  if (auto st = finish_hosts(); !st) return whole();
  out.simulation->learn(out.ops);
  out.warnings = std::move(parser.warnings());
  return out;
}

}  // namespace pcipass
