#pragma once
// Secrets from the kernel's random source and OpenSSL's SHA-256.
#include "ports/secrets.h"

namespace pcipass {

class OpenSslSecrets final : public Secrets {
 public:
  Result<std::string> new_secret() override;
  std::string digest(std::string_view data) override;
};

}  // namespace pcipass
