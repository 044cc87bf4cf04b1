#include "adapters/netlink/netlink_vf_network.h"

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/sriov.h>

#include <cstdio>
#include <cstring>

namespace pcipass {
namespace {

Error nl_failure(int err, const std::string& what) {
  const int e = err < 0 ? -err : err;
  const std::string why = std::string(nl_geterror(e));
  switch (e) {
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV:
      return Error(ErrorCode::NotFound, what + ": " + why);
    case NLE_INVAL:
    case NLE_RANGE:
    case NLE_OPNOTSUPP:
      return Error(ErrorCode::InvalidArgument, what + ": " + why);
    case NLE_PERM:
      return Error(ErrorCode::PermissionDenied, what + ": " + why);
    default:
      return Error(ErrorCode::Io, what + ": " + why);
  }
}

struct LinkPut {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
using Link = std::unique_ptr<rtnl_link, LinkPut>;

std::string mac_text(nl_addr* addr) {
  if (!addr || nl_addr_get_len(addr) != 6) return "00:00:00:00:00:00";
  const auto* b = static_cast<const unsigned char*>(nl_addr_get_binary_addr(addr));
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
  return buf;
}

}  // namespace

struct NetlinkVfNetwork::Impl {
  nl_sock* sock = nullptr;
  ~Impl() {
    if (sock) nl_socket_free(sock);
  }
  Result<Link> link(const std::string& name) {
    rtnl_link* l = nullptr;
    if (int err = rtnl_link_get_kernel(sock, 0, name.c_str(), &l); err < 0) return nl_failure(err, "network interface " + name);
    return Link(l);
  }
};

NetlinkVfNetwork::NetlinkVfNetwork(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NetlinkVfNetwork::~NetlinkVfNetwork() = default;

Result<std::unique_ptr<NetlinkVfNetwork>> NetlinkVfNetwork::open() {
  auto impl = std::make_unique<Impl>();
  impl->sock = nl_socket_alloc();
  if (!impl->sock) return Error(ErrorCode::Unavailable, "netlink: no socket");
  if (int err = nl_connect(impl->sock, NETLINK_ROUTE); err < 0) {
    Error e = nl_failure(err, "netlink: connect");
    return Error(ErrorCode::Unavailable, e.message());
  }
  return std::unique_ptr<NetlinkVfNetwork>(new NetlinkVfNetwork(std::move(impl)));
}

Result<std::vector<VfNetSettings>> NetlinkVfNetwork::vfs(const std::string& pf) {
  auto link = impl_->link(pf);
  if (!link) return std::move(link).error();
  uint32_t n = 0;
  if (int err = rtnl_link_get_num_vf(link->get(), &n); err < 0) return std::vector<VfNetSettings>{};  // no VFs
  std::vector<VfNetSettings> out(n);
  for (uint32_t i = 0; i < n; ++i) {
    rtnl_link_vf* vf = rtnl_link_vf_get(link->get(), i);
    if (!vf) continue;  // the kernel did not list it
    uint32_t index = i;
    (void)rtnl_link_vf_get_index(vf, &index);
    if (index < n) {
      nl_addr* addr = nullptr;
      if (rtnl_link_vf_get_addr(vf, &addr) == 0) out[index].mac = mac_text(addr);
      nl_vf_vlans_t* vlans = nullptr;
      if (rtnl_link_vf_get_vlans(vf, &vlans) == 0 && vlans && vlans->size > 0) out[index].vlan = static_cast<uint16_t>(vlans->vlans[0].vf_vlan);
    }
    rtnl_link_vf_put(vf);
  }
  return out;
}

Status NetlinkVfNetwork::set(const std::string& pf, uint32_t index, const VfNetSettings& settings) {
  const std::string what = pf + " vf " + std::to_string(index);
  auto current = impl_->link(pf);
  if (!current) return std::move(current).error();
  unsigned int b[6];
  if (std::sscanf(settings.mac.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
    return invalid(what + ": not a MAC address: " + settings.mac);
  unsigned char bytes[6];
  for (int i = 0; i < 6; ++i) bytes[i] = static_cast<unsigned char>(b[i]);
  Link change(rtnl_link_alloc());
  rtnl_link_vf* vf = rtnl_link_vf_alloc();
  nl_addr* addr = nl_addr_build(AF_LLC, bytes, sizeof bytes);
  nl_vf_vlans_t* vlans = nullptr;
  if (!change || !vf || !addr || rtnl_link_vf_vlan_alloc(&vlans, 1) < 0) {
    if (vf) rtnl_link_vf_put(vf);
    if (addr) nl_addr_put(addr);
    return Error(ErrorCode::Io, what + ": out of memory");
  }
  vlans->vlans[0].vf_vlan = settings.vlan;
  vlans->vlans[0].vf_vlan_qos = 0;
  vlans->vlans[0].vf_vlan_proto = 0x8100;  // 802.1Q
  rtnl_link_vf_set_index(vf, index);
  rtnl_link_vf_set_addr(vf, addr);
  rtnl_link_vf_set_vlans(vf, vlans);
  int err = rtnl_link_vf_add(change.get(), vf);
  rtnl_link_vf_put(vf);
  rtnl_link_vf_vlan_put(vlans);
  nl_addr_put(addr);
  if (err < 0) return nl_failure(err, what);
  if (err = rtnl_link_change(impl_->sock, current->get(), change.get(), 0); err < 0) return nl_failure(err, what + ": set mac " + settings.mac +
                                                                                                          " vlan " + std::to_string(settings.vlan));
  return ok_status();
}

}  // namespace pcipass
