#include "core/hex.h"

namespace pcipass {

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static uint32_t hex_value(char c) {
  if (c >= '0' && c <= '9') return static_cast<uint32_t>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<uint32_t>(c - 'a' + 10);
  return static_cast<uint32_t>(c - 'A' + 10);
}

std::string_view trim(std::string_view text) {
  const char* ws = " \t\r\n\f\v";
  auto b = text.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  auto e = text.find_last_not_of(ws);
  return text.substr(b, e - b + 1);
}

std::optional<uint32_t> parse_hex_exact(std::string_view text, uint32_t max) {
  if (text.empty()) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (!is_hex_digit(c)) return std::nullopt;
    v = v * 16 + hex_value(c);
    if (v > max) return std::nullopt;
  }
  return static_cast<uint32_t>(v);
}

std::optional<uint64_t> parse_hex_lenient(std::string_view text) {
  text = trim(text);
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) text.remove_prefix(2);
  if (text.empty()) return std::nullopt;
  uint64_t v = 0;
  bool saturated = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    // Python accepts single underscores between digits.
    if (c == '_' && i > 0 && i + 1 < text.size() && text[i - 1] != '_') continue;
    if (!is_hex_digit(c)) return std::nullopt;
    if (v > (UINT64_MAX >> 4)) saturated = true;
    v = saturated ? UINT64_MAX : v * 16 + hex_value(c);
  }
  return v;
}

}  // namespace pcipass
