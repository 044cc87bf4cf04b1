#pragma once
// Strict reading of JSON request bodies through the one JSON reader (adapters/json:
// duplicate keys and numbers out of range are errors): every field is checked for
// type and range, unknown fields are refused, and errors carry the field's JSON path.
#include <optional>
#include <set>
#include <string>

#include "core/config_value.h"

namespace pcipass::server {

Result<ConfigValue> parse_body(const std::string& body);

// Reads one JSON object at `path` (e.g. "devices[3]").
class Fields {
 public:
  Fields(const ConfigValue& object, std::string path) : j_(object), path_(std::move(path)) {}
  // Error if the value at path is not an object.
  Status is_object() const;
  Result<std::string> string(const char* key);
  Result<std::optional<std::string>> optional_string(const char* key);
  Result<uint64_t> unsigned_int(const char* key, uint64_t max);
  Result<std::optional<uint64_t>> optional_unsigned(const char* key, uint64_t max);
  // The member (null if absent), marked as read.
  const ConfigValue& raw(const char* key);
  // Refuses any member not read so far.
  Status no_unknown_fields() const;
  std::string path(const char* key) const { return path_.empty() ? key : path_ + "." + key; }

 private:
  const ConfigValue& j_;
  std::string path_;
  std::set<std::string> read_;
};

}  // namespace pcipass::server
