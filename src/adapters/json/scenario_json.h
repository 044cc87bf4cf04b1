#pragma once
// A scenario document (../shared/scenario-format.md) from its JSON text to core values:
// JSON errors carry line and column, the rest name the JSON path.
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string_view>

#include "core/scenario.h"
#include "core/simulation.h"

namespace pcipass {

Result<Scenario> load_scenario_text(std::string_view text);

// A scenario read into a Simulation ready to run its ops.
struct LoadedSimulation {
  std::optional<Simulation> simulation;
  std::vector<Op> ops;
  std::vector<std::string> warnings;  // each prefixed with its JSON path
  size_t hosts = 0;
};

// Reads the scenario from `open()` as a stream: each host is built into the fleet as it
// is read, and neither the text nor the whole JSON tree is held. That needs format,
// device_spec and alias before hosts, and hosts before ops (as every example and
// generator writes them); a document in another order is read whole instead, with the
// same result. The errors are those of load_scenario_text and Simulation::build.
// `read_host` (if set) hears of each host built, with how many so far.
Result<LoadedSimulation> load_simulation(const std::function<std::unique_ptr<std::istream>()>& open, SimulationOptions options,
                                         const std::function<void(size_t hosts)>& read_host = {});

}  // namespace pcipass
