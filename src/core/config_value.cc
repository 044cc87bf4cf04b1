#include "core/config_value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace pcipass {

const std::string& ConfigValue::empty_string() {
  static const std::string empty;
  return empty;
}
const std::vector<ConfigValue>& ConfigValue::empty_items() {
  static const std::vector<ConfigValue> empty;
  return empty;
}
const std::vector<ConfigValue::Member>& ConfigValue::empty_members() {
  static const std::vector<Member> empty;
  return empty;
}

const ConfigValue* ConfigValue::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : members())
    if (k == key) return &v;
  return nullptr;
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') { out += '\\'; out += c; }
    else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else out += c;
  }
  return out + "\"";
}

std::string ConfigValue::to_json() const {
  switch (kind()) {
    case Kind::Null: return "null";
    case Kind::Bool: return as_bool() ? "true" : "false";
    case Kind::Integer: return std::to_string(as_integer());
    case Kind::Real: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", as_real());
      return buf;
    }
    case Kind::String: return quote(as_string());
    case Kind::Array: {
      std::string out = "[";
      for (size_t i = 0; i < items().size(); ++i) out += (i ? "," : "") + items()[i].to_json();
      return out + "]";
    }
    case Kind::Object: {
      std::string out = "{";
      for (size_t i = 0; i < members().size(); ++i)
        out += (i ? "," : "") + quote(members()[i].first) + ":" + members()[i].second.to_json();
      return out + "}";
    }
  }
  return "null";
}

const char* kind_name(ConfigValue::Kind kind) {
  switch (kind) {
    case ConfigValue::Kind::Null: return "null";
    case ConfigValue::Kind::Bool: return "a boolean";
    case ConfigValue::Kind::Integer: return "an integer";
    case ConfigValue::Kind::Real: return "a number";
    case ConfigValue::Kind::String: return "a string";
    case ConfigValue::Kind::Array: return "a list";
    case ConfigValue::Kind::Object: return "an object";
  }
  return "a value";
}

Result<std::string> read_string(const ConfigValue& v) {
  if (!v.is_string()) return invalid(std::string("expected a string, got ") + kind_name(v.kind()));
  return v.as_string();
}

Result<int64_t> read_integer(const ConfigValue& v, int64_t min, int64_t max) {
  int64_t i = 0;
  if (v.is_integer()) {
    i = v.as_integer();
  } else if (v.kind() == ConfigValue::Kind::Real && std::floor(v.as_real()) == v.as_real() &&
             std::fabs(v.as_real()) < 9e15) {
    i = static_cast<int64_t>(v.as_real());
  } else {
    return invalid(std::string("expected an integer, got ") + kind_name(v.kind()) +
                   (v.is_string() ? " " + quote(v.as_string()) : ""));
  }
  if (i < min || i > max)
    return invalid("expected an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", got " +
                   std::to_string(i));
  return i;
}

Result<bool> read_bool(const ConfigValue& v) {
  if (!v.is_bool()) return invalid(std::string("expected true or false, got ") + kind_name(v.kind()));
  return v.as_bool();
}

Status reject_unknown_keys(const ConfigValue& object, std::initializer_list<std::string_view> allowed,
                           std::string_view what) {
  for (const auto& [key, value] : object.members()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return std::move(invalid("unknown key in " + std::string(what) + " (allowed: " + list + ")").within(key));
    }
  }
  return ok_status();
}

}  // namespace pcipass
