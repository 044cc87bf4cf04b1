#pragma once
// Hexadecimal field parsing shared by addresses, ids and device_spec.
#include <cstdint>
#include <optional>
#include <string_view>

namespace pcipass {

// Parses a non-empty string of hex digits (no prefix, no sign) into a value
// no greater than max; nullopt if it is not such a string or exceeds max.
std::optional<uint32_t> parse_hex_exact(std::string_view text, uint32_t max);

// Like Python's int(text, 16): optional surrounding whitespace, optional 0x prefix.
// Returns nullopt if it does not parse as a hex number; the value may exceed 32 bits
// (saturates at UINT64_MAX) so the caller can give a range error.
std::optional<uint64_t> parse_hex_lenient(std::string_view text);

std::string_view trim(std::string_view text);
bool is_hex_digit(char c);

}  // namespace pcipass
