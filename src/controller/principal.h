#pragma once
// Who is calling: the holder of an API token, and what its role lets it do.
//  - admin: everything;
//  - agent: reads, and reports the inventory of its own host only;
//  - reader: reads only.
#include <optional>
#include <string>
#include <string_view>

namespace pcipass {

enum class Role { Admin, Agent, Reader };

struct Principal {
  std::string name;
  Role role = Role::Reader;
  std::string host;  // agents: the one host they may report for
};

std::optional<Role> parse_role(std::string_view text);
const char* to_string(Role role);

}  // namespace pcipass
