#pragma once
// FakeKernel: a SysfsWriter over a copy of a fixture tree that reacts to writes the
// way the Linux PCI core does, for unit tests (the real kernel runs in tests/e2e):
//  - driver_override: stored; "\n" clears it to "(null)";
//  - drivers/X/unbind: releases the device if X holds it (ENODEV otherwise);
//  - drivers/X/bind: binds if the device is free and the override (if any) is X;
//  - drivers_probe: binds a free device to its override, else to its native driver;
//  - sriov_numvfs: creates or removes VFs (EBUSY when changing a non-zero count,
//    EINVAL above sriov_totalvfs, ENOENT when the PF has no driver);
//  - binding vfio-pci creates dev/vfio/<group>; releasing the group's last one removes it.
// Any path can be made to fail with an injected error, once or every time.
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "adapters/sysfs/posix_sysfs_writer.h"
#include "core/pci_address.h"

namespace pcipass::testing {

class FakeKernel final : public SysfsWriter {
 public:
  // Copies `fixture` into `scratch` (replacing it) and works there.
  FakeKernel(const std::filesystem::path& fixture, const std::filesystem::path& scratch);

  Status write_attribute(std::string_view path, std::string_view value) override;
  Status write_file(std::string_view path, std::string_view content) override;
  Status remove_file(std::string_view path) override;

  // After `after` successful writes to `path`, the next `times` writes (every one, if
  // `times` is 0) fail with `code`.
  void fail(std::string path, ErrorCode code, int times = 1, int after = 0);
  const std::string& root() const { return root_; }
  std::optional<std::string> driver_of(std::string_view address) const;
  std::vector<std::string> writes;  // every attribute write, "path=value"

 private:
  Status bind(const std::string& address, const std::string& driver);
  Status unbind(const std::string& address);
  Status set_numvfs(const std::string& pf, uint32_t n);
  std::filesystem::path dev(const std::string& address) const;
  std::string read(const std::filesystem::path& p) const;

  std::string root_;
  PosixSysfsWriter files_;
  std::map<std::string, std::string> native_driver_;  // address -> driver it had in the fixture
  std::map<std::string, std::string> vf_driver_;      // PF address -> driver its VFs had
  struct Injected { ErrorCode code; int times; int after; };
  std::optional<Error> injected(const std::string& path);
  std::map<std::string, Injected> failures_;
};

}  // namespace pcipass::testing
