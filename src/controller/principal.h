#pragma once
// Who is calling: the holder of an API token, and what its role lets it do.
//  - admin: everything;
//  - agent: reads, and reports the inventory of its own host only;
//  - reader: reads only;
//  - member: acts in one project only: its servers, ports and quotas, its project's and
//    the shared networks, and the flavors; nothing of the fleet's own (hosts, devices,
//    configuration, health, capacity, explain, tokens).
#include <optional>
#include <string>
#include <string_view>

namespace pcipass {

enum class Role { Admin, Agent, Reader, Member };

struct Principal {
  std::string name;
  Role role = Role::Reader;
  std::string host;  // agents: the one host they may report for
  std::string project = "";  // members: the one project they act in
};

std::optional<Role> parse_role(std::string_view text);
const char* to_string(Role role);

}  // namespace pcipass
