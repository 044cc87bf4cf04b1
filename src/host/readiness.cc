#include "host/readiness.h"

#include <algorithm>
#include <map>

#include "core/hex.h"
#include "host/binding.h"
#include "host/persistence.h"

namespace pcipass {

const char* to_string(CheckStatus s) {
  switch (s) {
    case CheckStatus::Ok: return "ok";
    case CheckStatus::Warn: return "warn";
    case CheckStatus::Fail: return "fail";
  }
  return "fail";
}

bool Readiness::ready() const {
  return std::none_of(items.begin(), items.end(), [](const CheckItem& i) { return i.status == CheckStatus::Fail; });
}

namespace {

bool has_word(std::string_view text, std::string_view word) {
  size_t pos = 0;
  while ((pos = text.find(word, pos)) != std::string_view::npos) {
    bool left = pos == 0 || text[pos - 1] == ' ' || text[pos - 1] == '\t';
    size_t end = pos + word.size();
    bool right = end == text.size() || text[end] == ' ' || text[end] == '\t' || text[end] == '\n';
    if (left && right) return true;
    pos = end;
  }
  return false;
}

std::string cmdline_value(std::string_view cmdline, std::string_view key) {
  size_t pos = 0;
  while ((pos = cmdline.find(key, pos)) != std::string_view::npos) {
    if ((pos == 0 || cmdline[pos - 1] == ' ') && pos + key.size() < cmdline.size() && cmdline[pos + key.size()] == '=') {
      size_t start = pos + key.size() + 1;
      size_t end = cmdline.find_first_of(" \n", start);
      return std::string(cmdline.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    }
    pos += key.size();
  }
  return {};
}

}  // namespace

Readiness check_readiness(const SysfsReader& sysfs, const Discovery& discovery, const std::vector<CriticalDevice>& critical) {
  Readiness r;
  auto add = [&](std::string name, CheckStatus status, std::string detail, std::string fix = {}) {
    r.items.push_back({std::move(name), status, std::move(detail), std::move(fix)});
  };

  const std::string cpuinfo = sysfs.read("proc/cpuinfo", 1 << 20).value_or(std::string());
  const bool amd = cpuinfo.find("AuthenticAMD") != std::string::npos;
  if (has_word(cpuinfo, "vmx")) add("cpu-virtualization", CheckStatus::Ok, "Intel VT-x (vmx) available");
  else if (has_word(cpuinfo, "svm")) add("cpu-virtualization", CheckStatus::Ok, "AMD-V (svm) available");
  else
    add("cpu-virtualization", CheckStatus::Fail, cpuinfo.empty() ? "proc/cpuinfo is not readable" : "the CPU flags show neither vmx nor svm",
        "enable Intel VT-x or AMD-V (SVM) in the firmware setup; inside a VM, enable nested virtualization");

  const auto iommus = sysfs.list("sys/class/iommu");
  const size_t iommu_units = iommus ? iommus->size() : 0;
  const auto groups = sysfs.list("sys/kernel/iommu_groups");
  const size_t group_count = groups ? groups->size() : 0;
  const std::string vtd = amd ? "AMD-Vi" : "Intel VT-d";
  const std::string kernel_flag = amd ? "amd_iommu=on" : "intel_iommu=on";
  // The firmware describes the IOMMU in an ACPI table: DMAR (Intel) or IVRS (AMD).
  const bool dmar = sysfs.exists("sys/firmware/acpi/tables/DMAR"), ivrs = sysfs.exists("sys/firmware/acpi/tables/IVRS");
  const std::string table = dmar ? "ACPI DMAR table present" : ivrs ? "ACPI IVRS table present" : "no DMAR/IVRS ACPI table";
  if (iommu_units > 0 && group_count > 0)
    add("iommu", CheckStatus::Ok, "IOMMU active: " + std::to_string(iommu_units) + " unit(s), " + std::to_string(group_count) +
                                      " IOMMU groups" + (dmar || ivrs ? ", " + table : std::string()));
  else
    add("iommu", CheckStatus::Fail,
        "no IOMMU is active on this machine (" + std::to_string(iommu_units) + " IOMMU units in sys/class/iommu, " +
            std::to_string(group_count) + " groups in sys/kernel/iommu_groups, " + table +
            "): devices cannot be passed through",
        (dmar || ivrs ? "the firmware has the IOMMU on; boot with " + kernel_flag + " iommu=pt"
                      : "enable " + vtd + " in the firmware setup (no DMAR/IVRS table means it is off), then boot with " + kernel_flag + " iommu=pt") +
            " (add them to GRUB_CMDLINE_LINUX, then update-grub and reboot)");

  const std::string cmdline = sysfs.read("proc/cmdline").value_or(std::string());
  const std::string intel = cmdline_value(cmdline, "intel_iommu"), amdv = cmdline_value(cmdline, "amd_iommu"),
                    iommu = cmdline_value(cmdline, "iommu");
  if (intel == "off" || amdv == "off" || iommu == "off")
    add("kernel-cmdline", CheckStatus::Fail, "the kernel command line turns the IOMMU off", "remove intel_iommu=off / amd_iommu=off / iommu=off");
  else if (iommu != "pt")
    add("kernel-cmdline", CheckStatus::Warn,
        "kernel command line has " + std::string(intel.empty() && amdv.empty() ? "no IOMMU options" : "no iommu=pt"),
        "add " + kernel_flag + " iommu=pt: pass-through mode keeps host DMA fast while VFIO still isolates assigned devices");
  else
    add("kernel-cmdline", CheckStatus::Ok, "iommu=pt" + std::string(intel.empty() && amdv.empty() ? "" : ", " + (amd ? "amd_iommu=" + amdv : "intel_iommu=" + intel)));

  const std::string interrupts = sysfs.read("proc/interrupts", 1 << 20).value_or(std::string());
  if (interrupts.find("IR-") != std::string::npos) add("interrupt-remapping", CheckStatus::Ok, "interrupt remapping is active");
  else
    add("interrupt-remapping", CheckStatus::Warn, "no remapped (IR-) interrupts in /proc/interrupts",
        "enable interrupt remapping (x2APIC / IR in the firmware); without it VFIO refuses devices unless "
        "vfio_iommu_type1 allow_unsafe_interrupts=1, which lets a guest inject interrupts");

  std::string builtin;
  if (auto release = sysfs.read("proc/sys/kernel/osrelease"))
    builtin = sysfs.read("lib/modules/" + std::string(trim(*release)) + "/modules.builtin", 1 << 22).value_or(std::string());
  std::vector<std::string> missing;
  for (const char* m : {"vfio", "vfio_pci", "vfio_iommu_type1"}) {
    std::string file = std::string(m) + ".ko";
    std::replace(file.begin(), file.end(), '_', '-');
    const bool loaded = sysfs.exists("sys/module/" + std::string(m));
    const bool built_in = builtin.find("/" + file) != std::string::npos || builtin.find("/" + std::string(m) + ".ko") != std::string::npos;
    if (!loaded && !built_in) missing.push_back(m);
  }
  if (missing.empty()) add("vfio-modules", CheckStatus::Ok, "vfio, vfio_pci and vfio_iommu_type1 are available");
  else {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    add("vfio-modules", CheckStatus::Fail, "not loaded: " + list,
        "modprobe vfio-pci (loads vfio and vfio_iommu_type1 too), and list vfio-pci in /etc/modules-load.d/vfio.conf");
  }

  // Per group: which endpoints can be assigned, and what keeps the others.
  std::map<PciAddress, const DiscoveredDevice*> by_address;
  for (const auto& d : discovery.devices) by_address[d.address] = &d;
  std::map<PciAddress, std::string> critical_why;
  for (const auto& c : critical) critical_why[c.address] = c.why;
  std::map<uint32_t, std::vector<const DiscoveredDevice*>> by_group;
  for (const auto& d : discovery.devices)
    if (d.iommu_group && !d.is_bridge()) by_group[*d.iommu_group].push_back(&d);
  for (const auto& [group, members] : by_group) {
    std::string names, blockers;
    for (const auto* m : members) {
      names += (names.empty() ? "" : ", ") + m->address.to_string();
      auto why = critical_why.find(m->address);
      if (why != critical_why.end())
        blockers += (blockers.empty() ? "" : "; ") + m->address.to_string() + " " + why->second;
    }
    const std::string name = "group " + std::to_string(group);
    if (!blockers.empty()) {
      add(name, CheckStatus::Warn,
          names + ": not assignable while the host uses it: " + blockers,
          members.size() > 1 ? "move the other devices to a slot with its own group (ACS), or free the host device first"
                             : "the host needs this device; pass through another one");
    } else if (members.size() > 1) {
      add(name, CheckStatus::Ok, names + ": assignable together (one group)");
    } else {
      add(name, CheckStatus::Ok, names + ": assignable");
    }
  }
  for (const auto& c : critical)
    if (!by_address.count(c.address) || !by_address[c.address]->iommu_group)
      add("host-device " + c.address.to_string(), CheckStatus::Ok, c.address.to_string() + " " + c.why + " (never assigned without --force)");
  for (const auto& f : persistence_findings(read_persistence_files(sysfs), discovery, critical))
    add("persistence", CheckStatus::Warn, f.text, "");
  return r;
}

}  // namespace pcipass
