#include "adapters/json/config_value_json.h"

#include <nlohmann/json.hpp>

namespace pcipass {
namespace {

ConfigValue convert(const nlohmann::ordered_json& j) {
  using nlohmann::ordered_json;
  switch (j.type()) {
    case ordered_json::value_t::null: return ConfigValue::null();
    case ordered_json::value_t::boolean: return ConfigValue::boolean(j.get<bool>());
    case ordered_json::value_t::number_integer: return ConfigValue::integer(j.get<int64_t>());
    case ordered_json::value_t::number_unsigned: {
      auto u = j.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return ConfigValue::real(static_cast<double>(u));
      return ConfigValue::integer(static_cast<int64_t>(u));
    }
    case ordered_json::value_t::number_float: return ConfigValue::real(j.get<double>());
    case ordered_json::value_t::string: return ConfigValue::string(j.get<std::string>());
    case ordered_json::value_t::array: {
      std::vector<ConfigValue> items;
      items.reserve(j.size());
      for (const auto& x : j) items.push_back(convert(x));
      return ConfigValue::array(std::move(items));
    }
    case ordered_json::value_t::object: {
      std::vector<ConfigValue::Member> members;
      members.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) members.emplace_back(it.key(), convert(it.value()));
      return ConfigValue::object(std::move(members));
    }
    default: return ConfigValue::null();
  }
}

// Rejects duplicate object keys, which the JSON standard leaves undefined and
// a typo-prone config should not silently resolve.
struct DuplicateKeyCheck {
  std::vector<std::vector<std::string>> stack;
  std::string duplicate;
};

}  // namespace

Result<ConfigValue> parse_json(std::string_view text) {
  DuplicateKeyCheck check;
  auto callback = [&check](int depth, nlohmann::ordered_json::parse_event_t event, nlohmann::ordered_json& parsed) {
    using E = nlohmann::ordered_json::parse_event_t;
    if (event == E::object_start) check.stack.emplace_back();
    else if (event == E::object_end && !check.stack.empty()) check.stack.pop_back();
    else if (event == E::key && !check.stack.empty()) {
      auto key = parsed.get<std::string>();
      auto& keys = check.stack.back();
      if (std::find(keys.begin(), keys.end(), key) != keys.end() && check.duplicate.empty()) check.duplicate = key;
      keys.push_back(key);
    }
    (void)depth;
    return true;
  };
  try {
    auto j = nlohmann::ordered_json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/true);
    if (!check.duplicate.empty()) return invalid("duplicate key " + quote(check.duplicate) + " in a JSON object");
    return convert(j);
  } catch (const nlohmann::json::parse_error& e) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') { ++line; column = 1; }
      else ++column;
    }
    std::string what = e.what();
    auto pos = what.find("syntax error");
    return invalid("invalid JSON at line " + std::to_string(line) + ", column " + std::to_string(column) + ": " +
                   (pos == std::string::npos ? what : what.substr(pos)));
  } catch (const nlohmann::json::exception& e) {
    // e.g. out_of_range 406: a number too large for a double ("1e999").
    std::string what = e.what();
    auto pos = what.find("] ");
    return invalid("invalid JSON: " + (pos == std::string::npos ? what : what.substr(pos + 2)));
  }
}

static Status expand_list(ConfigValue& list, const std::string& path) {
  if (!list.is_array()) return ok_status();
  auto& items = list.mutable_items();
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string()) continue;
    auto parsed = parse_json(items[i].as_string());
    if (!parsed)
      return std::move(invalid("this device_spec string is not valid JSON: " + parsed.error().message())
                           .within("[" + std::to_string(i) + "]").within(path));
    if (!parsed->is_object())
      return std::move(invalid(std::string("a device_spec string must hold one JSON object, it holds ") + kind_name(parsed->kind()))
                           .within("[" + std::to_string(i) + "]").within(path));
    items[i] = std::move(*parsed);
  }
  return ok_status();
}

Status expand_device_spec_strings(ConfigValue& root) {
  if (!root.is_object()) return ok_status();
  for (auto& [key, value] : root.mutable_members()) {
    if (key == "device_spec") {
      auto s = expand_list(value, "device_spec");
      if (!s) return s;
    } else if (key == "hosts" && value.is_array()) {
      auto& hosts = value.mutable_items();
      for (size_t i = 0; i < hosts.size(); ++i) {
        if (!hosts[i].is_object()) continue;
        for (auto& [hkey, hvalue] : hosts[i].mutable_members())
          if (hkey == "device_spec") {
            auto s = expand_list(hvalue, "hosts[" + std::to_string(i) + "].device_spec");
            if (!s) return s;
          }
      }
    }
  }
  return ok_status();
}

}  // namespace pcipass
