#include "adapters/store_postgres/pg_rows.h"

#include <map>

#include "core/host_report.h"

namespace pcipass::pg {

Result<std::vector<HostRecord>> load_hosts(PgSession& s, const std::string* only) {
  std::vector<HostRecord> out;
  std::map<std::string, size_t> index;
  const std::vector<Param> params = only ? std::vector<Param>{*only} : std::vector<Param>{};
#define PCIPASS_HOST_COLUMNS \
  "SELECT name, generation, has_numa, has_platform, platform_iommu, platform_interrupt_remapping, platform_vfio, " \
  "platform_problems, platform_warnings, manages_devices, locked FROM hosts "
  auto hs = run(s, only ? PCIPASS_HOST_COLUMNS "WHERE name = $1" : PCIPASS_HOST_COLUMNS "ORDER BY name", params, "hosts");
#undef PCIPASS_HOST_COLUMNS
  if (!hs) return std::move(hs).error();
  for (int i = 0; i < hs->rows(); ++i) {
    HostRecord h;
    h.name = hs->text(i, 0);
    h.generation = static_cast<uint64_t>(hs->integer(i, 1));
    if (hs->boolean(i, 2)) h.numa = std::vector<NumaCellSpec>{};
    if (hs->boolean(i, 3)) {
      auto flag = [&](int c) { return hs->null(i, c) ? std::nullopt : std::optional<bool>(hs->boolean(i, c)); };
      h.platform = HostPlatform{flag(4), flag(5), flag(6), platform_problems_from_text(hs->text(i, 7)),
                                platform_problems_from_text(hs->text(i, 8))};
    }
    h.manages_devices = hs->boolean(i, 9);
    h.locked = hs->boolean(i, 10);
    index[h.name] = out.size();
    out.push_back(std::move(h));
  }
  auto cells = run(s, only ? "SELECT host, id, cpus, memory_mb, socket FROM host_numa WHERE host = $1 ORDER BY host, id"
                               : "SELECT host, id, cpus, memory_mb, socket FROM host_numa ORDER BY host, id",
                   params, "hosts");
  if (!cells) return std::move(cells).error();
  for (int i = 0; i < cells->rows(); ++i) {
    auto it = index.find(cells->text(i, 0));
    if (it == index.end() || !out[it->second].numa) continue;
    out[it->second].numa->push_back({static_cast<uint32_t>(cells->integer(i, 1)), static_cast<uint32_t>(cells->integer(i, 2)),
                                     static_cast<uint64_t>(cells->integer(i, 3)), cells->optional<uint32_t>(i, 4)});
  }
  auto devs = run(s,
                  only ? "SELECT host, address, vendor_id, product_id, class_code, numa_node, sriov_totalvfs, physfn, devname, "
                         "iommu_group, fingerprint, vanished, host_use, vfio_user, group_viable, attention, link FROM devices WHERE host = $1 "
                         "ORDER BY host, address"
                       : "SELECT host, address, vendor_id, product_id, class_code, numa_node, sriov_totalvfs, physfn, devname, "
                         "iommu_group, fingerprint, vanished, host_use, vfio_user, group_viable, attention, link FROM devices ORDER BY host, address",
                  params, "hosts");
  if (!devs) return std::move(devs).error();
  for (int i = 0; i < devs->rows(); ++i) {
    auto it = index.find(devs->text(i, 0));
    if (it == index.end()) continue;
    auto address = PciAddress::parse(devs->text(i, 1));
    auto vendor = PciId::parse(devs->text(i, 2));
    auto product = PciId::parse(devs->text(i, 3));
    if (!address || !vendor || !product)
      return Error(ErrorCode::Internal, "corrupt device row " + devs->text(i, 0) + "/" + devs->text(i, 1));
    StoredDevice d;
    d.facts.address = *address;
    d.facts.vendor_id = *vendor;
    d.facts.product_id = *product;
    d.facts.class_code = devs->optional<uint32_t>(i, 4);
    d.facts.numa_node = devs->optional<uint32_t>(i, 5);
    d.facts.sriov_totalvfs = static_cast<uint32_t>(devs->integer(i, 6));
    if (!devs->null(i, 7))
      if (auto pf = PciAddress::parse(devs->text(i, 7))) d.facts.physfn = *pf;
    d.facts.devname = devs->text(i, 8);
    d.facts.iommu_group = devs->optional<uint32_t>(i, 9);
    d.fingerprint = devs->text(i, 10);
    d.vanished = devs->boolean(i, 11);
    if (!devs->null(i, 12)) d.facts.host_use = devs->text(i, 12);
    if (!devs->null(i, 13)) d.facts.vfio_user = devs->text(i, 13);
    if (!devs->null(i, 14)) d.facts.group_viable = devs->boolean(i, 14);
    if (!devs->null(i, 15)) d.facts.attention = devs->text(i, 15);
    if (!devs->null(i, 16)) d.facts.link = devs->text(i, 16);
    out[it->second].devices.push_back(std::move(d));
  }
  auto ifs = run(s, only ? "SELECT host, address, class, datanetwork, vfs FROM host_interfaces WHERE host = $1 ORDER BY host, address"
                         : "SELECT host, address, class, datanetwork, vfs FROM host_interfaces ORDER BY host, address",
                 params, "hosts");
  if (!ifs) return std::move(ifs).error();
  for (int i = 0; i < ifs->rows(); ++i) {
    auto it = index.find(ifs->text(i, 0));
    if (it == index.end()) continue;
    auto address = PciAddress::parse(ifs->text(i, 1));
    auto cls = parse_interface_class(ifs->text(i, 2));
    if (!address || !cls) return Error(ErrorCode::Internal, "corrupt interface row " + ifs->text(i, 0) + "/" + ifs->text(i, 1));
    out[it->second].interfaces.push_back({*address, *cls, ifs->text(i, 3), ifs->optional<uint32_t>(i, 4)});
  }
  return out;
}

Result<std::vector<TokenRecord>> load_tokens(PgSession& s, const std::string* sha256) {
  auto q = sha256 ? run(s, "SELECT name, secret_sha256, role, host, COALESCE(project, '') FROM tokens WHERE secret_sha256 = $1", {*sha256}, "tokens")
                  : run(s, "SELECT name, secret_sha256, role, host, COALESCE(project, '') FROM tokens ORDER BY name", {}, "tokens");
  if (!q) return std::move(q).error();
  std::vector<TokenRecord> out;
  for (int i = 0; i < q->rows(); ++i) out.push_back({q->text(i, 0), q->text(i, 1), q->text(i, 2), q->text(i, 3), q->text(i, 4)});
  return out;
}

namespace {
// The instance reads, for every instance, those on a host, or one by id.
struct InstanceQueries {
  const char* instances;
  const char* cells;
  const char* specs;
  const char* allocations;
};
constexpr InstanceQueries kAllInstances{
    "SELECT id, host, flavor, vcpus, memory_mb, status, status_step, status_message, base_domain, COALESCE(project, ''), image, key_name, disk_gb FROM instances ORDER BY id",
    "SELECT instance, cell, vcpus, memory_mb FROM instance_cells ORDER BY instance, position",
    "SELECT i.id, t.k, t.v FROM instances i, unnest(i.extra_spec_keys, i.extra_spec_values) WITH ORDINALITY AS t(k, v, ord) "
    "ORDER BY i.id, t.ord",
    "SELECT host, address, instance, request FROM allocations ORDER BY instance, host, address"};
constexpr InstanceQueries kInstancesOnHost{
    "SELECT id, host, flavor, vcpus, memory_mb, status, status_step, status_message, base_domain, COALESCE(project, ''), image, key_name, disk_gb FROM instances WHERE host = $1 ORDER BY id",
    "SELECT c.instance, c.cell, c.vcpus, c.memory_mb FROM instance_cells c JOIN instances i ON i.id = c.instance "
    "WHERE i.host = $1 ORDER BY c.instance, c.position",
    "SELECT i.id, t.k, t.v FROM instances i, unnest(i.extra_spec_keys, i.extra_spec_values) WITH ORDINALITY AS t(k, v, ord) "
    "WHERE i.host = $1 ORDER BY i.id, t.ord",
    "SELECT host, address, instance, request FROM allocations WHERE host = $1 ORDER BY instance, address"};
constexpr InstanceQueries kOneInstance{
    "SELECT id, host, flavor, vcpus, memory_mb, status, status_step, status_message, base_domain, COALESCE(project, ''), image, key_name, disk_gb FROM instances WHERE id = $1",
    "SELECT instance, cell, vcpus, memory_mb FROM instance_cells WHERE instance = $1 ORDER BY position",
    "SELECT i.id, t.k, t.v FROM instances i, unnest(i.extra_spec_keys, i.extra_spec_values) WITH ORDINALITY AS t(k, v, ord) "
    "WHERE i.id = $1 ORDER BY t.ord",
    "SELECT host, address, instance, request FROM allocations WHERE instance = $1 ORDER BY host, address"};
}  // namespace

Result<std::vector<InstanceRecordRow>> load_instances(PgSession& s, const std::string* host, const std::string* id) {
  const InstanceQueries& q = id ? kOneInstance : host ? kInstancesOnHost : kAllInstances;
  const std::string* key = id ? id : host;
  const std::vector<Param> params = key ? std::vector<Param>{*key} : std::vector<Param>{};
  std::vector<InstanceRecordRow> out;
  std::map<std::string, size_t> index;
  auto is = run(s, q.instances, params, "instances");
  if (!is) return std::move(is).error();
  for (int i = 0; i < is->rows(); ++i) {
    InstanceRecordRow r;
    r.id = is->text(i, 0);
    r.host = is->text(i, 1);
    r.flavor = is->text(i, 2);
    r.vcpus = static_cast<uint32_t>(is->integer(i, 3));
    r.memory_mb = static_cast<uint64_t>(is->integer(i, 4));
    r.state.status = parse_server_status(is->text(i, 5)).value_or(ServerStatus::Placed);
    r.state.step = is->text(i, 6);
    r.state.message = is->text(i, 7);
    r.base_domain = is->text(i, 8);
    r.project = is->text(i, 9);
    r.image = is->text(i, 10);
    r.key_name = is->text(i, 11);
    r.disk_gb = static_cast<uint64_t>(is->integer(i, 12));
    index[r.id] = out.size();
    out.push_back(std::move(r));
  }
  auto cs = run(s, q.cells, params, "instances");
  if (!cs) return std::move(cs).error();
  for (int i = 0; i < cs->rows(); ++i)
    if (auto it = index.find(cs->text(i, 0)); it != index.end())
      out[it->second].cells.push_back(
          {static_cast<uint32_t>(cs->integer(i, 1)), {static_cast<uint32_t>(cs->integer(i, 2)), static_cast<uint64_t>(cs->integer(i, 3))}});
  auto es = run(s, q.specs, params, "instances");
  if (!es) return std::move(es).error();
  for (int i = 0; i < es->rows(); ++i)
    if (auto it = index.find(es->text(i, 0)); it != index.end()) out[it->second].extra_specs.emplace_back(es->text(i, 1), es->text(i, 2));
  auto as = run(s, q.allocations, params, "instances");
  if (!as) return std::move(as).error();
  for (int i = 0; i < as->rows(); ++i) {
    auto it = index.find(as->text(i, 2));
    auto address = PciAddress::parse(as->text(i, 1));
    if (it == index.end() || !address) continue;
    out[it->second].devices.push_back({as->text(i, 0), *address, as->text(i, 2), static_cast<uint32_t>(as->integer(i, 3))});
  }
  return out;
}

// The parameters of pcipass_claim($1 .. $24) for a claim.
Result<std::vector<Param>> claim_params(const InstanceRecordRow& in, uint64_t expected_generation) {
  std::vector<Param> cell, vcpus, mem, addr, req, spec_keys, spec_values;
  for (const auto& [k, v] : in.extra_specs) {
    spec_keys.push_back(k);
    spec_values.push_back(v);
  }
  for (const auto& c : in.cells) {
    cell.push_back(num(c.first));
    vcpus.push_back(num(c.second.first));
    mem.push_back(num(c.second.second));
  }
  for (const auto& a : in.devices) {
    if (a.host != in.host) return invalid("device " + a.address.to_string() + " is not on " + in.host);
    addr.push_back(a.address.to_string());
    req.push_back(num(a.request));
  }
  std::vector<Param> ports, port_req, usage_keys, usage_amounts;
  for (const auto& [port, request] : in.ports) {
    ports.push_back(port);
    port_req.push_back(num(request));
  }
  for (const auto& [resource, amount] : in.usage) {
    usage_keys.push_back(resource);
    usage_amounts.push_back(num(amount));
  }
  return std::vector<Param>{in.host, num(expected_generation), in.id, in.flavor, num(in.vcpus), num(in.memory_mb), text_array(cell),
                            text_array(vcpus), text_array(mem), text_array(addr), text_array(req), num(in.flavor_revision),
                            text_array(spec_keys), text_array(spec_values), std::string(to_string(in.state.status)),
                            in.base_domain, in.project, text_array(ports), text_array(port_req), text_array(usage_keys),
                            text_array(usage_amounts), in.image, in.key_name, num(in.disk_gb)};
}

const char* const kClaimArgs =
    "($1, $2, $3, $4, $5, $6, $7::bigint[], $8::bigint[], $9::bigint[], $10::text[], $11::bigint[], $12, $13::text[], $14::text[], $15, $16, $17, "
    "$18::text[], $19::bigint[], $20::text[], $21::bigint[], $22, $23, $24)";

}  // namespace pcipass::pg
