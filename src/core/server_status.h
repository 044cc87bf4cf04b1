#pragma once
// A server's lifecycle, and the one set of rules for moving it. A server on a host
// whose agent manages devices (`pcipass agent --manage-devices`) is `building` while
// its agent prepares its devices, then `active`, or `error` (with the step that failed
// and the host's words) once the agent has rolled the step back; deleting one that
// its agent prepared makes it `deleting` until the agent has restored its devices.
// On a host whose agent does not manage devices a server is `placed` (devices claimed,
// XML ready), and a delete frees its devices at once.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace pcipass {

enum class ServerStatus : uint8_t { Placed, Building, Active, Error, Deleting };
const char* to_string(ServerStatus status);
std::optional<ServerStatus> parse_server_status(std::string_view text);

struct ServerState {
  ServerStatus status = ServerStatus::Placed;
  std::string step;     // error: the step that failed ("prepare 0000:03:00.0: bind to vfio-pci")
  std::string message;  // error: what the host said
  bool operator==(const ServerState&) const = default;
};

// What a new server starts as on a host that manages devices or not.
inline ServerStatus initial_status(bool host_manages_devices) {
  return host_manages_devices ? ServerStatus::Building : ServerStatus::Placed;
}

// What a host's agent says of a server it carries out.
enum class AgentOutcome : uint8_t {
  Active,    // prepared (and started): building -> active
  Failed,    // a step failed and was rolled back: building|active -> error
  Restored,  // its devices are back as recorded: deleting -> gone (its devices freed)
};
const char* to_string(AgentOutcome outcome);
std::optional<AgentOutcome> parse_agent_outcome(std::string_view text);

// The status an agent's outcome moves `current` to (Restored: nullopt, the server is
// released); the same outcome again is accepted (an agent retrying after a lost
// answer). Conflict, naming the status, when it does not apply: the agent then acts on
// the status as it is (a server deleted while building is restored, not started).
Result<std::optional<ServerStatus>> apply_outcome(ServerStatus current, AgentOutcome outcome);

enum class DeleteAction : uint8_t {
  ReleaseNow,    // nothing on the host to restore: free its devices now
  MarkDeleting,  // its agent restores the devices, then says Restored
  Nothing,       // already deleting
};
// A delete of a server in `current` on a host whose agent manages devices now or not.
// `force`: the operator frees the devices without the host (its agent, when it comes
// back, restores what it prepared for a server that is gone).
DeleteAction delete_action(ServerStatus current, bool host_manages_devices, bool force);

// Settled: the status a wait (`server create --wait`) ends on.
inline bool settled(ServerStatus s) { return s != ServerStatus::Building && s != ServerStatus::Deleting; }

}  // namespace pcipass
