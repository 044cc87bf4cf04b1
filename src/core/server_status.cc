#include "core/server_status.h"

#include <array>

#include "core/config_value.h"

namespace pcipass {
namespace {
constexpr std::array<std::pair<ServerStatus, std::string_view>, 5> kStatuses{{{ServerStatus::Placed, "placed"},
                                                                               {ServerStatus::Building, "building"},
                                                                               {ServerStatus::Active, "active"},
                                                                               {ServerStatus::Error, "error"},
                                                                               {ServerStatus::Deleting, "deleting"}}};
constexpr std::array<std::pair<AgentOutcome, std::string_view>, 3> kOutcomes{
    {{AgentOutcome::Active, "active"}, {AgentOutcome::Failed, "error"}, {AgentOutcome::Restored, "restored"}}};
}  // namespace

// One table per enum, read both ways.
template <class E, size_t N>
const char* name_of(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, name] : table)
    if (v == value) return name.data();
  return table.front().second.data();
}

template <class E, size_t N>
std::optional<E> value_of(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view text) {
  for (const auto& [v, name] : table)
    if (name == text) return v;
  return std::nullopt;
}

const char* to_string(ServerStatus status) { return name_of(kStatuses, status); }
std::optional<ServerStatus> parse_server_status(std::string_view text) { return value_of(kStatuses, text); }
const char* to_string(AgentOutcome outcome) { return name_of(kOutcomes, outcome); }
std::optional<AgentOutcome> parse_agent_outcome(std::string_view text) { return value_of(kOutcomes, text); }

Result<std::optional<ServerStatus>> apply_outcome(ServerStatus current, AgentOutcome outcome) {
  using S = ServerStatus;
  const std::string now = std::string("the server is ") + to_string(current);
  switch (outcome) {
    case AgentOutcome::Active:
      if (current == S::Building || current == S::Active) return std::optional<S>(S::Active);
      break;
    case AgentOutcome::Failed:
      if (current == S::Building || current == S::Active || current == S::Error) return std::optional<S>(S::Error);
      break;
    case AgentOutcome::Restored:
      if (current == S::Deleting) return std::optional<S>();
      break;
  }
  std::string hint;
  if (current == S::Deleting) hint = ": restore its devices and say restored";
  else if (current == S::Placed) hint = ": its host did not manage devices when it was placed";
  else if (outcome == AgentOutcome::Restored) hint = ": it is not being deleted";
  return Error(ErrorCode::Conflict, now + ", so " + quote(to_string(outcome)) + " does not apply" + hint);
}

DeleteAction delete_action(ServerStatus current, bool host_manages_devices, bool force) {
  if (force || !host_manages_devices) return DeleteAction::ReleaseNow;
  switch (current) {
    case ServerStatus::Placed:
    case ServerStatus::Error:  // its agent rolled its devices back before saying so
      return DeleteAction::ReleaseNow;
    case ServerStatus::Building:
    case ServerStatus::Active:
      return DeleteAction::MarkDeleting;
    case ServerStatus::Deleting:
      return DeleteAction::Nothing;
  }
  return DeleteAction::ReleaseNow;
}

}  // namespace pcipass
