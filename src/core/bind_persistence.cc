#include "core/bind_persistence.h"

#include <algorithm>

#include "core/hex.h"

namespace pcipass {
namespace {

bool valid_driver(std::string_view d) {
  return !d.empty() && d.size() <= 64 && std::all_of(d.begin(), d.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// "8086:1572" -> the two ids.
std::optional<std::pair<PciId, PciId>> id_pair(std::string_view text) {
  if (text.size() != 9 || text[4] != ':') return std::nullopt;
  auto a = PciId::parse(text.substr(0, 4));
  auto b = PciId::parse(text.substr(5));
  if (!a || !b) return std::nullopt;
  return std::pair{*a, *b};
}

std::string hex_attr(PciId id) { return "0x" + id.to_string(); }

constexpr std::string_view kRecord = "# pcipass-bind ";

}  // namespace

BindRules parse_bind_rules(std::string_view text) {
  BindRules out;
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.rfind(kRecord, 0) != 0) continue;
    line.remove_prefix(kRecord.size());
    PersistedBinding b;
    bool has_address = false, has_driver = false, has_ids = false, has_subsystem = false;
    std::string problem;
    while (!line.empty() && problem.empty()) {
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      if (line.empty()) break;
      if (line.rfind("fingerprint=", 0) == 0) {  // the rest of the line: a VPD serial may hold spaces
        b.fingerprint = std::string(trim(line.substr(12)));
        break;
      }
      size_t space = line.find(' ');
      std::string_view field = line.substr(0, space);
      line = space == std::string_view::npos ? std::string_view() : line.substr(space);
      size_t eq = field.find('=');
      if (eq == std::string_view::npos) {
        problem = "expected key=value, got \"" + std::string(field) + "\"";
        break;
      }
      std::string_view key = field.substr(0, eq), value = field.substr(eq + 1);
      if (key == "address") {
        auto a = PciAddress::parse(value);
        if (!a) problem = "address: " + a.error().message();
        else b.address = *a, has_address = true;
      } else if (key == "driver") {
        if (!valid_driver(value)) problem = "driver: not a driver name: \"" + std::string(value) + "\"";
        else b.driver = std::string(value), has_driver = true;
      } else if (key == "ids" || key == "subsystem") {
        auto ids = id_pair(value);
        if (!ids) problem = std::string(key) + ": expected VVVV:DDDD, got \"" + std::string(value) + "\"";
        else if (key == "ids") b.vendor_id = ids->first, b.device_id = ids->second, has_ids = true;
        else b.subsystem_vendor_id = ids->first, b.subsystem_device_id = ids->second, has_subsystem = true;
      } else if (key == "driverctl") {
        if (value != "yes" && value != "no") problem = "driverctl: expected yes or no";
        else b.driverctl = value == "yes";
      }  // other keys: from a later pcipass, passed over
    }
    if (problem.empty() && !(has_address && has_driver && has_ids && has_subsystem))
      problem = "a record needs address, driver, ids and subsystem";
    if (!problem.empty()) {
      out.problems.push_back(std::string(kBindRules) + " line " + std::to_string(line_no) + ": " + problem);
      continue;
    }
    out.bindings = with_binding(std::move(out.bindings), std::move(b));
  }
  return out;
}

std::string bind_rule(const PersistedBinding& b) {
  const std::string a = b.address.to_string();
  // udev splits RUN's program and arguments at spaces outside single quotes, and puts the
  // kernel name for %k. A driver already bound (built in, or loaded from the initramfs)
  // lets go, and the override's driver probes it.
  return "ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"" + a + "\", ATTR{vendor}==\"" + hex_attr(b.vendor_id) +
         "\", ATTR{device}==\"" + hex_attr(b.device_id) + "\", ATTR{subsystem_vendor}==\"" + hex_attr(b.subsystem_vendor_id) +
         "\", ATTR{subsystem_device}==\"" + hex_attr(b.subsystem_device_id) + "\", ATTR{driver_override}=\"" + b.driver +
         "\", RUN+=\"/bin/sh -c 'echo %k > /sys/bus/pci/devices/%k/driver/unbind 2>/dev/null; echo %k > /sys/bus/pci/drivers_probe'\"\n";
}

std::string render_bind_rules(std::vector<PersistedBinding> bindings) {
  std::sort(bindings.begin(), bindings.end(), [](const auto& x, const auto& y) { return x.address < y.address; });
  std::string out =
      "# Written by pcipass (bind --persist, apply): each device is bound to its driver at boot only while its\n"
      "# address holds the same device (vendor, device and subsystem ids). Edit with pcipass, not by hand.\n";
  for (const auto& b : bindings) {
    out += std::string(kRecord) + "address=" + b.address.to_string() + " driver=" + b.driver + " ids=" + b.vendor_id.to_string() +
           ":" + b.device_id.to_string() + " subsystem=" + b.subsystem_vendor_id.to_string() + ":" +
           b.subsystem_device_id.to_string() + " driverctl=" + (b.driverctl ? "yes" : "no");
    if (!b.fingerprint.empty()) out += " fingerprint=" + b.fingerprint;
    out += "\n" + bind_rule(b);
  }
  return out;
}

std::vector<PersistedBinding> with_binding(std::vector<PersistedBinding> bindings, PersistedBinding b) {
  bindings = without_binding(std::move(bindings), b.address);
  bindings.push_back(std::move(b));
  std::sort(bindings.begin(), bindings.end(), [](const auto& x, const auto& y) { return x.address < y.address; });
  return bindings;
}

std::vector<PersistedBinding> without_binding(std::vector<PersistedBinding> bindings, PciAddress address) {
  bindings.erase(std::remove_if(bindings.begin(), bindings.end(), [&](const auto& x) { return x.address == address; }), bindings.end());
  return bindings;
}

const PersistedBinding* binding_at(const std::vector<PersistedBinding>& bindings, PciAddress address) {
  for (const auto& b : bindings)
    if (b.address == address) return &b;
  return nullptr;
}

}  // namespace pcipass
