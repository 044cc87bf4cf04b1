#include "controller/reconcile.h"

#include <algorithm>
#include <map>
#include <set>

namespace pcipass {

Result<Reconciliation> reconcile(const HostRecord& stored, const std::vector<AllocationRecord>& held, HostRecord report) {
  Reconciliation out;
  std::map<PciAddress, size_t> reported;     // address -> index in report
  std::map<std::string, size_t> by_print;    // fingerprint -> index in report (unique ones only)
  std::set<std::string> ambiguous;
  for (size_t i = 0; i < report.devices.size(); ++i) {
    auto& d = report.devices[i];
    d.vanished = false;
    if (!reported.emplace(d.facts.address, i).second)
      return invalid("device " + d.facts.address.to_string() + " is reported twice").within("devices[" + std::to_string(i) + "]");
    if (!d.fingerprint.empty() && !by_print.emplace(d.fingerprint, i).second) ambiguous.insert(d.fingerprint);
  }
  // Cards sharing a serial number exist: such fingerprints identify nothing.
  for (const auto& print : ambiguous) {
    by_print.erase(print);
    out.notes.push_back("fingerprint " + quote(print) + " is reported for several devices; it is not used to follow moves");
  }
  std::map<PciAddress, const StoredDevice*> before;
  for (const auto& d : stored.devices) before[d.facts.address] = &d;
  std::set<PciAddress> held_at;
  for (const auto& a : held) held_at.insert(a.address);

  std::set<PciAddress> targets;  // addresses that receive a moved allocation
  std::vector<StoredDevice> kept;
  for (const PciAddress& address : held_at) {
    auto was = before.find(address);
    const std::string print = was != before.end() ? was->second->fingerprint : std::string();
    // Same device still there: nothing to do.
    auto now = reported.find(address);
    if (now != reported.end() && (print.empty() || report.devices[now->second].fingerprint.empty() ||
                                  report.devices[now->second].fingerprint == print))
      continue;
    // Same fingerprint elsewhere: follow it, unless that address is itself held and stays.
    if (!print.empty()) {
      auto moved = by_print.find(print);
      if (moved != by_print.end()) {
        const PciAddress to = report.devices[moved->second].facts.address;
        if (!targets.count(to)) {
          targets.insert(to);
          out.moves.push_back({address, to});
          out.notes.push_back("device " + address.to_string() + " moved to " + to.to_string() + " (fingerprint " + print +
                              "); its allocation follows it");
          continue;
        }
      }
    }
    if (now != reported.end()) {
      // Another device sits at the held address: the holder keeps the address.
      out.notes.push_back("device " + address.to_string() + " is allocated but now reports fingerprint " +
                          quote(report.devices[now->second].fingerprint) + " instead of " + quote(print) + "; kept allocated");
      continue;
    }
    if (was == before.end()) continue;  // the store never knew it; nothing to keep
    StoredDevice gone = *was->second;
    gone.vanished = true;
    kept.push_back(std::move(gone));
    out.notes.push_back("device " + address.to_string() + " vanished while allocated; kept allocated and flagged");
  }
  // A move onto an address another server holds (and keeps) cannot be followed: the
  // moved device's allocation stays at its old address, flagged vanished; the report
  // is still the truth about the host.
  std::vector<AddressMove> followed;
  for (const auto& m : out.moves) {
    const bool target_kept = held_at.count(m.to) &&
                             std::none_of(out.moves.begin(), out.moves.end(), [&](const AddressMove& o) { return o.from == m.to; });
    if (!target_kept) {
      followed.push_back(m);
      continue;
    }
    out.notes.push_back("device " + m.from.to_string() + " reappeared at " + m.to.to_string() +
                        ", which another server holds; it is kept allocated at " + m.from.to_string() + ", flagged vanished");
    if (auto was = before.find(m.from); was != before.end()) {
      StoredDevice gone = *was->second;
      gone.vanished = true;
      kept.push_back(std::move(gone));
    }
  }
  out.moves = std::move(followed);
  out.record = std::move(report);
  out.record.devices.insert(out.record.devices.end(), kept.begin(), kept.end());
  std::sort(out.record.devices.begin(), out.record.devices.end(),
            [](const StoredDevice& a, const StoredDevice& b) { return a.facts.address < b.facts.address; });
  return out;
}

}  // namespace pcipass
