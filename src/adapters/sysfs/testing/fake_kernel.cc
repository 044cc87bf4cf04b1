#include "adapters/sysfs/testing/fake_kernel.h"

#include <fstream>
#include <sstream>

#include "core/hex.h"
#include "core/sysfs_parse.h"

namespace fs = std::filesystem;

namespace pcipass::testing {

FakeKernel::FakeKernel(const fs::path& fixture, const fs::path& scratch) : root_(scratch.string()), files_(scratch.string()) {
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  fs::copy(fixture, scratch, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  for (const auto& e : fs::directory_iterator(scratch / "sys/bus/pci/devices")) {
    const std::string a = e.path().filename().string();
    if (auto d = driver_of(a)) native_driver_[a] = *d;
    if (fs::is_symlink(e.path() / "physfn")) {
      std::string pf(link_basename(fs::read_symlink(e.path() / "physfn").string()));
      if (auto d = driver_of(a)) vf_driver_[pf] = *d;
    }
  }
}

fs::path FakeKernel::dev(const std::string& address) const { return fs::path(root_) / "sys/bus/pci/devices" / address; }

std::string FakeKernel::read(const fs::path& p) const {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<std::string> FakeKernel::driver_of(std::string_view address) const {
  fs::path link = dev(std::string(address)) / "driver";
  if (!fs::is_symlink(link)) return std::nullopt;
  return std::string(link_basename(fs::read_symlink(link).string()));
}

void FakeKernel::fail(std::string path, ErrorCode code, int times, int after) {
  failures_[std::move(path)] = {code, times, after};
}

std::optional<Error> FakeKernel::injected(const std::string& path) {
  auto it = failures_.find(path);
  if (it == failures_.end()) return std::nullopt;
  if (it->second.after > 0) {
    --it->second.after;
    return std::nullopt;
  }
  Error e(it->second.code, "injected failure writing " + path);
  if (it->second.times > 0 && --it->second.times == 0) failures_.erase(it);
  return e;
}

Status FakeKernel::bind(const std::string& a, const std::string& driver) {
  const fs::path drv = fs::path(root_) / "sys/bus/pci/drivers" / driver;
  if (!fs::is_directory(drv)) return Error(ErrorCode::NotFound, "no driver " + driver + " is loaded");
  if (driver_of(a)) return Error(ErrorCode::Conflict, a + " is already bound (EBUSY)");
  const fs::path device = fs::canonical(dev(a));
  fs::create_symlink(fs::relative(drv, device), device / "driver");
  fs::create_symlink(fs::relative(device, drv), drv / a);
  if (driver == "vfio-pci" && fs::is_symlink(device / "iommu_group")) {
    std::string group(link_basename(fs::read_symlink(device / "iommu_group").string()));
    fs::create_directories(fs::path(root_) / "dev/vfio");
    std::ofstream(fs::path(root_) / "dev/vfio" / group) << "";
    // As a udev rule giving it to a group would (bind --persist's: mode 0660).
    fs::permissions(fs::path(root_) / "dev/vfio" / group, fs::perms(0660));
  }
  return ok_status();
}

Status FakeKernel::unbind(const std::string& a) {
  auto driver = driver_of(a);
  if (!driver) return ok_status();
  const fs::path device = fs::canonical(dev(a));
  fs::remove(device / "driver");
  fs::remove(fs::path(root_) / "sys/bus/pci/drivers" / *driver / a);
  if (*driver == "vfio-pci" && fs::is_symlink(device / "iommu_group")) {
    fs::path group_dir = fs::canonical(device / "iommu_group");
    bool others = false;
    for (const auto& m : fs::directory_iterator(group_dir / "devices"))
      others = others || driver_of(m.path().filename().string()) == std::optional<std::string>("vfio-pci");
    if (!others) fs::remove(fs::path(root_) / "dev/vfio" / group_dir.filename());
  }
  return ok_status();
}

Status FakeKernel::set_numvfs(const std::string& pf, uint32_t n) {
  const fs::path pf_dir = fs::canonical(dev(pf));
  auto total = parse_sysfs_uint(read(pf_dir / "sriov_totalvfs"));
  auto current = parse_sysfs_uint(read(pf_dir / "sriov_numvfs"));
  if (!total || !current) return Error(ErrorCode::NotFound, pf + " is not SR-IOV capable");
  if (n > *total) return Error(ErrorCode::InvalidArgument, pf + ": " + std::to_string(n) + " VFs exceed sriov_totalvfs (EINVAL)");
  if (n == *current) return ok_status();
  if (!driver_of(pf)) return Error(ErrorCode::NotFound, pf + ": the PF has no driver to create VFs (ENOENT)");
  if (*current != 0 && n != 0) return Error(ErrorCode::Conflict, pf + ": VFs already enabled; set 0 first (EBUSY)");
  const PciAddress pfa = PciAddress::parse(pf).value();
  if (n == 0) {
    for (uint32_t k = 0; k < *current; ++k) {
      fs::path link = pf_dir / ("virtfn" + std::to_string(k));
      if (!fs::is_symlink(link)) continue;
      fs::path vf = fs::canonical(link);
      const std::string va = vf.filename().string();
      (void)unbind(va);
      if (fs::is_symlink(vf / "iommu_group")) fs::remove_all(fs::canonical(vf / "iommu_group"));
      fs::remove_all(vf);
      fs::remove(dev(va));
      fs::remove(link);
    }
  } else {
    uint32_t next_group = 1000;
    for (const auto& g : fs::directory_iterator(fs::path(root_) / "sys/kernel/iommu_groups"))
      if (auto v = parse_sysfs_uint(g.path().filename().string())) next_group = std::max(next_group, *v + 1);
    std::string vf_device = read(pf_dir / "device");
    if (fs::exists(pf_dir / "sriov_vf_device")) vf_device = "0x" + std::string(trim(read(pf_dir / "sriov_vf_device"))) + "\n";
    for (uint32_t k = 0; k < n; ++k) {
      auto va = PciAddress::from_fields(pfa.domain(), pfa.bus(), 0x10 + pfa.function() * 2 + k / 8, k % 8).value().to_string();
      fs::path vf = pf_dir.parent_path() / va;
      fs::create_directories(vf);
      for (const char* attr : {"vendor", "class", "numa_node", "subsystem_vendor", "subsystem_device", "revision"})
        std::ofstream(vf / attr) << read(pf_dir / attr);
      std::ofstream(vf / "device") << vf_device;
      std::ofstream(vf / "driver_override") << "(null)\n";
      std::ofstream(vf / "reset_method") << "flr\n";
      fs::create_symlink(fs::relative(pf_dir, vf), vf / "physfn");
      fs::create_symlink(fs::relative(vf, pf_dir), pf_dir / ("virtfn" + std::to_string(k)));
      fs::create_symlink(fs::relative(vf, dev(va).parent_path()), dev(va));
      fs::path group = fs::path(root_) / "sys/kernel/iommu_groups" / std::to_string(next_group++);
      fs::create_directories(group / "devices");
      fs::create_symlink(fs::relative(vf, group / "devices"), group / "devices" / va);
      fs::create_symlink(fs::relative(group, vf), vf / "iommu_group");
      const bool autoprobe = trim(read(pf_dir / "sriov_drivers_autoprobe")) != "0";
      if (autoprobe && vf_driver_.count(pf)) (void)bind(va, vf_driver_[pf]);
    }
  }
  std::ofstream(pf_dir / "sriov_numvfs") << n << "\n";
  return ok_status();
}

Status FakeKernel::write_attribute(std::string_view path_view, std::string_view value) {
  const std::string path(path_view);
  writes.push_back(path + "=" + std::string(value));
  if (auto e = injected(path)) return *e;
  const std::string v(trim(value));
  const std::string devices = "sys/bus/pci/devices/", drivers = "sys/bus/pci/drivers/";
  if (path == "sys/bus/pci/drivers_probe") {
    if (!fs::exists(dev(v))) return Error(ErrorCode::NotFound, v + ": no such device (ENODEV)");
    if (driver_of(v)) return ok_status();
    auto override_driver = parse_driver_override(read(dev(v) / "driver_override"));
    if (override_driver) {
      if (fs::is_directory(fs::path(root_) / "sys/bus/pci/drivers" / *override_driver)) return bind(v, *override_driver);
      return ok_status();  // the override names a driver that is not loaded: the device stays free
    }
    if (native_driver_.count(v)) return bind(v, native_driver_[v]);
    return ok_status();
  }
  if (path.rfind(drivers, 0) == 0) {
    const std::string rest = path.substr(drivers.size());
    const auto slash = rest.find('/');
    const std::string driver = rest.substr(0, slash), op = rest.substr(slash + 1);
    if (!fs::exists(dev(v))) return Error(ErrorCode::NotFound, v + ": no such device (ENODEV)");
    if (op == "unbind") {
      if (driver_of(v) != driver) return Error(ErrorCode::NotFound, v + " is not bound to " + driver + " (ENODEV)");
      return unbind(v);
    }
    if (op == "bind") {
      auto o = parse_driver_override(read(dev(v) / "driver_override"));
      if (o && *o != driver) return Error(ErrorCode::NotFound, v + ": driver_override is " + *o + " (ENODEV)");
      return bind(v, driver);
    }
    return Error(ErrorCode::PermissionDenied, path + " is not writable");
  }
  if (path.rfind(devices, 0) == 0) {
    const std::string rest = path.substr(devices.size());
    const std::string address = rest.substr(0, rest.find('/')), attr = rest.substr(rest.find('/') + 1);
    if (!fs::exists(dev(address))) return Error(ErrorCode::NotFound, address + ": no such device");
    if (attr == "driver_override") {
      std::ofstream(dev(address) / "driver_override") << (v.empty() ? std::string("(null)") : v) << "\n";
      return ok_status();
    }
    if (attr == "sriov_numvfs") {
      auto n = parse_sysfs_uint(v);
      if (!n) return Error(ErrorCode::InvalidArgument, "sriov_numvfs: not a number (EINVAL)");
      return set_numvfs(address, *n);
    }
    if (attr == "sriov_drivers_autoprobe") {
      std::ofstream(dev(address) / attr) << v << "\n";
      return ok_status();
    }
  }
  return Error(ErrorCode::PermissionDenied, path + " is not a writable attribute in the fake kernel");
}

Status FakeKernel::write_file(std::string_view path, std::string_view content) {
  if (auto e = injected(std::string(path))) return *e;
  return files_.write_file(path, content);
}

Status FakeKernel::remove_file(std::string_view path) { return files_.remove_file(path); }

}  // namespace pcipass::testing
