#include "server/json_body.h"

#include "adapters/json/config_value_json.h"

namespace pcipass::server {
namespace {
const ConfigValue kNull;
}

Result<ConfigValue> parse_body(const std::string& body) {
  return parse_json(body);
}

Status Fields::is_object() const {
  if (!j_.is_object()) return std::move(invalid("expected a JSON object").within(path_.empty() ? "body" : path_));
  return ok_status();
}

const ConfigValue& Fields::raw(const char* key) {
  read_.insert(key);
  const ConfigValue* v = j_.find(key);
  return v ? *v : kNull;
}

Result<std::optional<std::string>> Fields::optional_string(const char* key) {
  const ConfigValue& v = raw(key);
  if (v.is_null()) return std::optional<std::string>{};
  if (!v.is_string()) return std::move(invalid("expected a string").within(path(key)));
  return std::optional<std::string>(v.as_string());
}

Result<std::string> Fields::string(const char* key) {
  auto v = optional_string(key);
  if (!v) return std::move(v).error();
  if (!*v) return std::move(invalid("is required").within(path(key)));
  return std::move(**v);
}

Result<std::optional<uint64_t>> Fields::optional_unsigned(const char* key, uint64_t max) {
  const ConfigValue& v = raw(key);
  if (v.is_null()) return std::optional<uint64_t>{};
  auto n = read_integer(v, 0, static_cast<int64_t>(max));
  if (!n) return std::move(std::move(n).error().within(path(key)));
  return std::optional<uint64_t>(static_cast<uint64_t>(*n));
}

Result<uint64_t> Fields::unsigned_int(const char* key, uint64_t max) {
  auto v = optional_unsigned(key, max);
  if (!v) return std::move(v).error();
  if (!*v) return std::move(invalid("is required").within(path(key)));
  return **v;
}

Status Fields::no_unknown_fields() const {
  for (const auto& [k, v] : j_.members())
    if (!read_.count(k)) return std::move(invalid("unknown field").within(path(k.c_str())));
  return ok_status();
}

}  // namespace pcipass::server
