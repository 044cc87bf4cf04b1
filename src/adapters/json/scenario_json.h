#pragma once
// A scenario document (../shared/scenario-format.md) from its JSON text to core values:
// JSON errors carry line and column, the rest name the JSON path.
#include <string_view>

#include "core/scenario.h"

namespace pcipass {

Result<Scenario> load_scenario_text(std::string_view text);

}  // namespace pcipass
