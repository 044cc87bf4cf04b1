#pragma once
// JSON text <-> core ConfigValue: the one JSON reader of pcipass (duplicate keys and
// numbers beyond a double are errors; parse errors carry line and column), and the
// way back for what the core's codecs write.
#include <functional>
#include <istream>
#include <memory>
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
// Appends `text` as a JSON string, escaped as nlohmann's dump escapes it (the text is
// valid UTF-8), for the answers large enough to be written by hand.
void append_json_string(std::string& out, std::string_view text);

// Reads a JSON document from a stream without holding all of it: the elements of the
// top-level object's arrays named in `streamed` go to `element` one at a time and are
// not kept (the array stays, empty, in the returned tree); `array_starts` sees the
// members read so far when each such array begins. A hook's error ends the parse and is
// returned as it is. `open` gives the input (called again to place a syntax error's line
// and column).
struct JsonStreamHooks {
  std::vector<std::string> streamed;
  std::function<Status(const std::string& key, const ConfigValue& members_so_far)> array_starts;
  std::function<Status(const std::string& key, size_t index, ConfigValue element)> element;
};
Result<ConfigValue> parse_json_streaming(const std::function<std::unique_ptr<std::istream>()>& open, const JsonStreamHooks& hooks);

// Scenario files may give a device_spec entry as a string holding one JSON object
// (as nova.conf does); this replaces such strings with the parsed object, in the
// top-level and per-host device_spec lists. Errors name the entry's JSON path.
Status expand_device_spec_strings(ConfigValue& scenario_root);
// The same for hosts[index] alone.
Status expand_device_spec_strings_of_host(ConfigValue& host, size_t index);

}  // namespace pcipass
