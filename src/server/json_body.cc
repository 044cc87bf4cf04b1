#include "server/json_body.h"

namespace pcipass::server {
namespace {
const Json kNull = nullptr;
}

Result<Json> parse_body(const std::string& body) {
  try {
    return Json::parse(body);
  } catch (const nlohmann::json::exception& e) {  // parse errors, and numbers out of range
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    return invalid("malformed JSON: " + what);
  }
}

Status Fields::is_object() const {
  if (!j_.is_object()) return std::move(invalid("expected a JSON object").within(path_.empty() ? "body" : path_));
  return ok_status();
}

const Json& Fields::raw(const char* key) {
  read_.insert(key);
  auto it = j_.find(key);
  return it == j_.end() ? kNull : *it;
}

Result<std::optional<std::string>> Fields::optional_string(const char* key) {
  const Json& v = raw(key);
  if (v.is_null()) return std::optional<std::string>{};
  if (!v.is_string()) return std::move(invalid("expected a string").within(path(key)));
  return std::optional<std::string>(v.get<std::string>());
}

Result<std::string> Fields::string(const char* key) {
  auto v = optional_string(key);
  if (!v) return std::move(v).error();
  if (!*v) return std::move(invalid("is required").within(path(key)));
  return std::move(**v);
}

Result<std::optional<uint64_t>> Fields::optional_unsigned(const char* key, uint64_t max) {
  const Json& v = raw(key);
  if (v.is_null()) return std::optional<uint64_t>{};
  if (!v.is_number_unsigned() || v.get<uint64_t>() > max)
    return std::move(invalid("expected an integer from 0 to " + std::to_string(max)).within(path(key)));
  return std::optional<uint64_t>(v.get<uint64_t>());
}

Result<uint64_t> Fields::unsigned_int(const char* key, uint64_t max) {
  auto v = optional_unsigned(key, max);
  if (!v) return std::move(v).error();
  if (!*v) return std::move(invalid("is required").within(path(key)));
  return **v;
}

Status Fields::no_unknown_fields() const {
  if (!j_.is_object()) return ok_status();
  for (const auto& [k, v] : j_.items())
    if (!read_.count(k)) return std::move(invalid("unknown field").within(path(k.c_str())));
  return ok_status();
}

}  // namespace pcipass::server
