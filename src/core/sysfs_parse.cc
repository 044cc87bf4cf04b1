#include "core/sysfs_parse.h"

#include "core/config_value.h"
#include "core/hex.h"

namespace pcipass {

Result<uint32_t> parse_sysfs_hex(std::string_view text, uint32_t max) {
  std::string_view t = trim(text);
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) t.remove_prefix(2);
  auto v = parse_hex_exact(t, max);
  if (!v) return invalid("expected a hex value like 0x8086, got " + quote(trim(text)));
  return *v;
}

Result<uint32_t> parse_sysfs_uint(std::string_view text) {
  std::string_view t = trim(text);
  if (t.empty() || t.size() > 9) return invalid("expected a number, got " + quote(t));
  uint32_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9') return invalid("expected a number, got " + quote(t));
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v;
}

Result<std::optional<uint32_t>> parse_sysfs_numa_node(std::string_view text) {
  std::string_view t = trim(text);
  if (t == "-1") return std::optional<uint32_t>{};
  auto v = parse_sysfs_uint(t);
  if (!v) return v.error();
  return std::optional<uint32_t>(*v);
}

std::optional<std::string> parse_driver_override(std::string_view text) {
  std::string_view t = trim(text);
  if (t.empty() || t == "(null)") return std::nullopt;
  return std::string(t);
}

Result<uint64_t> parse_node_meminfo_total_mb(std::string_view text) {
  auto pos = text.find("MemTotal:");
  if (pos == std::string_view::npos) return invalid("no MemTotal line");
  std::string_view rest = trim(text.substr(pos + 9));
  uint64_t kb = 0;
  size_t i = 0;
  for (; i < rest.size() && rest[i] >= '0' && rest[i] <= '9' && i < 18; ++i) kb = kb * 10 + static_cast<uint64_t>(rest[i] - '0');
  if (i == 0) return invalid("MemTotal has no number");
  return kb / 1024;
}

std::optional<std::string> parse_vpd_serial(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    const auto tag = static_cast<uint8_t>(bytes[i]);
    if (tag == 0x78 || tag == 0x79) break;  // end tag
    if (!(tag & 0x80)) {                    // small resource: length in the low 3 bits
      i += 1 + (tag & 7u);
      continue;
    }
    if (i + 3 > bytes.size()) break;
    const size_t len = static_cast<uint8_t>(bytes[i + 1]) | (static_cast<size_t>(static_cast<uint8_t>(bytes[i + 2])) << 8);
    const size_t start = i + 3;
    if (start + len > bytes.size()) break;
    if (tag == 0x90 || tag == 0x91) {  // VPD-R / VPD-W: keyword (2) + length (1) + data
      size_t k = start;
      while (k + 3 <= start + len) {
        std::string_view key = bytes.substr(k, 2);
        const size_t klen = static_cast<uint8_t>(bytes[k + 2]);
        if (k + 3 + klen > start + len) break;
        if (key == "SN") {
          std::string serial(trim(bytes.substr(k + 3, klen)));
          bool printable = !serial.empty();
          for (char c : serial) printable = printable && c >= 0x20 && c < 0x7f;
          if (printable) return serial;
          return std::nullopt;
        }
        k += 3 + klen;
      }
    }
    i = start + len;
  }
  return std::nullopt;
}

std::optional<ConfigHeader> parse_config_header(std::string_view b) {
  if (b.size() < 48) return std::nullopt;
  auto u8 = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(b[i])); };
  auto u16 = [&](size_t i) { return static_cast<uint16_t>(u8(i) | (u8(i + 1) << 8)); };
  if (u16(0) == 0xffff) return std::nullopt;
  ConfigHeader h;
  h.vendor_id = PciId(u16(0));
  h.device_id = PciId(u16(2));
  h.revision = u8(8);
  h.class_code = u8(9) | (u8(10) << 8) | (u8(11) << 16);
  // Subsystem ids live at 0x2c in type-0 headers only (bridges put other fields there).
  if ((u8(0x0e) & 0x7f) == 0) {
    h.subsystem_vendor_id = PciId(u16(0x2c));
    h.subsystem_device_id = PciId(u16(0x2e));
  }
  return h;
}

std::string_view link_basename(std::string_view target) {
  while (!target.empty() && target.back() == '/') target.remove_suffix(1);
  auto slash = target.rfind('/');
  return slash == std::string_view::npos ? target : target.substr(slash + 1);
}

PciIdsDb PciIdsDb::parse(std::string_view text, const std::set<std::pair<PciId, PciId>>& wanted) {
  PciIdsDb db;
  std::set<PciId> vendors;
  for (const auto& [v, d] : wanted) vendors.insert(v);
  std::optional<PciId> current, device;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("C ", 0) == 0) break;  // device classes follow the vendor list
    if (line[0] != '\t') {
      auto id = line.size() > 6 ? PciId::parse(line.substr(0, 4)) : Result<PciId>(invalid(""));
      current.reset();
      device.reset();
      if (id && vendors.count(*id)) {
        current = *id;
        db.vendors_[*id] = std::string(trim(line.substr(4)));
      }
      continue;
    }
    if (!current || line.size() < 7) continue;
    if (line[1] == '\t') {  // "\t\tSVID SDID  name" under the current device
      if (!device || line.size() < 13) continue;
      auto sv = PciId::parse(line.substr(2, 4)), sd = PciId::parse(line.substr(7, 4));
      if (sv && sd) db.subsystems_[{*current, *device, *sv, *sd}] = std::string(trim(line.substr(11)));
      continue;
    }
    auto id = PciId::parse(line.substr(1, 4));
    device.reset();
    if (id && wanted.count({*current, *id})) {
      db.devices_[{*current, *id}] = std::string(trim(line.substr(5)));
      device = *id;
    }
  }
  return db;
}

std::optional<std::string> PciIdsDb::vendor_name(PciId vendor) const {
  auto it = vendors_.find(vendor);
  if (it == vendors_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> PciIdsDb::subsystem_name(PciId vendor, PciId device, PciId subvendor, PciId subdevice) const {
  auto it = subsystems_.find({vendor, device, subvendor, subdevice});
  if (it == subsystems_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> PciIdsDb::device_name(PciId vendor, PciId device) const {
  auto it = devices_.find({vendor, device});
  if (it == devices_.end()) return std::nullopt;
  return it->second;
}

}  // namespace pcipass
