#pragma once
// PciAddress: a concrete PCI function address, domain:bus:slot.function.
// Packed into 32 bits (domain <= 0xffff, bus <= 0xff, slot <= 0x1f, function <= 7),
// printed canonically as lower-case "dddd:bb:ss.f".
#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace pcipass {

class PciAddress {
 public:
  // 0000:00:00.0
  constexpr PciAddress() = default;
  static constexpr uint32_t kMaxDomain = 0xffff, kMaxBus = 0xff, kMaxSlot = 0x1f, kMaxFunction = 7;

  // Strict: exactly "DDDD:BB:SS.F" in hex digits of those widths, either case.
  static Result<PciAddress> parse(std::string_view text);
  static Result<PciAddress> from_fields(uint32_t domain, uint32_t bus, uint32_t slot, uint32_t function);

  uint32_t domain() const { return packed_ >> 16; }
  uint32_t bus() const { return (packed_ >> 8) & 0xff; }
  uint32_t slot() const { return (packed_ >> 3) & 0x1f; }
  uint32_t function() const { return packed_ & 7; }
  uint32_t packed() const { return packed_; }

  std::string to_string() const;
  auto operator<=>(const PciAddress&) const = default;

 private:
  explicit PciAddress(uint32_t packed) : packed_(packed) {}
  uint32_t packed_ = 0;
};

}  // namespace pcipass

template <>
struct std::hash<pcipass::PciAddress> {
  size_t operator()(const pcipass::PciAddress& a) const noexcept { return std::hash<uint32_t>{}(a.packed()); }
};
