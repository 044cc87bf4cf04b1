#include "core/device_spec.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "core/hex.h"

namespace pcipass {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

constexpr std::array<std::string_view, 14> kKnownKeys = {
    "address", "devname", "vendor_id", "product_id", "physical_network", "trusted",
    "remote_managed", "resource_class", "traits", "managed", "live_migratable", "one_time_use",
    "pcipass_release_host_use", "pcipass_fixed"};
constexpr std::array<std::string_view, 5> kBooleanTags = {"trusted", "remote_managed", "managed",
                                                          "live_migratable", "one_time_use"};

// vendor_id / product_id: "*" or a hex number <= FFFF (Python int(x, 16) rules).
Result<std::optional<PciId>> parse_id(const ConfigValue& v, std::string_view key) {
  if (!v.is_string())
    return invalid("expected a string of hex digits or \"*\", got " + std::string(kind_name(v.kind())));
  std::string_view text = trim(v.as_string());
  if (text == "*") return std::optional<PciId>{};
  auto n = parse_hex_lenient(text);
  if (!n)
    return invalid("property " + std::string(key) + " ('" + v.as_string() + "') does not parse as a hex number");
  if (*n > 0xffff)
    return invalid("property " + std::string(key) + " (" + v.as_string() +
                   ") is greater than the maximum allowable value (FFFF).");
  return std::optional<PciId>(PciId(static_cast<uint16_t>(*n)));
}

Result<std::optional<uint32_t>> parse_glob_field(std::string_view field, std::string_view name, uint32_t max,
                                                 std::string_view shown_max) {
  std::string_view t = trim(field);
  if (t.empty() || t == "*") return std::optional<uint32_t>{};
  auto n = parse_hex_lenient(t);
  if (!n) return invalid("property " + std::string(name) + " ('" + std::string(field) + "') does not parse as a hex number");
  if (*n > max)
    return invalid("property " + std::string(name) + " (" + std::string(field) +
                   ") is greater than the maximum allowable value (" + std::string(shown_max) + ").");
  return std::optional<uint32_t>(static_cast<uint32_t>(*n));
}

}  // namespace

std::optional<bool> parse_bool_like(std::string_view text) {
  std::string t = lower(trim(text));
  if (t == "1" || t == "t" || t == "true" || t == "on" || t == "y" || t == "yes") return true;
  if (t == "0" || t == "f" || t == "false" || t == "off" || t == "n" || t == "no") return false;
  return std::nullopt;
}

std::string normalize_resource_class(std::string_view text) {
  static const std::array<std::string_view, 12> standard = {
      "VCPU", "MEMORY_MB", "DISK_GB", "PCI_DEVICE", "SRIOV_NET_VF", "NUMA_SOCKET", "NUMA_CORE",
      "NUMA_THREAD", "NUMA_MEMORY_MB", "IPV4_ADDRESS", "VGPU", "PGPU"};
  std::string u = upper(trim(text));
  if (std::find(standard.begin(), standard.end(), u) != standard.end()) return u;
  if (u.rfind("CUSTOM_", 0) == 0) return u;
  std::string out = "CUSTOM_";
  bool in_bad = false;
  for (char c : u) {
    bool good = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (good) { out += c; in_bad = false; }
    else if (!in_bad) { out += '_'; in_bad = true; }
  }
  return out;
}

std::string normalize_trait(std::string_view text) {
  std::string u = upper(trim(text));
  for (std::string_view p : {"CUSTOM_", "HW_", "COMPUTE_", "STORAGE_", "MISC_", "OWNER_"})
    if (u.rfind(p, 0) == 0 && std::all_of(u.begin(), u.end(), [](char c) {
          return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        }))
      return u;
  return normalize_resource_class(text);
}

// ---------------------------------------------------------------- AddressPattern

Result<AddressPattern> AddressPattern::parse(const ConfigValue& value, std::vector<std::string>& warnings) {
  AddressPattern p;
  if (value.is_string()) {
    const std::string& text = value.as_string();
    std::string_view dbs = text, func = "*";
    if (auto dot = text.find('.'); dot != std::string::npos) {
      dbs = std::string_view(text).substr(0, dot);
      func = std::string_view(text).substr(dot + 1);
    }
    std::vector<std::string_view> fields;
    size_t start = 0;
    for (;;) {
      auto colon = dbs.find(':', start);
      fields.push_back(dbs.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
      if (colon == std::string_view::npos) break;
      start = colon + 1;
    }
    if (fields.size() > 3)
      return invalid("The PCI address " + text + " has an incorrect format (at most domain:bus:slot.function).");
    // Fields are right-aligned: "0a:00.1" is bus 0a, slot 00; a lone number is a slot.
    std::array<std::string_view, 3> dbs_fields = {"*", "*", "*"};
    for (size_t i = 0; i < fields.size(); ++i) dbs_fields[3 - fields.size() + i] = fields[i];
    GlobFields g;
    PCIPASS_TRY(domain, parse_glob_field(dbs_fields[0], "domain", 0xffff, "FFFF"));
    PCIPASS_TRY(bus, parse_glob_field(dbs_fields[1], "bus", 0xff, "FF"));
    PCIPASS_TRY(slot, parse_glob_field(dbs_fields[2], "slot", 0x1f, "1F"));
    PCIPASS_TRY(function, parse_glob_field(func, "func", 7, "7"));
    g.domain = domain; g.bus = bus; g.slot = slot; g.function = function;
    if (fields.size() == 1 && slot)
      warnings.push_back("address " + quote(text) + " is read as slot " + std::string(trim(fields[0])) +
                         " on any bus (Nova right-aligns address fields); write \"*:BB:SS.F\" to be explicit");
    if (g.domain && g.bus && g.slot && g.function)
      p.exact_ = PciAddress::from_fields(*g.domain, *g.bus, *g.slot, *g.function).value();
    p.glob_ = g;
    return p;
  }
  if (value.is_object()) {
    static constexpr std::array<std::string_view, 4> names = {"domain", "bus", "slot", "function"};
    static constexpr std::array<uint32_t, 4> maxima = {0xffff, 0xff, 0x1f, 7};
    for (const auto& [key, v] : value.members())
      if (std::find(names.begin(), names.end(), key) == names.end())
        warnings.push_back("address field " + quote(key) + " is not one of domain, bus, slot, function: ignored, as Nova "
                           "ignores it");
    std::array<std::optional<uint32_t>, 4> concrete;
    bool all_concrete = true;
    for (size_t i = 0; i < 4; ++i) {
      RegexField f;
      if (const ConfigValue* fv = value.find(names[i])) {
        if (!fv->is_string())
          return std::move(invalid(std::string("expected a regular expression string, got ") + kind_name(fv->kind()))
                               .within(std::string(names[i])));
        f.source = fv->as_string();
        try {
          f.re = std::make_shared<const std::regex>(f.source, std::regex::ECMAScript | std::regex::icase);
        } catch (const std::regex_error& e) {
          return std::move(invalid("invalid regular expression " + quote(f.source) + ": " + e.what())
                               .within(std::string(names[i])));
        }
        auto n = parse_hex_exact(f.source, maxima[i]);
        if (n) concrete[i] = n; else all_concrete = false;
      } else {
        all_concrete = false;
      }
      p.regex_.push_back(std::move(f));
    }
    if (all_concrete) {
      p.exact_ = PciAddress::from_fields(*concrete[0], *concrete[1], *concrete[2], *concrete[3]).value();
      p.regex_.clear();
      return p;
    }
    for (size_t i = 0; i < 4; ++i) {
      const std::string& src = p.regex_[i].source;
      if (src.empty() || src.back() == '$' || (src.size() >= 2 && src.substr(src.size() - 2) == ".*")) continue;
      warnings.push_back("address " + std::string(names[i]) + " regex " + quote(src) +
                         " is matched as a prefix, as Nova does (re.match); end it with '$' to match whole values");
    }
    return p;
  }
  return invalid(std::string("address must be a string (glob) or an object of regexes, got ") + kind_name(value.kind()));
}

bool AddressPattern::matches(PciAddress a) const {
  if (exact_) return a == *exact_;
  if (glob_) {
    return (!glob_->domain || *glob_->domain == a.domain()) && (!glob_->bus || *glob_->bus == a.bus()) &&
           (!glob_->slot || *glob_->slot == a.slot()) && (!glob_->function || *glob_->function == a.function());
  }
  std::string text = a.to_string();  // dddd:bb:ss.f
  const std::array<std::string, 4> fields = {text.substr(0, 4), text.substr(5, 2), text.substr(8, 2), text.substr(11, 1)};
  for (size_t i = 0; i < regex_.size(); ++i) {
    if (!regex_[i].re) continue;
    try {
      if (!std::regex_search(fields[i], *regex_[i].re, std::regex_constants::match_continuous)) return false;
    } catch (const std::regex_error&) {
      return false;  // the engine gave up (complexity or stack): treat as no match
    }
  }
  return true;
}

// ---------------------------------------------------------------- DeviceSpec

Result<DeviceSpec> DeviceSpec::parse(const ConfigValue& value, std::vector<std::string>& warnings) {
  if (!value.is_object())
    return invalid(std::string("a device_spec entry must be an object, got ") + kind_name(value.kind()));
  DeviceSpec spec;
  spec.source_ = value.to_json();
  const ConfigValue* address = nullptr;
  for (const auto& member : value.members()) {
    const std::string& key = member.first;
    const ConfigValue& v = member.second;
    auto in_key = [&](Error e) { return std::move(e.within(key)); };
    if (key == "vendor_id" || key == "product_id") {
      auto id = parse_id(v, key);
      if (!id) return in_key(std::move(id).error());
      (key == "vendor_id" ? spec.vendor_ : spec.product_) = *id;
    } else if (key == "address") {
      address = &v;
    } else if (key == "devname") {
      // Nova formats any value into the sysfs path it looks up: a number names a netdev too.
      if (!v.is_string() && !v.is_integer())
        return in_key(invalid(std::string("expected a netdev name string, got ") + kind_name(v.kind())));
      const std::string name = v.is_string() ? v.as_string() : v.to_json();
      if (!name.empty()) spec.devname_ = name;
    } else if (key == "pcipass_release_host_use") {
      std::optional<bool> b = v.is_bool() ? std::optional<bool>(v.as_bool()) : v.is_string() ? parse_bool_like(v.as_string()) : std::nullopt;
      if (!b) return in_key(invalid("expected true or false, got " + v.to_json()));
      spec.release_host_use_ = *b;
      if (*b)
        warnings.push_back("pcipass_release_host_use: devices this entry admits are handed out even where the host "
                           "depends on them (each such device is logged)");
    } else if (key == "pcipass_fixed") {
      std::optional<bool> b = v.is_bool() ? std::optional<bool>(v.as_bool()) : v.is_string() ? parse_bool_like(v.as_string()) : std::nullopt;
      if (!b) return in_key(invalid("expected true or false, got " + v.to_json()));
      spec.fixed_ = *b;
    } else if (key == "resource_class") {
      if (!v.is_string()) return in_key(invalid(std::string("expected a string, got ") + kind_name(v.kind())));
      spec.placement_tags_.push_back({key, normalize_resource_class(v.as_string())});
    } else if (key == "traits") {
      if (!v.is_string()) return in_key(invalid(std::string("expected a comma-separated string, got ") + kind_name(v.kind())));
      std::string joined;
      std::string_view rest = v.as_string();
      while (!rest.empty()) {
        auto comma = rest.find(',');
        auto item = trim(rest.substr(0, comma));
        if (!item.empty()) joined += (joined.empty() ? "" : ",") + normalize_trait(item);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
      spec.placement_tags_.push_back({key, joined});
    } else {
      Tag tag{key, std::nullopt};
      bool boolean_tag = std::find(kBooleanTags.begin(), kBooleanTags.end(), key) != kBooleanTags.end();
      if (v.is_object() || v.is_array()) {
        // Nova 26 keeps such a value in the pool's key, where no request ever asks for it.
        tag.value = v.to_json();
        warnings.push_back("tag " + quote(key) + " has a JSON " + kind_name(v.kind()) + " value; as in Nova it only "
                           "separates these devices' pools (kept as the text " + v.to_json() + "): no request matches on it");
      } else if (boolean_tag) {
        std::optional<bool> b;
        if (v.is_bool()) b = v.as_bool();
        else if (v.is_string()) b = parse_bool_like(v.as_string());
        else if (v.is_integer() && (v.as_integer() == 0 || v.as_integer() == 1)) b = v.as_integer() == 1;
        if (!b) {
          // Nova 26 takes any value (remote_managed is read by bool_from_string: false);
          // kept as it is, no request for the tag asks for it.
          tag.value = v.is_string() ? v.as_string() : v.to_json();
          warnings.push_back("tag " + quote(key) + " has the value " + v.to_json() + ", which is not boolean-like "
                             "(yes/no/true/false/1/0/on/off/t/f/y/n): kept as it is, as Nova 26 does" +
                             (key == "remote_managed" ? ", which reads it as false" : "") + "; no request asks for it");
        } else {
          tag.value = *b ? "true" : "false";
          if (key == "one_time_use" && *b)
            warnings.push_back("one_time_use=true needs Nova's Placement reporting, which pcipass does not do: the "
                               "device is not withheld after use (Nova 26 knows no such key and keeps it as a tag)");
          if (key == "remote_managed" && *b) {
            spec.remote_managed_ = true;
            warnings.push_back("remote_managed=true devices need a VPD card serial number that the inventory does not "
                               "carry, so this entry admits no device (as in Nova without VPD)");
          }
        }
      } else if (v.is_string()) {
        tag.value = v.as_string();
      } else if (v.is_bool()) {
        tag.value = v.as_bool() ? "true" : "false";
      } else if (v.is_number()) {
        tag.value = v.to_json();
      }
      if (std::find(kKnownKeys.begin(), kKnownKeys.end(), key) == kKnownKeys.end()) {
        for (auto known : kKnownKeys)
          if (edit_distance(key, known) <= 2) {
            warnings.push_back("device_spec key " + quote(key) + " is not a Nova key and becomes a free-form tag; did you mean " +
                               quote(known) + "?");
            break;
          }
      }
      spec.pool_tags_.push_back(std::move(tag));
    }
  }
  if (address && spec.devname_)
    return invalid("can specify devname or address, but not both");
  if (address) {
    auto pattern = AddressPattern::parse(*address, warnings);
    if (!pattern) return std::move(std::move(pattern).error().within("address"));
    spec.address_ = std::move(*pattern);
  }
  std::sort(spec.pool_tags_.begin(), spec.pool_tags_.end(), [](const Tag& a, const Tag& b) { return a.key < b.key; });
  return spec;
}

std::optional<std::string> DeviceSpec::tag(std::string_view key) const {
  for (const auto& t : pool_tags_)
    if (t.key == key) return t.value;
  for (const auto& t : placement_tags_)
    if (t.key == key) return t.value;
  return std::nullopt;
}

bool DeviceSpec::matches(const DeviceFacts& d, const std::optional<DevnameTarget>& devname_target) const {
  if (remote_managed_) return false;
  if (vendor_ && *vendor_ != d.vendor_id) return false;
  if (product_ && *product_ != d.product_id) return false;
  if (devname_) {
    if (!devname_target) return false;
    if (d.address == devname_target->address) return true;
    return devname_target->is_pf && d.physfn && *d.physfn == devname_target->address;
  }
  if (!address_) return true;
  // An exact address of a PF admits the PF and every VF whose physfn it is.
  if (address_->exact() && d.physfn && *d.physfn == *address_->exact()) return true;
  return address_->matches(d.address);
}

DeviceSpec DeviceSpec::for_interface(const HostInterface& iface) {
  DeviceSpec s;
  s.interface_ = iface.cls;
  s.address_ = AddressPattern::exactly(iface.address);
  if (iface.cls != InterfaceClass::None) s.pool_tags_.push_back(Tag{"physical_network", iface.datanetwork});
  s.source_ = "host interface " + iface.address.to_string() + " (" + interface_class_name(iface.cls) +
              (iface.datanetwork.empty() ? std::string() : " on " + iface.datanetwork) + ")";
  return s;
}

std::optional<std::string> DeviceSpec::withholds(const DeviceFacts& d) const {
  if (!interface_) return std::nullopt;
  const bool vf = d.physfn.has_value();
  switch (*interface_) {
    case InterfaceClass::None:
      return std::string(vf ? "its PF's" : "its") + " interface class is none: it is the host's";
    case InterfaceClass::PciSriov:
      if (!vf) return std::string("its interface class is pci-sriov: it serves its VFs, never handed out whole");
      return std::nullopt;
    case InterfaceClass::PciPassthrough:
      if (vf) return std::string("its PF's interface class is pci-passthrough: the PF is handed out whole");
      return std::nullopt;
  }
  return std::nullopt;
}

DeviceSpecList DeviceSpecList::after(std::vector<DeviceSpec> first) const {
  DeviceSpecList out;
  out.specs_ = std::move(first);
  out.specs_.insert(out.specs_.end(), specs_.begin(), specs_.end());
  return out;
}

Result<DeviceSpecList> DeviceSpecList::parse(const ConfigValue& list, std::vector<std::string>& warnings) {
  if (!list.is_array())
    return invalid(std::string("device_spec must be a list, got ") + kind_name(list.kind()));
  DeviceSpecList out;
  for (size_t i = 0; i < list.items().size(); ++i) {
    std::vector<std::string> local;
    auto spec = DeviceSpec::parse(list.items()[i], local);
    if (!spec) return std::move(std::move(spec).error().within("[" + std::to_string(i) + "]"));
    for (auto& w : local) warnings.push_back("[" + std::to_string(i) + "]: " + w);
    out.specs_.push_back(std::move(*spec));
  }
  return out;
}

std::vector<std::string> remote_managed_findings(const DeviceSpecList& specs, const std::vector<DeviceFacts>& devices) {
  std::vector<std::string> out;
  for (size_t i = 0; i < specs.specs().size(); ++i) {
    const DeviceSpec& spec = specs.specs()[i];
    if (!spec.never_matches()) continue;  // only remote_managed=true entries are checked
    const std::string entry = "device_spec[" + std::to_string(i) + "]";
    const DeviceFacts* named = nullptr;
    if (spec.devname()) {
      for (const auto& d : devices)
        if (d.devname == *spec.devname()) named = &d;
      if (!named) {
        out.push_back(entry + ": remote_managed entry names devname " + quote(*spec.devname()) +
                      ", which is not on this host (Nova's nova-compute does not start: PciDeviceRemoteManagedNotPresent)");
        continue;
      }
    } else if (auto address = spec.exact_address()) {
      for (const auto& d : devices)
        if (d.address == *address) named = &d;
    }
    if (!named || named->type() != DeviceType::Pf) continue;
    const DeviceFacts& pf = *named;
    std::optional<PciId> vf_product;
    for (const auto& d : devices)
      if (d.physfn && *d.physfn == pf.address) vf_product = d.product_id;
    const bool vendor_fits = !spec.vendor_id() || *spec.vendor_id() == pf.vendor_id;
    const auto& product = spec.product_id();
    const std::string pf_text = "PF " + pf.address.to_string() + " (" + pf.vendor_id.to_string() + ":" + pf.product_id.to_string() + ")";
    if (product && vf_product && *product == *vf_product && vendor_fits) continue;  // its VFs, as meant
    if ((!product || *product == pf.product_id) && vendor_fits) {
      out.push_back(entry + ": remote_managed entry names " + pf_text + " with ids that match the PF itself; a "
                    "remote-managed PF is not supported: give the VF product id" +
                    (vf_product ? " (" + vf_product->to_string() + ")" : std::string()) +
                    " (Nova's nova-compute does not start: PciDeviceInvalidPFRemoteManaged)");
      continue;
    }
    if (!vendor_fits || vf_product) {
      out.push_back(entry + ": remote_managed entry's VF ids " + (spec.vendor_id() ? spec.vendor_id()->to_string() : "*") +
                    ":" + (product ? product->to_string() : "*") + " do not belong to " + pf_text +
                    (vf_product ? ", whose VFs are " + pf.vendor_id.to_string() + ":" + vf_product->to_string() : std::string()) +
                    " (Nova's nova-compute does not start: PciConfigInvalidSpec)");
    }
  }
  return out;
}

}  // namespace pcipass
