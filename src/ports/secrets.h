#pragma once
// Port: the cryptography the service needs for API tokens and MAC addresses.
#include <string>
#include <string_view>

#include "core/error.h"

namespace pcipass {

class Secrets {
 public:
  virtual ~Secrets() = default;
  // A fresh, unguessable bearer secret ("pcipass_" and 64 hex digits).
  virtual Result<std::string> new_secret() = 0;
  // SHA-256 of `data`, 64 lower-case hex digits.
  virtual std::string digest(std::string_view data) = 0;
};

}  // namespace pcipass
