#pragma once
// Bearer tokens. A secret is 32 random bytes (hex, prefixed "pcipass_"); only its
// SHA-256 is stored, so a leaked database does not leak usable tokens. Roles:
//  - admin: everything;
//  - agent: reads, and reports the inventory of its own host only;
//  - reader: reads only.
#include <optional>
#include <string>

#include "core/error.h"

namespace pcipass::server {

enum class Role { Admin, Agent, Reader };

struct Principal {
  std::string name;
  Role role = Role::Reader;
  std::string host;  // agents
};

std::optional<Role> parse_role(std::string_view text);
const char* to_string(Role role);

std::string sha256_hex(std::string_view data);
// A fresh secret from the kernel's random source.
Result<std::string> new_secret();
// The token in an "Authorization: Bearer <token>" header value; nullopt if malformed.
std::optional<std::string> bearer_token(std::string_view header);

}  // namespace pcipass::server
