#include "host/apply.h"

#include <algorithm>
#include <map>
#include <set>

#include "host/persistence.h"

namespace pcipass {
namespace {

bool wants(const PassthroughWanted& w, const DiscoveredDevice& d) {
  return w.address ? *w.address == d.address : (w.ids->first == d.vendor_id && w.ids->second == d.product_id);
}

bool on_host(const PassthroughWanted& w, const Discovery& discovery) {
  for (const auto& d : discovery.devices)
    if (wants(w, d)) return true;
  return false;
}

BindOptions bind_options(const HostConfig& c) {
  BindOptions o;
  o.persist = c.persist;
  o.driverctl = c.driverctl;
  o.force = c.force;
  o.vfio_group = c.vfio_group;
  o.vfio_mode = c.vfio_mode;
  return o;
}

}  // namespace

std::vector<PciAddress> matched_devices(const HostConfig& config, const Discovery& discovery) {
  std::vector<PciAddress> out;
  for (const auto& d : discovery.devices) {
    if (d.is_bridge()) continue;
    for (const auto& w : config.passthrough)
      if (wants(w, d)) {
        out.push_back(d.address);
        break;
      }
  }
  return out;
}

Result<BindPlan> plan_apply_sriov(const HostConfig& config, const SysfsReader& sysfs, const Discovery& discovery) {
  BindPlan all;
  std::optional<std::string> rules;
  if (auto r = sysfs.read(std::string(kSriovUdevRules))) rules = *r;
  for (size_t i = 0; i < config.sriov.size(); ++i) {
    const auto& w = config.sriov[i];
    auto pf = read_pf_state(sysfs, discovery, w.pf);
    if (!pf) return std::move(std::move(pf).error().within("sriov[" + std::to_string(i) + "]"));
    SriovOptions o;
    o.persist = config.persist;
    o.autoprobe = w.autoprobe;
    o.force = config.force;
    auto plan = plan_sriov(*pf, w.vfs, o, rules);
    if (!plan) return std::move(std::move(plan).error().within("sriov[" + std::to_string(i) + "]"));
    // Later PFs' rule edits build on this one's.
    if (o.persist) rules = sriov_rules_with(rules.value_or(""), w.pf, w.vfs, w.autoprobe);
    for (auto& s : plan->steps) all.steps.push_back(std::move(s));
    for (auto& n : plan->notes) all.notes.push_back(std::move(n));
  }
  return all;
}

std::vector<std::string> missing_passthrough(const HostConfig& config, const Discovery& discovery) {
  std::vector<std::string> out;
  for (size_t i = 0; i < config.passthrough.size(); ++i) {
    const auto& w = config.passthrough[i];
    if (!on_host(w, discovery)) out.push_back("passthrough[" + std::to_string(i) + "]: no " + w.describe() + " device on this host");
  }
  return out;
}

Result<BindPlan> plan_apply_bind(const HostConfig& config, const SysfsReader& sysfs, const Discovery& discovery) {
  auto wanted = matched_devices(config, discovery);
  BindPlan plan;
  plan.notes = missing_passthrough(config, discovery);
  if (wanted.empty()) return plan;
  for (PciAddress a : wanted) {
    auto fixed = std::find(config.fixed.begin(), config.fixed.end(), a);
    if (fixed == config.fixed.end()) continue;
    for (const auto& d : discovery.devices)
      if (d.address == a && !d.virtfns.empty())
        return Error(ErrorCode::Conflict, a.to_string() + " is declared fixed (fixed[" + std::to_string(fixed - config.fixed.begin()) +
                                              "]) and has " + std::to_string(d.virtfns.size()) +
                                              " VF(s): binding it whole would remove them; pcipass never changes its mode");
  }
  const auto critical = find_host_critical(sysfs, discovery);
  auto state = read_device_states(sysfs, discovery, critical);
  BindOptions o = bind_options(config);
  const PersistenceFiles files = read_persistence_files(sysfs);
  const BindRules rules = parse_bind_rules(files.bind_rules.value_or(""));
  const auto findings = persistence_findings(files, discovery, critical);
  // A config address whose persisted record was written for another device: the bus was
  // renumbered since, and binding what sits there now could take the wrong device.
  for (size_t i = 0; i < config.passthrough.size(); ++i) {
    const auto& w = config.passthrough[i];
    if (!w.address) continue;
    const PersistedBinding* b = binding_at(rules.bindings, *w.address);
    auto here = std::find_if(discovery.devices.begin(), discovery.devices.end(), [&](const auto& d) { return d.address == *w.address; });
    if (!b || here == discovery.devices.end() ||
        b->same_ids(here->vendor_id, here->product_id, here->subsystem_vendor_id, here->subsystem_device_id))
      continue;
    std::string moved;
    for (const auto& f : findings)
      if (f.address == *w.address && f.moved_to) moved = "; the device it was written for is at " + f.moved_to->to_string() + " now";
    return Error(ErrorCode::Conflict, "passthrough[" + std::to_string(i) + "]: " + w.address->to_string() + " was persisted for " +
                                          b->vendor_id.to_string() + ":" + b->device_id.to_string() + ", but " +
                                          here->vendor_id.to_string() + ":" + here->product_id.to_string() +
                                          " sits there now (renumbered?)" + moved +
                                          ": fix the config's address, or forget the record with `pcipass unbind --persisted-only " +
                                          w.address->to_string() + "`");
  }
  // Records whose device moved to an address this config binds are re-keyed: the new
  // address is persisted, the old one forgotten, in the same step.
  if (o.persist)
    for (const auto& f : findings)
      if (f.moved_to && std::find(wanted.begin(), wanted.end(), *f.moved_to) != wanted.end()) {
        o.forget.push_back(f.address);
        plan.notes.push_back(f.address.to_string() + " moved to " + f.moved_to->to_string() + ": its persisted binding follows it");
      }
  auto bind = plan_bind(wanted, state, o, sysfs.exists("sys/bus/pci/drivers/" + o.driver), files);
  if (!bind) return std::move(bind).error();
  for (auto& n : plan.notes) bind->notes.push_back(std::move(n));
  return bind;
}

ApplyOutcome apply(const HostConfig& config, const SysfsReader& sysfs, SysfsWriter& writer, const Progress* progress) {
  ApplyOutcome out;
  auto sriov = plan_apply_sriov(config, sysfs, discover(sysfs, nullptr, progress));
  if (!sriov) {
    out.failure = std::move(sriov).error();
    return out;
  }
  out.sriov = std::move(*sriov);
  Execution first = execute(out.sriov, writer, sysfs, progress, "setting VF counts");
  if (!first.ok()) {
    out.failure = first.failure;
    out.rolled_back = first.rolled_back;
    out.rollback_errors = first.rollback_errors;
    return out;
  }
  const Discovery after = discover(sysfs, nullptr, progress);
  Result<BindPlan> bind = BindPlan{};
  if (auto missing = missing_passthrough(config, after); !missing.empty()) {
    std::string all;
    for (const auto& m : missing) all += (all.empty() ? "" : "; ") + m;
    bind = Error(ErrorCode::NotFound, all);
  } else {
    bind = plan_apply_bind(config, sysfs, after);
  }
  if (!bind) {
    out.failure = std::move(bind).error();
    out.rollback_errors = undo_all(out.sriov, writer, sysfs);
    out.rolled_back = out.rollback_errors.empty();
    return out;
  }
  out.bind = std::move(*bind);
  Execution second = execute(out.bind, writer, sysfs, progress, "binding devices");
  if (!second.ok()) {
    out.failure = second.failure;
    out.rollback_errors = second.rollback_errors;
    for (auto& e : undo_all(out.sriov, writer, sysfs)) out.rollback_errors.push_back(std::move(e));
    out.rolled_back = out.rollback_errors.empty();
  }
  return out;
}

std::vector<std::string> find_drift(const HostConfig& config, const SysfsReader& sysfs, const Discovery& discovery) {
  std::vector<std::string> drift;
  std::map<PciAddress, const DiscoveredDevice*> by_address;
  for (const auto& d : discovery.devices) by_address[d.address] = &d;
  for (const auto& w : config.sriov) {
    auto it = by_address.find(w.pf);
    if (it == by_address.end()) {
      drift.push_back("PF " + w.pf.to_string() + " is not on this host");
      continue;
    }
    const uint32_t now = it->second->sriov_numvfs.value_or(0);
    if (now != w.vfs)
      drift.push_back("PF " + w.pf.to_string() + " has " + std::to_string(now) + " VFs, the config wants " + std::to_string(w.vfs));
  }
  for (const auto& w : config.passthrough)
    if (!on_host(w, discovery)) drift.push_back("no " + w.describe() + " device on this host");
  const auto wanted = matched_devices(config, discovery);
  std::set<PciAddress> wanted_set(wanted.begin(), wanted.end());
  for (PciAddress a : wanted)  // IOMMU-group companions go to vfio-pci with them
    for (PciAddress m : by_address[a]->iommu_group_members) wanted_set.insert(m);
  const BindRules rules = parse_bind_rules(sysfs.read(std::string(kBindRules), 1 << 20).value_or(""));
  for (const auto& p : rules.problems) drift.push_back(p);
  for (PciAddress a : wanted) {
    const DiscoveredDevice& d = *by_address[a];
    if (d.driver != std::optional<std::string>("vfio-pci"))
      drift.push_back(a.to_string() + " is bound to " + d.driver.value_or("no driver") + ", the config wants vfio-pci");
    else if (d.driver_override != std::optional<std::string>("vfio-pci"))
      drift.push_back(a.to_string() + " is on vfio-pci without a driver_override (a re-probe would move it)");
    const PersistedBinding* b = binding_at(rules.bindings, a);
    if (config.persist && (!b || b->driver != "vfio-pci"))
      drift.push_back(a.to_string() + " is not persisted (" + std::string(kBindRules) + ")");
    else if (config.persist && !b->same_ids(d.vendor_id, d.product_id, d.subsystem_vendor_id, d.subsystem_device_id))
      drift.push_back(a.to_string() + " is persisted for another device (" + std::string(kBindRules) + ")");
    if (config.persist && config.driverctl && sysfs.read(driverctl_path(a)).value_or("") != "vfio-pci\n")
      drift.push_back(a.to_string() + " is not persisted for driverctl (" + driverctl_path(a) + ")");
  }
  for (const auto& d : discovery.devices) {
    if (wanted_set.count(d.address)) continue;
    const bool overridden = d.driver_override == std::optional<std::string>("vfio-pci");
    const PersistedBinding* b = binding_at(rules.bindings, d.address);
    const bool persisted = sysfs.read(driverctl_path(d.address)).value_or("") == "vfio-pci\n" || (b && b->driver == "vfio-pci");
    if (overridden || persisted)
      drift.push_back(d.address.to_string() + " is set to vfio-pci" + (persisted ? " (persisted)" : "") + " but not in the config");
  }
  return drift;
}

}  // namespace pcipass
