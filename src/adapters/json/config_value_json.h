#pragma once
// JSON text <-> core ConfigValue: the one JSON reader of pcipass (duplicate keys and
// numbers beyond a double are errors; parse errors carry line and column), and the
// way back for what the core's codecs write.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/config_value.h"

namespace pcipass {

Result<ConfigValue> parse_json(std::string_view text);
// As Python's json.loads reads nova.conf's JSON values: a key given twice keeps its
// first place and its last value; the JSON path of each such key is appended to
// `duplicates`.
Result<ConfigValue> parse_json_last_key_wins(std::string_view text, std::vector<std::string>& duplicates);
nlohmann::ordered_json to_json(const ConfigValue& value);

// Scenario files may give a device_spec entry as a string holding one JSON object
// (as nova.conf does); this replaces such strings with the parsed object, in the
// top-level and per-host device_spec lists. Errors name the entry's JSON path.
Status expand_device_spec_strings(ConfigValue& scenario_root);

}  // namespace pcipass
