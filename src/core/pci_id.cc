#include "core/pci_id.h"

#include <cstdio>

#include "core/hex.h"

namespace pcipass {

Result<PciId> PciId::parse(std::string_view text) {
  auto v = text.size() == 4 ? parse_hex_exact(text, 0xffff) : std::nullopt;
  if (!v) return invalid("expected 4 hex digits, got \"" + std::string(text) + "\"");
  return PciId(static_cast<uint16_t>(*v));
}

std::string PciId::to_string() const {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04x", value_);
  return buf;
}

}  // namespace pcipass
