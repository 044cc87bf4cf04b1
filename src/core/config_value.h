#pragma once
// ConfigValue: a JSON-shaped value tree the core reads configuration from, so the
// core needs no JSON library. Objects keep their keys in document order.
// ConfigReader helpers turn type mismatches into errors that name the path.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"

namespace pcipass {

class ConfigValue {
 public:
  enum class Kind { Null, Bool, Integer, Real, String, Array, Object };
  using Member = std::pair<std::string, ConfigValue>;

  ConfigValue() = default;
  static ConfigValue null() { return ConfigValue(); }
  static ConfigValue boolean(bool b);
  static ConfigValue integer(int64_t i);
  static ConfigValue real(double d);
  static ConfigValue string(std::string s);
  static ConfigValue array(std::vector<ConfigValue> items = {});
  static ConfigValue object(std::vector<Member> members = {});

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_integer() const { return kind_ == Kind::Integer; }
  bool is_number() const { return kind_ == Kind::Integer || kind_ == Kind::Real; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_array() const { return kind_ == Kind::Array; }
  bool is_object() const { return kind_ == Kind::Object; }

  bool as_bool() const { return bool_; }
  int64_t as_integer() const { return int_; }
  double as_real() const { return kind_ == Kind::Integer ? static_cast<double>(int_) : real_; }
  const std::string& as_string() const { return str_; }
  const std::vector<ConfigValue>& items() const { return items_; }
  const std::vector<Member>& members() const { return members_; }
  std::vector<ConfigValue>& mutable_items() { return items_; }
  std::vector<Member>& mutable_members() { return members_; }

  // Object member lookup (first occurrence), nullptr if absent or not an object.
  const ConfigValue* find(std::string_view key) const;
  // Compact JSON text of this value (for messages and canonical tag values).
  std::string to_json() const;

 private:
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  int64_t int_ = 0;
  double real_ = 0;
  std::string str_;
  std::vector<ConfigValue> items_;
  std::vector<Member> members_;
};

const char* kind_name(ConfigValue::Kind kind);

// Typed reads with errors naming what was expected.
Result<std::string> read_string(const ConfigValue& v);
Result<int64_t> read_integer(const ConfigValue& v, int64_t min, int64_t max);
Result<bool> read_bool(const ConfigValue& v);
std::string quote(std::string_view s);

// Rejects object keys not in `allowed`, naming the first unknown one (error context = key).
Status reject_unknown_keys(const ConfigValue& object, std::initializer_list<std::string_view> allowed,
                           std::string_view what);

}  // namespace pcipass
