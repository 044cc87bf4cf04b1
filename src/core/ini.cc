#include "core/ini.h"

namespace pcipass {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string unquote(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) return std::string(v.substr(1, v.size() - 2));
  return std::string(v);
}

}  // namespace

Result<std::vector<IniEntry>> parse_ini(std::string_view text) {
  std::vector<IniEntry> out;
  std::string section = "DEFAULT";
  bool continuable = false;  // the previous line was a key (or its continuation)
  uint32_t n = 0;
  while (!text.empty() || n == 0) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++n;
    auto at = [&](std::string message) { return invalid(std::move(message)).within("line " + std::to_string(n)); };
    const std::string_view t = trim(line);
    if (t.empty()) {
      continuable = false;
      if (text.empty()) break;
      continue;
    }
    if (t.front() == '#' || t.front() == ';') {
      if (text.empty()) break;
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (!continuable) return at("an indented line continues nothing: " + std::string(t));
      std::string& v = out.back().value;
      v = unquote(trim(std::string(v + "\n" + std::string(t))));
      if (text.empty()) break;
      continue;
    }
    if (t.front() == '[') {
      if (t.back() != ']') return at("a section header needs a closing ']': " + std::string(t));
      const std::string_view name = trim(t.substr(1, t.size() - 2));
      if (name.empty()) return at("a section header needs a name");
      section = std::string(name);
      continuable = false;
      if (text.empty()) break;
      continue;
    }
    const size_t sep = t.find_first_of("=:");
    if (sep == std::string_view::npos) return at("expected 'key = value', got: " + std::string(t));
    const std::string_view key = trim(t.substr(0, sep));
    if (key.empty()) return at("a value without a key: " + std::string(t));
    out.push_back({section, std::string(key), unquote(trim(t.substr(sep + 1))), n});
    continuable = true;
    if (text.empty()) break;
  }
  return out;
}

}  // namespace pcipass
