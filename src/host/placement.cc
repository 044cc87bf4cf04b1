#include "host/placement.h"

#include <algorithm>
#include <cstdio>

#include "core/sriov_plan.h"
#include "host/binding.h"
#include "host/host_critical.h"
#include "host/host_facts.h"
#include "host/plan_executor.h"

namespace pcipass {
namespace {

const DiscoveredDevice* find_device(const Discovery& d, PciAddress a) {
  for (const auto& dev : d.devices)
    if (dev.address == a) return &dev;
  return nullptr;
}

std::optional<std::string> sriov_rules(const SysfsReader& sysfs) {
  if (auto r = sysfs.read(std::string(kSriovUdevRules))) return *r;
  return std::nullopt;
}

void append(BindPlan& into, BindPlan&& plan) {
  for (auto& s : plan.steps) into.steps.push_back(std::move(s));
  for (auto& n : plan.notes) into.notes.push_back(std::move(n));
}

std::string devices_text(const std::vector<PreparedDevice>& record, bool (*pick)(const PreparedDevice&)) {
  std::string out;
  for (const auto& d : record)
    if (pick(d)) out += (out.empty() ? "" : ", ") + d.address.to_string();
  return out;
}

StepFailure failed(std::string step, const Error& e, std::vector<std::string> rollback = {}) {
  return StepFailure{std::move(step), e.describe(), std::move(rollback)};
}

}  // namespace

Result<std::vector<PreparedDevice>> record_devices(const Discovery& discovery, const SysfsReader& sysfs,
                                                   const std::vector<AssignedDevice>& devices, VfNetwork* network) {
  std::vector<PreparedDevice> out;
  for (const auto& a : devices) {
    const DiscoveredDevice* d = find_device(discovery, a.address);
    if (!d) return Error(ErrorCode::NotFound, a.address.to_string() + ": no such PCI device on this host");
    PreparedDevice p;
    p.address = a.address;
    p.type = a.type;
    p.managed = a.managed;
    p.driver = d->driver;
    p.driver_override = d->driver_override;
    p.iommu_group = d->iommu_group;
    if (a.type == DeviceType::Pf) {
      auto pf = read_pf_state(sysfs, discovery, a.address);
      if (!pf) return std::move(pf).error();
      p.numvfs = pf->numvfs;
      p.autoprobe = pf->autoprobe;
      if (network && !d->netdevs.empty() && pf->numvfs > 0 && !a.managed) {
        p.pf_netdev = d->netdevs.front();
        auto settings = network->vfs(*p.pf_netdev);
        if (!settings) return std::move(std::move(settings).error().within(a.address.to_string()));
        p.vf_settings = std::move(*settings);
      }
    }
    if (a.mac && !a.managed) {
      const DiscoveredDevice* pf = d->physfn ? find_device(discovery, *d->physfn) : nullptr;
      if (!pf || pf->netdevs.empty())
        return Error(ErrorCode::NotFound, a.address.to_string() + ": its PF has no network interface to set the VF's MAC on");
      const auto at = std::find(pf->virtfns.begin(), pf->virtfns.end(), a.address);
      if (at == pf->virtfns.end()) return Error(ErrorCode::NotFound, a.address.to_string() + ": not listed among its PF's VFs");
      p.pf_netdev = pf->netdevs.front();
      p.vf_index = static_cast<uint32_t>(at - pf->virtfns.begin());
      p.vf_wanted = VfNetSettings{*a.mac, a.vlan};
      if (network) {
        auto now = network->vfs(*p.pf_netdev);
        if (!now) return std::move(std::move(now).error().within(a.address.to_string()));
        if (*p.vf_index < now->size()) p.vf_before = (*now)[*p.vf_index];
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::optional<StepFailure> prepare_devices(const SysfsReader& sysfs, SysfsWriter& writer, const std::vector<PreparedDevice>& record,
                                           const PrepareOptions& options, std::vector<std::string>* done) {
  const Discovery before = discover(sysfs);
  // 1. PFs with VFs lose them; none may be in use.
  const auto open = vfio_users(sysfs, before);
  BindPlan vfs_off;
  for (const auto& rec : record) {
    if (rec.managed || rec.type != DeviceType::Pf) continue;
    const std::string step = "prepare " + rec.address.to_string() + ": remove its VFs";
    auto pf = read_pf_state(sysfs, before, rec.address);
    if (!pf) return failed(step, pf.error());
    if (pf->numvfs == 0) continue;
    for (const auto& [vf, driver] : pf->vfs)
      if (auto who = open.find(vf); who != open.end())
        return StepFailure{step, "its VF " + vf.to_string() + " is in use: its VFIO device is open by " + who->second, {}};
    auto plan = plan_sriov(*pf, 0, SriovOptions{false, pf->autoprobe, false}, sriov_rules(sysfs));
    if (!plan) return failed(step, plan.error());
    append(vfs_off, std::move(*plan));
  }
  auto note = [&](const BindPlan& plan) {
    if (done)
      for (const auto& step : plan.steps) done->push_back(step.description);
  };
  Execution first = execute(vfs_off, writer, sysfs);
  if (!first.ok())
    return failed("prepare " + devices_text(record, [](const PreparedDevice& d) { return d.type == DeviceType::Pf && !d.managed; }) +
                      ": remove the VFs",
                  *first.failure, first.rollback_errors);
  note(vfs_off);
  // 2. Every device the agent binds, to vfio-pci (with its IOMMU group).
  std::vector<PciAddress> wanted;
  for (const auto& rec : record)
    if (!rec.managed) wanted.push_back(rec.address);
  if (wanted.empty()) return std::nullopt;
  const std::string bind_step =
      "prepare " + devices_text(record, [](const PreparedDevice& d) { return !d.managed; }) + ": bind to vfio-pci";
  const Discovery after = discover(sysfs);
  auto undo_first = [&](std::vector<std::string> errors) {
    for (auto& e : undo_all(vfs_off, writer, sysfs)) errors.push_back(std::move(e));
    return errors;
  };
  BindOptions o;
  o.driver = "vfio-pci";
  auto bind = plan_bind(wanted, read_device_states(sysfs, after, find_host_critical(sysfs, after)), o,
                        sysfs.exists("sys/bus/pci/drivers/vfio-pci"), read_persistence_files(sysfs));
  if (!bind) return failed(bind_step, bind.error(), undo_first({}));
  Execution second = execute(*bind, writer, sysfs);
  if (!second.ok()) return failed(bind_step, *second.failure, undo_first(second.rollback_errors));
  note(*bind);
  // 3. A NIC VF's MAC and VLAN, on its PF (libvirt sets them again when the domain starts).
  std::vector<const PreparedDevice*> set;
  auto undo_settings = [&](std::vector<std::string> errors) {
    for (const PreparedDevice* rec : set)
      if (auto st = options.network->set(*rec->pf_netdev, *rec->vf_index, rec->vf_before.value_or(VfNetSettings{})); !st)
        errors.push_back(st.error().describe());
    return errors;
  };
  for (const auto& rec : record) {
    if (rec.managed || !rec.vf_wanted) continue;
    const std::string step = "prepare " + rec.address.to_string() + ": set MAC " + rec.vf_wanted->mac +
                             (rec.vf_wanted->vlan ? " VLAN " + std::to_string(rec.vf_wanted->vlan) : "") + " on " + *rec.pf_netdev;
    Status st = options.network ? options.network->set(*rec.pf_netdev, *rec.vf_index, *rec.vf_wanted)
                                : Status(Error(ErrorCode::Unavailable, "the agent has no netlink to set it with"));
    if (!st) return failed(step, st.error(), undo_first(undo_settings(undo_all(*bind, writer, sysfs))));
    set.push_back(&rec);
    if (done) done->push_back(step.substr(step.find(": ") + 2));
  }
  // 4. The group's device node, which QEMU opens.
  if (options.check_vfio_nodes) {
    const Discovery bound = discover(sysfs);
    for (const auto& rec : record) {
      if (rec.managed) continue;
      const DiscoveredDevice* d = find_device(bound, rec.address);
      if (!d || !d->iommu_group) continue;  // no IOMMU group (no-IOMMU mode): nothing to open per group
      const std::string node = "dev/vfio/" + std::to_string(*d->iommu_group);
      std::optional<Error> wrong;
      if (!sysfs.exists(node)) {
        wrong = Error(ErrorCode::NotFound, "it is not there after binding to vfio-pci (is devtmpfs mounted on /dev?)");
      } else if (options.vfio_group) {
        auto owner = sysfs.owner(node);
        if (!owner) wrong = owner.error();
        else if (owner->group != *options.vfio_group || (owner->mode & 0060) != 0060) {
          char mode[8];
          std::snprintf(mode, sizeof mode, "%04o", owner->mode);
          wrong = Error(ErrorCode::PermissionDenied, "it belongs to group " + owner->group + " with mode " + mode + ", not to group " +
                                                         *options.vfio_group + " with read and write (a udev rule sets it: bind --persist "
                                                         "writes one)");
        }
      }
      if (!wrong) continue;
      std::vector<std::string> errors = undo_settings(undo_all(*bind, writer, sysfs));
      return failed("prepare " + rec.address.to_string() + ": /" + node, *wrong, undo_first(std::move(errors)));
    }
  }
  return std::nullopt;
}

std::map<PciAddress, std::string> restore_devices(const SysfsReader& sysfs, SysfsWriter& writer,
                                                  const std::vector<PreparedDevice>& record, const RestoreOptions& options) {
  std::map<PciAddress, std::string> problems;
  // VFs and plain devices first, PFs last: a PF's VFs come back once it is on its driver.
  std::vector<const PreparedDevice*> order;
  for (const auto& rec : record)
    if (!rec.managed) order.push_back(&rec);
  std::stable_sort(order.begin(), order.end(), [](const PreparedDevice* a, const PreparedDevice* b) {
    return (a->type == DeviceType::Pf) < (b->type == DeviceType::Pf);
  });
  for (const PreparedDevice* rec : order) {
    const std::string a = rec->address.to_string();
    if (rec->vf_wanted && rec->pf_netdev && rec->vf_index && options.network)
      if (auto st = options.network->set(*rec->pf_netdev, *rec->vf_index, rec->vf_before.value_or(VfNetSettings{})); !st)
        problems[rec->address] = "restore its MAC and VLAN: " + st.error().describe();
    Discovery d = discover(sysfs);
    const DiscoveredDevice* now = find_device(d, rec->address);
    if (!now) {
      problems[rec->address] = "restore: it is gone from the host (was on " + rec->driver.value_or("no driver") + ")";
      continue;
    }
    if (now->driver == rec->driver && now->driver_override != rec->driver_override) {
      // On its driver still (it was on vfio-pci already): only the override goes back.
      if (auto st = writer.write_attribute("sys/bus/pci/devices/" + a + "/driver_override", rec->driver_override.value_or("\n")); !st)
        problems[rec->address] = "restore its driver_override: " + st.error().describe();
    } else if (now->driver != rec->driver) {
      Result<BindPlan> plan = BindPlan{};
      const auto state = read_device_states(sysfs, d, find_host_critical(sysfs, d));
      if (rec->driver_override) {  // the operator's override (vfio-pci, say) comes back
        BindOptions o;
        o.driver = *rec->driver_override;
        plan = plan_bind({rec->address}, state, o, sysfs.exists("sys/bus/pci/drivers/" + o.driver), read_persistence_files(sysfs));
      } else {
        plan = plan_unbind({rec->address}, state, UnbindOptions{true, false}, read_persistence_files(sysfs));
      }
      if (!plan) {
        problems[rec->address] = "restore: " + plan.error().describe();
        continue;
      }
      Execution e = execute(*plan, writer, sysfs);
      if (!e.ok()) {
        problems[rec->address] = "restore to " + rec->driver.value_or("its driver") + ": " + e.failure->describe();
        continue;
      }
      d = discover(sysfs);
      now = find_device(d, rec->address);
      if (rec->driver && (!now || now->driver != rec->driver)) {
        problems[rec->address] = "restore: it is on " + (now && now->driver ? *now->driver : std::string("no driver")) + ", not back on " +
                                 *rec->driver;
        continue;
      }
    }
    if (rec->type != DeviceType::Pf || rec->numvfs == 0) continue;
    auto pf = read_pf_state(sysfs, d, rec->address);
    if (!pf) {
      problems[rec->address] = "restore its VFs: " + pf.error().describe();
      continue;
    }
    if (pf->numvfs != rec->numvfs) {
      auto plan = plan_sriov(*pf, rec->numvfs, SriovOptions{false, rec->autoprobe, false}, sriov_rules(sysfs));
      if (!plan) {
        problems[rec->address] = "restore its " + std::to_string(rec->numvfs) + " VFs: " + plan.error().describe();
        continue;
      }
      Execution e = execute(*plan, writer, sysfs);
      if (!e.ok()) {
        problems[rec->address] = "restore its " + std::to_string(rec->numvfs) + " VFs: " + e.failure->describe();
        continue;
      }
    }
    // The VFs are reported back only once they are there.
    bool back = false;
    for (int i = 0; i < std::max(1, options.vf_polls) && !back; ++i) {
      const Discovery look = discover(sysfs);
      size_t present = 0;
      for (const auto& dev : look.devices) present += dev.physfn == rec->address ? 1 : 0;
      back = present >= rec->numvfs;
      if (!back && options.pause) options.pause();
    }
    if (!back) {
      problems[rec->address] = "restore: its " + std::to_string(rec->numvfs) + " VFs did not appear";
      continue;
    }
    if (options.network && rec->pf_netdev)
      for (uint32_t i = 0; i < rec->vf_settings.size(); ++i) {
        if (rec->vf_settings[i] == VfNetSettings{}) continue;  // nothing was set on it
        if (auto st = options.network->set(*rec->pf_netdev, i, rec->vf_settings[i]); !st)
          problems[rec->address] = "restore the settings of its VF " + std::to_string(i) + ": " + st.error().describe();
      }
  }
  return problems;
}

}  // namespace pcipass
