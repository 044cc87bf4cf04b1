#include "core/pci_address.h"

#include <cstdio>

#include "core/hex.h"

namespace pcipass {

Result<PciAddress> PciAddress::from_fields(uint32_t domain, uint32_t bus, uint32_t slot, uint32_t function) {
  if (domain > kMaxDomain || bus > kMaxBus || slot > kMaxSlot || function > kMaxFunction)
    return invalid("PCI address field out of range (domain <= ffff, bus <= ff, slot <= 1f, function <= 7)");
  return PciAddress((domain << 16) | (bus << 8) | (slot << 3) | function);
}

Result<PciAddress> PciAddress::parse(std::string_view text) {
  const std::string shown = "'" + std::string(text) + "'";
  if (text.size() != 12 || text[4] != ':' || text[7] != ':' || text[10] != '.')
    return invalid("required full DDDD:BB:SS.F PCI address, got " + shown);
  auto d = parse_hex_exact(text.substr(0, 4), 0xffff);
  auto b = parse_hex_exact(text.substr(5, 2), 0xff);
  auto s = parse_hex_exact(text.substr(8, 2), 0xff);
  auto f = parse_hex_exact(text.substr(11, 1), 0xf);
  if (!d || !b || !s || !f) return invalid("required full DDDD:BB:SS.F PCI address in hex digits, got " + shown);
  if (*s > kMaxSlot) return invalid("PCI slot above 1f in " + shown);
  if (*f > kMaxFunction) return invalid("PCI function above 7 in " + shown);
  return PciAddress((*d << 16) | (*b << 8) | (*s << 3) | *f);
}

std::string PciAddress::to_string() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04x:%02x:%02x.%x", domain(), bus(), slot(), function());
  return buf;
}

}  // namespace pcipass
