#pragma once
// The controller's single owner of mutable state: the in-memory Fleet, rebuilt from
// the Store, and the host generations it planned on. The Store is the source of
// truth: a boot is written there first (guarded by the host's generation), then
// recorded in the Fleet; when another controller moved a host, the Fleet is reloaded
// and the boot planned again.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/alias.h"
#include "core/device_spec.h"
#include "core/fleet.h"
#include "ports/store.h"

namespace pcipass {

struct PciConfig {
  DeviceSpecList device_spec;
  AliasTable aliases;
};

struct ServerPlacement {
  std::string id;
  std::string host;
  std::vector<PciAddress> devices;   // everything held, by address
  std::vector<uint32_t> numa_cells;  // host cell ids
};

struct BootFailure {
  std::vector<Rejection> reasons;  // NoValidHost: one per host
};

class Controller {
 public:
  // Loads the fleet from the store.
  static Result<std::unique_ptr<Controller>> open(Store& store, PciConfig config);

  // Rebuilds the fleet from the store (hosts, then every instance's devices and cells).
  Status reload();
  // True if some host moved in the store since this controller last saw it.
  Result<bool> stale();

  // Schedules and claims. NoValidHost comes back as an error with code Unavailable and
  // the per-host reasons in `failure`; a bad flavor or unknown host as InvalidArgument
  // or NotFound.
  Result<ServerPlacement> create_server(const std::string& id, const std::string& flavor,
                                        const std::optional<std::string>& host, BootFailure* failure = nullptr);
  Status delete_server(const std::string& id);

  const Fleet& fleet() const { return *fleet_; }
  size_t conflicts_retried() const { return conflicts_; }

 private:
  Controller(Store& store, PciConfig config) : store_(store), config_(std::move(config)) {}
  Store& store_;
  PciConfig config_;
  std::unique_ptr<Fleet> fleet_;
  std::map<std::string, uint64_t> generation_;
  size_t conflicts_ = 0;
};

}  // namespace pcipass
