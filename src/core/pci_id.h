#pragma once
// PciId: a 16-bit PCI vendor or device (product) id, printed as 4 lower-case hex digits.
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace pcipass {

class PciId {
 public:
  constexpr PciId() = default;
  constexpr explicit PciId(uint16_t value) : value_(value) {}
  // Exactly 4 hex digits, either case (the form sysfs, lspci -n and Nova aliases use).
  static Result<PciId> parse(std::string_view text);

  constexpr uint16_t value() const { return value_; }
  std::string to_string() const;
  auto operator<=>(const PciId&) const = default;

 private:
  uint16_t value_ = 0;
};

}  // namespace pcipass
