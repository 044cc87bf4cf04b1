#pragma once
// ConfigValue: a JSON-shaped value tree the core reads configuration from, so the
// core needs no JSON library. Objects keep their keys in document order.
// ConfigReader helpers turn type mismatches into errors that name the path.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/error.h"

namespace pcipass {

class ConfigValue {
 public:
  enum class Kind { Null, Bool, Integer, Real, String, Array, Object };
  using Member = std::pair<std::string, ConfigValue>;

  ConfigValue() = default;
  static ConfigValue null() { return ConfigValue(); }
  static ConfigValue boolean(bool b) { return ConfigValue(Storage(std::in_place_index<1>, b)); }
  static ConfigValue integer(int64_t i) { return ConfigValue(Storage(std::in_place_index<2>, i)); }
  static ConfigValue real(double d) { return ConfigValue(Storage(std::in_place_index<3>, d)); }
  static ConfigValue string(std::string s) { return ConfigValue(Storage(std::in_place_index<4>, std::move(s))); }
  static ConfigValue array(std::vector<ConfigValue> items = {}) { return ConfigValue(Storage(std::in_place_index<5>, std::move(items))); }
  static ConfigValue object(std::vector<Member> members = {}) { return ConfigValue(Storage(std::in_place_index<6>, std::move(members))); }

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_null() const { return kind() == Kind::Null; }
  bool is_bool() const { return kind() == Kind::Bool; }
  bool is_integer() const { return kind() == Kind::Integer; }
  bool is_number() const { return kind() == Kind::Integer || kind() == Kind::Real; }
  bool is_string() const { return kind() == Kind::String; }
  bool is_array() const { return kind() == Kind::Array; }
  bool is_object() const { return kind() == Kind::Object; }

  // Accessors of the other kinds return a neutral value (false, 0, empty), never throw.
  bool as_bool() const { return is_bool() && std::get<1>(v_); }
  int64_t as_integer() const { return is_integer() ? std::get<2>(v_) : 0; }
  double as_real() const { return is_integer() ? static_cast<double>(std::get<2>(v_)) : kind() == Kind::Real ? std::get<3>(v_) : 0.0; }
  const std::string& as_string() const { return is_string() ? std::get<4>(v_) : empty_string(); }
  const std::vector<ConfigValue>& items() const { return is_array() ? std::get<5>(v_) : empty_items(); }
  const std::vector<Member>& members() const { return is_object() ? std::get<6>(v_) : empty_members(); }
  // Only on an array / object respectively.
  std::vector<ConfigValue>& mutable_items() { return std::get<5>(v_); }
  std::vector<Member>& mutable_members() { return std::get<6>(v_); }

  // Object member lookup (first occurrence), nullptr if absent or not an object.
  const ConfigValue* find(std::string_view key) const;
  // Compact JSON text of this value (for messages and canonical tag values).
  std::string to_json() const;

 private:
  using Storage = std::variant<std::monostate, bool, int64_t, double, std::string, std::vector<ConfigValue>, std::vector<Member>>;
  explicit ConfigValue(Storage v) : v_(std::move(v)) {}
  static const std::string& empty_string();
  static const std::vector<ConfigValue>& empty_items();
  static const std::vector<Member>& empty_members();
  Storage v_;
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
