#include "core/test_support.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace pcipass::testing {
namespace {

struct Parser {
  std::string_view s;
  size_t i = 0;
  [[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "test JSON literal: %s at %zu in %.*s\n", what, i, static_cast<int>(s.size()), s.data());
    std::abort();
  }
  void ws() { while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) ++i; }
  bool eat(char c) { ws(); if (i < s.size() && s[i] == c) { ++i; return true; } return false; }
  std::string str() {
    if (!eat('"')) fail("expected string");
    std::string out;
    while (i < s.size() && s[i] != '"') {
      if (s[i] == '\\' && i + 1 < s.size()) {
        const char e = s[i + 1];
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
        i += 2;
      }
      else out += s[i++];
    }
    if (i >= s.size()) fail("unterminated string");
    ++i;
    return out;
  }
  ConfigValue value() {
    ws();
    if (i >= s.size()) fail("unexpected end");
    char c = s[i];
    if (c == '{') {
      ++i;
      std::vector<ConfigValue::Member> m;
      if (eat('}')) return ConfigValue::object(std::move(m));
      do {
        std::string k = str();
        if (!eat(':')) fail("expected ':'");
        m.emplace_back(std::move(k), value());
      } while (eat(','));
      if (!eat('}')) fail("expected '}'");
      return ConfigValue::object(std::move(m));
    }
    if (c == '[') {
      ++i;
      std::vector<ConfigValue> items;
      if (eat(']')) return ConfigValue::array(std::move(items));
      do items.push_back(value()); while (eat(','));
      if (!eat(']')) fail("expected ']'");
      return ConfigValue::array(std::move(items));
    }
    if (c == '"') return ConfigValue::string(str());
    if (s.substr(i, 4) == "true") { i += 4; return ConfigValue::boolean(true); }
    if (s.substr(i, 5) == "false") { i += 5; return ConfigValue::boolean(false); }
    if (s.substr(i, 4) == "null") { i += 4; return ConfigValue::null(); }
    size_t start = i;
    bool real = false;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '-' || s[i] == '.' || s[i] == 'e')) {
      real = real || s[i] == '.' || s[i] == 'e';
      ++i;
    }
    if (start == i) fail("unexpected character");
    std::string num(s.substr(start, i - start));
    return real ? ConfigValue::real(std::strtod(num.c_str(), nullptr)) : ConfigValue::integer(std::strtoll(num.c_str(), nullptr, 10));
  }
};

}  // namespace

ConfigValue J(std::string_view json) {
  Parser p{json};
  ConfigValue v = p.value();
  p.ws();
  if (p.i != json.size()) p.fail("trailing characters");
  return v;
}

TestFleet make_fleet(std::string_view scenario_json) {
  TestFleet t;
  auto s = parse_scenario(J(scenario_json));
  if (!s) {
    std::fprintf(stderr, "test scenario: %s\n", s.error().describe().c_str());
    std::abort();
  }
  t.scenario = std::move(*s);
  t.fleet = std::make_unique<Fleet>(t.scenario.alias);
  std::vector<HostInventory> hosts;
  for (const auto& h : t.scenario.hosts) {
    const auto& specs = h.device_spec ? t.scenario.host_device_specs[*h.device_spec] : t.scenario.device_spec;
    auto inv = HostInventory::build(h.name, h.numa, h.devices, specs, t.fleet->classes());
    if (!inv) {
      std::fprintf(stderr, "test host: %s\n", inv.error().describe().c_str());
      std::abort();
    }
    hosts.push_back(std::move(*inv));
  }
  if (!t.fleet->add_hosts(std::move(hosts))) std::abort();
  return t;
}

InstanceShape TestFleet::shape(std::string_view extra_specs_json, uint32_t vcpus, uint64_t memory_mb) const {
  ExtraSpecs extra;
  const ConfigValue parsed = J(extra_specs_json);
  for (const auto& [k, v] : parsed.members()) extra.emplace_back(k, v.as_string());
  std::vector<std::string> ignored;
  auto s = parse_flavor(vcpus, memory_mb, extra, scenario.alias, ignored);
  if (!s) {
    std::fprintf(stderr, "test flavor: %s\n", s.error().describe().c_str());
    std::abort();
  }
  return *s;
}

DeviceFacts device(std::string_view address, std::string_view vendor, std::string_view product) {
  DeviceFacts d;
  d.address = PciAddress::parse(address).value();
  d.vendor_id = PciId::parse(vendor).value();
  d.product_id = PciId::parse(product).value();
  return d;
}

}  // namespace pcipass::testing
