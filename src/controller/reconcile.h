#pragma once
// Reconciling an agent's report with what the store holds for that host. Pure.
//  - New devices become available; free devices that are gone are dropped.
//  - An allocated device that is gone stays on record, flagged vanished: never
//    silently freed (its holder still has it as far as anyone can tell).
//  - An allocated device that reappears at another address with the same
//    fingerprint keeps its identity: the allocation follows it to the new address,
//    unless another server holds that address: then it stays, flagged vanished.
//  - A report is never refused for contradicting what is held (only for being
//    malformed): it is the truth about the host.
#include <string>
#include <vector>

#include "ports/state_store.h"

namespace pcipass {

struct Reconciliation {
  HostRecord record;                // what to store (report + vanished devices kept)
  std::vector<AddressMove> moves;   // allocations to move
  std::vector<std::string> notes;   // one line per flagged or moved device, for the reporter
};

// `stored`: the host as the store has it (empty name: new host); `held`: the addresses
// allocated on it; `report`: the agent's inventory (no vanished flags).
Result<Reconciliation> reconcile(const HostRecord& stored, const std::vector<AllocationRecord>& held, HostRecord report);

}  // namespace pcipass
