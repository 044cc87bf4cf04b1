#pragma once
// The machine's monotonic clock.
#include "ports/clock.h"

namespace pcipass {

class SystemClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() override { return std::chrono::steady_clock::now(); }
};

}  // namespace pcipass
