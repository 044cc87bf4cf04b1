#pragma once
// OptIndex: an optional 32-bit index in 4 bytes (std::optional<uint32_t> takes 8).
// The all-ones value is reserved for "none" and never escapes this type; indexes
// into in-memory tables never reach it.
#include <cstdint>
#include <optional>

namespace pcipass {

class OptIndex {
 public:
  constexpr OptIndex() = default;
  constexpr OptIndex(std::nullopt_t) {}                   // NOLINT(google-explicit-constructor)
  constexpr OptIndex(uint32_t v) : v_(v) {}               // NOLINT(google-explicit-constructor)
  constexpr OptIndex(const std::optional<uint32_t>& o) : v_(o ? *o : kNone) {}  // NOLINT

  constexpr bool has_value() const { return v_ != kNone; }
  constexpr explicit operator bool() const { return has_value(); }
  constexpr uint32_t operator*() const { return v_; }
  constexpr void reset() { v_ = kNone; }
  std::optional<uint32_t> to_optional() const { return has_value() ? std::optional<uint32_t>(v_) : std::nullopt; }

  friend constexpr bool operator==(OptIndex a, OptIndex b) { return a.v_ == b.v_; }
  friend constexpr bool operator==(OptIndex a, uint32_t b) { return a.has_value() && a.v_ == b; }
  friend bool operator==(OptIndex a, const std::optional<uint32_t>& b) { return a.to_optional() == b; }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  uint32_t v_ = kNone;
};

}  // namespace pcipass
