#include "adapters/json/scenario_json.h"

#include "adapters/json/config_value_json.h"

namespace pcipass {

Result<Scenario> load_scenario_text(std::string_view text) {
  auto root = parse_json(text);
  if (!root) return std::move(root).error();
  if (auto expanded = expand_device_spec_strings(*root); !expanded) return std::move(expanded).error();
  return parse_scenario(*root);
}

}  // namespace pcipass
