#pragma once
// INI text in oslo.config's dialect (nova.conf), so operators paste their lines
// unchanged: `[section]` headers; `key = value` or `key: value`; a key may repeat
// (multi-valued options such as [pci] device_spec keep every occurrence, in order);
// an indented line continues the previous value (joined with a newline); lines
// starting with '#' or ';' are comments (not inline: JSON and regexes may hold them);
// a value wrapped in matching quotes loses them. Every entry keeps its line number.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pcipass {

struct IniEntry {
  std::string section;  // "DEFAULT" before any header
  std::string key;
  std::string value;
  uint32_t line = 0;    // 1-based, of the key
};

// Errors name the line ("line 12: ...").
Result<std::vector<IniEntry>> parse_ini(std::string_view text);

}  // namespace pcipass
