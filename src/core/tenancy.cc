#include "core/tenancy.h"

#include <algorithm>
#include <cctype>

namespace pcipass {

const char* to_string(NetworkType type) { return type == NetworkType::Vlan ? "vlan" : "flat"; }

std::optional<NetworkType> parse_network_type(std::string_view text) {
  if (text == "vlan") return NetworkType::Vlan;
  if (text == "flat") return NetworkType::Flat;
  return std::nullopt;
}

const char* to_string(VnicType type) { return type == VnicType::Direct ? "direct" : "direct-physical"; }

std::optional<VnicType> parse_vnic_type(std::string_view text) {
  if (text == "direct") return VnicType::Direct;
  if (text == "direct-physical") return VnicType::DirectPhysical;
  return std::nullopt;
}

Status check_segment(NetworkType type, std::optional<uint64_t> segment) {
  if (type == NetworkType::Flat) {
    if (segment) return std::move(invalid("a flat network has no segmentation id").within("provider:segmentation_id"));
    return ok_status();
  }
  if (!segment) return std::move(invalid("a vlan network needs a segmentation id (a VLAN id, 1 to 4094)").within("provider:segmentation_id"));
  if (*segment < 1 || *segment > 4094)
    return std::move(invalid("VLAN id " + std::to_string(*segment) + " is out of range: it must be 1 to 4094").within("provider:segmentation_id"));
  return ok_status();
}

Result<std::string> normalize_mac(std::string_view text) {
  auto bad = [&](const std::string& why) { return invalid("MAC address " + quote(std::string(text)) + " " + why); };
  if (text.size() != 17) return bad("is not six hex pairs joined by ':' or '-'");
  std::string out;
  const char sep = text[2];
  if (sep != ':' && sep != '-') return bad("is not six hex pairs joined by ':' or '-'");
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i % 3 == 2) {
      if (c != sep) return bad("is not six hex pairs joined by ':' or '-'");
      out += ':';
    } else {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return bad("is not six hex pairs joined by ':' or '-'");
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  const int first = std::stoi(out.substr(0, 2), nullptr, 16);
  if (first & 1) return bad("is a multicast address; a port needs a unicast one");
  if (out == "00:00:00:00:00:00") return bad("is all zeros");
  return out;
}

std::vector<std::pair<std::string, uint64_t>> quota_usage(const InstanceShape& shape) {
  std::vector<std::pair<std::string, uint64_t>> out{{"servers", 1}, {"vcpus", shape.vcpus}, {"memory_mb", shape.memory_mb}};
  for (const PciRequest& r : shape.pci) {
    const std::string key = "devices:" + r.alias_name;
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& kv) { return kv.first == key; });
    if (it != out.end()) it->second += r.count;
    else out.emplace_back(key, r.count);
  }
  return out;
}

Status admit(const std::string& project, const std::vector<QuotaLine>& quotas, const std::vector<std::pair<std::string, uint64_t>>& usage) {
  for (const QuotaLine& q : quotas) {
    if (!q.limit) continue;
    for (const auto& [resource, asked] : usage)
      if (resource == q.resource && asked > 0 && q.used + asked > *q.limit) return over_quota(project, resource, *q.limit, q.used, asked);
  }
  return ok_status();
}

Error over_quota(const std::string& project, const std::string& resource, uint64_t limit, uint64_t used, uint64_t asked) {
  return Error(ErrorCode::OverQuota, "quota " + resource + " of project " + quote(project) + " is " + std::to_string(limit) + ": " +
                                         std::to_string(used) + " in use, and this server asks for " + std::to_string(asked) + " more");
}

std::string port_mac(std::string_view random_hex) {
  std::string out = "fa:16:3e";
  for (size_t i = 0; i < 6; ++i) {
    if (i % 2 == 0) out += ':';
    const char c = i < random_hex.size() ? random_hex[i] : '0';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace pcipass
