#pragma once
// Port: monotonic time, for what the service keeps for a while (verified tokens).
#include <chrono>

namespace pcipass {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point now() = 0;
};

}  // namespace pcipass
