// The service's calls about a host's interfaces (StarlingX's interface classes): who
// may see and set them, and what a setting must find on the host first.
#include <algorithm>
#include <map>
#include <set>

#include "controller/service_calls.h"

namespace pcipass {

Result<std::vector<HostInterfaceView>> Service::interface_views_locked(const HostRecord& stored) {
  auto rows = state_.instances_on(stored.name);
  if (!rows) return std::move(rows).error();
  std::map<PciAddress, std::string> holder;
  for (const auto& row : *rows)
    for (const auto& a : row.devices) holder[a.address] = row.id;
  const Fleet& f = controller_->fleet();
  auto hi = f.find_host(stored.name);
  const HostInventory* inv = hi ? &f.host(*hi) : nullptr;
  auto networks_of = [&](PciAddress a, std::set<std::string>& out) {
    if (!inv) return;
    auto di = inv->find(a);
    if (!di) return;
    const Device& d = inv->devices()[*di];
    if (!d.pool) return;
    for (const Tag& t : f.classes().get(inv->pools()[*d.pool].class_id).tags)
      if (t.key == "physical_network" && t.value && !t.value->empty()) out.insert(*t.value);
  };
  std::map<PciAddress, std::vector<PciAddress>> vfs_of;  // the VFs reported now, by PF
  for (const auto& sd : stored.devices)
    if (sd.facts.physfn && !sd.vanished) vfs_of[*sd.facts.physfn].push_back(sd.facts.address);
  std::vector<HostInterfaceView> out;
  for (const auto& sd : stored.devices) {
    const DeviceFacts& d = sd.facts;
    if (sd.vanished || d.physfn) continue;
    auto set = std::find_if(stored.interfaces.begin(), stored.interfaces.end(), [&](const HostInterface& i) { return i.address == d.address; });
    if (d.devname.empty() && d.sriov_totalvfs == 0 && set == stored.interfaces.end()) continue;
    HostInterfaceView v;
    v.host = stored.name;
    v.address = d.address;
    v.name = d.devname;
    if (set != stored.interfaces.end()) v.set = *set;
    v.sriov_totalvfs = d.sriov_totalvfs;
    v.link = d.link;
    std::set<std::string> nets, held;
    std::vector<PciAddress> family{d.address};
    if (auto vfs = vfs_of.find(d.address); vfs != vfs_of.end()) {
      v.vfs = static_cast<uint32_t>(vfs->second.size());
      family.insert(family.end(), vfs->second.begin(), vfs->second.end());
    }
    for (PciAddress a : family) {
      networks_of(a, nets);
      if (auto h = holder.find(a); h != holder.end()) held.insert(h->second);
    }
    v.physical_networks.assign(nets.begin(), nets.end());
    v.held_by.assign(held.begin(), held.end());
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<HostInterfaceView>> Service::list_host_interfaces(const Principal& who, const std::string& host) {
  if (auto st = check_name(host, "host"); !st) return std::move(st).error();
  if (auto st = require_fleet_view(who); !st) return std::move(st).error();
  return read<std::vector<HostInterfaceView>>([&]() -> Result<std::vector<HostInterfaceView>> {
    auto stored = state_.host(host);
    if (!stored) return std::move(stored).error();
    return interface_views_locked(*stored);
  });
}

Result<HostInterfaceView> Service::set_host_interface(const Principal& who, const std::string& host, const InterfaceRequest& request) {
  if (auto st = check_name(host, "host"); !st) return std::move(st).error();
  if (auto st = require_admin(who); !st) return std::move(st).error();
  auto done = write<HostInterfaceView>([&](WriteBatch*) -> Result<HostInterfaceView> {
    auto stored = state_.host(host);
    if (!stored) return std::move(stored).error();
    if (!stored->locked)
      return Error(ErrorCode::Conflict, "host " + host + " is not locked: an interface's class and VF count change only on a locked host "
                                        "(pcipass host lock " + host + ")");
    std::vector<DeviceFacts> present;
    for (const auto& d : stored->devices)
      if (!d.vanished) present.push_back(d.facts);
    auto wanted = interface_for(request, present);
    if (!wanted) return std::move(std::move(wanted).error().within("interface"));
    auto before = interface_views_locked(*stored);
    if (!before) return std::move(before).error();
    auto view = std::find_if(before->begin(), before->end(), [&](const HostInterfaceView& v) { return v.address == wanted->address; });
    if (view == before->end()) return Error(ErrorCode::Internal, "interface " + wanted->address.to_string() + " is not listed");
    if (view->set == *wanted) return *view;
    if (!view->held_by.empty())
      return Error(ErrorCode::Conflict, wanted->address.to_string() + " or one of its VFs is held by server " + view->held_by.front() +
                                            ": its interface changes once no server holds it");
    if (auto st = controller_->set_host_interface(host, *wanted); !st) return std::move(st).error();
    commits_->touched_locked(host);
    // As written: the record holds it now, and the fleet was rebuilt under it.
    auto& list = stored->interfaces;
    auto at = std::find_if(list.begin(), list.end(), [&](const HostInterface& i) { return i.address == wanted->address; });
    if (at != list.end()) *at = *wanted;
    else list.push_back(*wanted);
    auto after = interface_views_locked(*stored);
    if (!after) return std::move(after).error();
    for (auto& v : *after)
      if (v.address == wanted->address) return std::move(v);
    return Error(ErrorCode::Internal, "interface " + wanted->address.to_string() + " is not listed");
  });
  if (done) note(LogLevel::Info, "host.interface_set", {{"host", host}, {"interface", request.name}, {"caller", who.name}});
  return done;
}

}  // namespace pcipass
