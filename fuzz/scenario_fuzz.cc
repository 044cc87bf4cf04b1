// libFuzzer target: arbitrary bytes through the whole simulate path (JSON, scenario
// validation, inventory build, every op with the invariant checker). Any crash,
// sanitizer report or broken invariant is a bug: bad input must only ever produce an error.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "adapters/json/config_value_json.h"
#include "core/scenario.h"
#include "core/simulation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pcipass;
  if (size > 64 * 1024) return 0;
  auto root = parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!root) return 0;
  if (!expand_device_spec_strings(*root)) return 0;
  auto scenario = parse_scenario(*root);
  if (!scenario) return 0;
  if (scenario->hosts.size() > 64 || scenario->ops.size() > 256) return 0;
  for (const auto& h : scenario->hosts)
    if (h.devices.size() > 256) return 0;
  SimulationOptions options;
  options.check_invariants = true;
  options.weigher = size % 2 ? Weigher::Pack : Weigher::Name;
  auto sim = Simulation::build(*scenario, options);
  if (!sim) return 0;
  for (const auto& op : scenario->ops) {
    auto r = sim->run(op);
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().describe().c_str());
      std::abort();
    }
  }
  return 0;
}
