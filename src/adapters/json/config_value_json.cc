#include "adapters/json/config_value_json.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <map>
#include <istream>
#include <optional>

namespace pcipass {
namespace {

using Json = nlohmann::json;

// Builds a ConfigValue straight from nlohmann's SAX events: no intermediate DOM, linear
// time, and duplicate keys (which JSON leaves undefined) are reported, not resolved.
class Builder : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return add(ConfigValue::null()); }
  bool boolean(bool v) override { return add(ConfigValue::boolean(v)); }
  bool number_integer(number_integer_t v) override { return add(ConfigValue::integer(v)); }
  bool number_unsigned(number_unsigned_t v) override {
    if (v > static_cast<uint64_t>(INT64_MAX)) return add(ConfigValue::real(static_cast<double>(v)));
    return add(ConfigValue::integer(static_cast<int64_t>(v)));
  }
  bool number_float(number_float_t v, const string_t&) override { return add(ConfigValue::real(v)); }
  bool string(string_t& v) override { return add(ConfigValue::string(std::move(v))); }
  bool binary(binary_t&) override { return fail("binary values are not JSON"); }
  bool start_object(std::size_t) override {
    frames_.push_back({ConfigValue::object(), {}});
    return true;
  }
  bool key(string_t& k) override {
    frames_.back().key = std::move(k);
    return true;
  }
  bool end_object() override {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    if (duplicates_) return add(last_value_wins(std::move(f.value)));
    std::vector<std::string_view> keys;
    keys.reserve(f.value.members().size());
    for (const auto& m : f.value.members()) keys.push_back(m.first);
    std::sort(keys.begin(), keys.end());
    if (auto d = std::adjacent_find(keys.begin(), keys.end()); d != keys.end()) {
      where_ = join_path(path_here(), std::string(*d));
      return fail("duplicate key " + quote(*d) + " in a JSON object");
    }
    return add(std::move(f.value));
  }
  bool start_array(std::size_t) override {
    frames_.push_back({ConfigValue::array(), {}});
    if (hooks_ && frames_.size() == 2 && frames_[0].value.is_object() &&
        std::find(hooks_->streamed.begin(), hooks_->streamed.end(), frames_[0].key) != hooks_->streamed.end()) {
      frames_.back().streamed = 0;
      if (hooks_->array_starts)
        if (auto st = hooks_->array_starts(frames_[0].key, frames_[0].value); !st) return hook_failed(std::move(st).error());
    }
    return true;
  }
  bool end_array() override {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    return add(std::move(f.value));
  }
  bool parse_error(std::size_t position, const std::string& last_token, const nlohmann::detail::exception& ex) override {
    error_position_ = position;
    syntax_ = ex.id == 101;  // nlohmann's id for an unexpected token
    error_ = syntax_ ? (last_token.empty() ? std::string("unexpected end of input") : "unexpected " + quote(last_token)) : ex.what();
    return false;
  }

  std::optional<ConfigValue> root;
  std::vector<std::string>* duplicates_ = nullptr;  // set: Python's rule instead of an error
  const JsonStreamHooks* hooks_ = nullptr;          // set: some top-level arrays are streamed
  std::optional<Error> hook_error_;
  std::string error_;
  std::string where_;  // the JSON path of a semantic error
  std::size_t error_position_ = 0;
  bool semantic_error_ = false;
  bool syntax_ = false;  // error_ is about a token at error_position_

 private:
  struct Frame {
    ConfigValue value;
    std::string key;
    std::optional<size_t> streamed;  // a streamed array: how many elements went to the hook
  };
  bool add(ConfigValue v) {
    if (frames_.empty()) {
      root = std::move(v);
      return true;
    }
    Frame& top = frames_.back();
    if (top.streamed) {
      const size_t index = (*top.streamed)++;
      if (auto st = hooks_->element(frames_[0].key, index, std::move(v)); !st) return hook_failed(std::move(st).error());
      return true;
    }
    if (top.value.is_array()) top.value.mutable_items().push_back(std::move(v));
    else top.value.mutable_members().emplace_back(std::move(top.key), std::move(v));
    return true;
  }
  // A key given again keeps its first place and takes the later value (Python's dict).
  ConfigValue last_value_wins(ConfigValue object) {
    ConfigValue out = ConfigValue::object();
    std::map<std::string, size_t> at;
    for (auto& [key, value] : object.mutable_members()) {
      if (auto it = at.find(key); it != at.end()) {
        out.mutable_members()[it->second].second = std::move(value);
        duplicates_->push_back(join_path(path_here(), key));
        continue;
      }
      at.emplace(key, out.members().size());
      out.mutable_members().emplace_back(key, std::move(value));
    }
    return out;
  }
  static std::string join_path(std::string path, const std::string& key) { return path.empty() ? key : path + "." + key; }
  // Where the value being built goes: "devices[2]", "flavor.extra_specs", "" for the root.
  std::string path_here() const {
    std::string path;
    for (const Frame& f : frames_)
      path = f.value.is_array() ? path + "[" + std::to_string(f.streamed ? *f.streamed : f.value.items().size()) + "]"
                                : join_path(path, f.key);
    return path;
  }
  bool fail(std::string message) {
    error_ = std::move(message);
    semantic_error_ = true;
    return false;
  }
  bool hook_failed(Error e) {
    hook_error_ = std::move(e);
    return false;
  }
  std::vector<Frame> frames_;
};

Result<ConfigValue> parse_json_impl(std::string_view text, std::vector<std::string>* duplicates);

// Line and column of byte `position` (1-based, as nlohmann counts) of what `next` reads.
std::pair<size_t, size_t> line_and_column(std::istream& in, size_t position) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i + 1 < position; ++i) {
    const int c = in.get();
    if (c == std::char_traits<char>::eof()) break;
    if (c == '\n') { ++line; column = 1; }
    else ++column;
  }
  return {line, column};
}

}  // namespace

Result<ConfigValue> parse_json_streaming(const std::function<std::unique_ptr<std::istream>()>& open, const JsonStreamHooks& hooks) {
  auto in = open();
  if (!in || !*in) return invalid("cannot read the input");
  Builder builder;
  builder.hooks_ = &hooks;
  bool ok = false;
  try {
    ok = Json::sax_parse(*in, &builder);
  } catch (const Json::exception& e) {
    return invalid(std::string("invalid JSON: ") + e.what());
  }
  if (builder.hook_error_) return std::move(*builder.hook_error_);
  if (ok && builder.root) return std::move(*builder.root);
  if (builder.semantic_error_) {
    Error e = invalid(builder.error_);
    if (!builder.where_.empty()) e.within(builder.where_);
    return e;
  }
  if (builder.syntax_) {
    auto again = open();
    auto [line, column] = again ? line_and_column(*again, builder.error_position_) : std::pair<size_t, size_t>{0, 0};
    return invalid("invalid JSON at line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + builder.error_);
  }
  return invalid("invalid JSON: " + builder.error_);
}

Result<ConfigValue> parse_json(std::string_view text) { return parse_json_impl(text, nullptr); }

Result<ConfigValue> parse_json_last_key_wins(std::string_view text, std::vector<std::string>& duplicates) {
  return parse_json_impl(text, &duplicates);
}

namespace {
Result<ConfigValue> parse_json_impl(std::string_view text, std::vector<std::string>* duplicates) {
  Builder builder;
  builder.duplicates_ = duplicates;
  bool ok = false;
  try {
    ok = Json::sax_parse(text.begin(), text.end(), &builder);
  } catch (const Json::exception& e) {
    return invalid(std::string("invalid JSON: ") + e.what());
  }
  if (ok && builder.root) return std::move(*builder.root);
  if (builder.semantic_error_) {
    Error e = invalid(builder.error_);
    if (!builder.where_.empty()) e.within(builder.where_);
    return e;
  }
  size_t line = 1, column = 1;
  for (size_t i = 0; i + 1 < builder.error_position_ && i < text.size(); ++i) {
    if (text[i] == '\n') { ++line; column = 1; }
    else ++column;
  }
  if (builder.syntax_)
    return invalid("invalid JSON at line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + builder.error_);
  return invalid("invalid JSON: " + builder.error_);
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

nlohmann::ordered_json to_json(const ConfigValue& v) {
  switch (v.kind()) {
    case ConfigValue::Kind::Null: return nullptr;
    case ConfigValue::Kind::Bool: return v.as_bool();
    case ConfigValue::Kind::Integer: return v.as_integer();
    case ConfigValue::Kind::Real: return v.as_real();
    case ConfigValue::Kind::String: return v.as_string();
    case ConfigValue::Kind::Array: {
      auto out = nlohmann::ordered_json::array();
      for (const auto& item : v.items()) out.push_back(to_json(item));
      return out;
    }
    case ConfigValue::Kind::Object: {
      auto out = nlohmann::ordered_json::object();
      for (const auto& [key, member] : v.members()) out[key] = to_json(member);
      return out;
    }
  }
  return nullptr;
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

Status expand_device_spec_strings_of_host(ConfigValue& host, size_t index) {
  if (!host.is_object()) return ok_status();
  for (auto& [key, value] : host.mutable_members())
    if (key == "device_spec") return expand_list(value, "hosts[" + std::to_string(index) + "].device_spec");
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
