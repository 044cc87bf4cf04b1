#include "adapters/libvirt_xml/libvirt_xml.h"

#include <cctype>
#include <cstdio>

namespace pcipass {
namespace {

std::string address_xml(PciAddress a, bool with_type) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "<address %sdomain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>",
                with_type ? "type='pci' " : "", a.domain(), a.bus(), a.slot(), a.function());
  return buf;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

// Text and attribute values: the five XML specials escaped.
std::string escaped(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') continue;  // not XML 1.0 characters
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string metadata_xml(const DomainMetadata& m, int indent) {
  if (m.flavor.empty() && m.disk_gb == 0 && m.image.empty() && m.key_name.empty()) return "";
  const std::string pad(static_cast<size_t>(indent), ' ');
  std::string out = pad + "<pcipass:server xmlns:pcipass='" + kMetadataNamespace + "'>\n";
  if (!m.flavor.empty() || m.disk_gb) {
    out += pad + "  <pcipass:flavor";
    if (!m.flavor.empty()) out += " name='" + escaped(m.flavor) + "'";
    if (m.disk_gb) out += " disk_gb='" + std::to_string(m.disk_gb) + "'";
    out += "/>\n";
  }
  if (!m.image.empty()) out += pad + "  <pcipass:image>" + escaped(m.image) + "</pcipass:image>\n";
  if (!m.key_name.empty()) out += pad + "  <pcipass:key_name>" + escaped(m.key_name) + "</pcipass:key_name>\n";
  return out + pad + "</pcipass:server>\n";
}

bool valid_mac(std::string_view mac) {
  if (mac.size() != 17) return false;
  for (size_t i = 0; i < mac.size(); ++i) {
    if (i % 3 == 2) {
      if (mac[i] != ':') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(mac[i])) || std::isupper(static_cast<unsigned char>(mac[i]))) {
      return false;
    }
  }
  const int first = std::stoi(std::string(mac.substr(0, 2)), nullptr, 16);
  return (first & 1) == 0;  // not multicast
}

Result<std::string> device_xml(const PassthroughDevice& d, int indent) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  const std::string managed = d.managed ? "yes" : "no";
  if (!d.network_interface) {
    if (d.mac || d.vlan)
      return invalid(d.address.to_string() + ": a MAC or VLAN needs a network interface (a NIC VF), not a plain hostdev");
    return pad + "<hostdev mode='subsystem' type='pci' managed='" + managed + "'>\n" + pad + "  <source>\n" + pad + "    " +
           address_xml(d.address, false) + "\n" + pad + "  </source>\n" + pad + "</hostdev>\n";
  }
  std::string out = pad + "<interface type='hostdev' managed='" + managed + "'>\n";
  if (d.mac) {
    if (!valid_mac(*d.mac))
      return std::move(invalid("expected a unicast MAC like 52:54:00:12:34:56 (lower-case hex), got \"" + *d.mac + "\"").within("mac"));
    out += pad + "  <mac address='" + *d.mac + "'/>\n";
  }
  out += pad + "  <source>\n" + pad + "    " + address_xml(d.address, true) + "\n" + pad + "  </source>\n";
  if (d.vlan) {
    if (*d.vlan < 1 || *d.vlan > 4094) return std::move(invalid("VLAN id must be 1 to 4094, got " + std::to_string(*d.vlan)).within("vlan"));
    out += pad + "  <vlan>\n" + pad + "    <tag id='" + std::to_string(*d.vlan) + "'/>\n" + pad + "  </vlan>\n";
  }
  return out + pad + "</interface>\n";
}

Result<std::string> devices_xml(const std::vector<PassthroughDevice>& devices, int indent) {
  std::string out;
  for (size_t i = 0; i < devices.size(); ++i) {
    auto x = device_xml(devices[i], indent);
    if (!x) return std::move(std::move(x).error().within("devices[" + std::to_string(i) + "]"));
    out += *x;
  }
  return out;
}

Result<std::string> domain_xml(const std::string& name, uint32_t vcpus, uint64_t memory_mb,
                               const std::vector<PassthroughDevice>& devices, const DomainMetadata& metadata) {
  if (!valid_name(name)) return std::move(invalid("a domain name is 1-64 letters, digits, '-', '_' or '.'").within("name"));
  if (vcpus == 0) return std::move(invalid("at least one vCPU").within("vcpus"));
  if (memory_mb == 0) return std::move(invalid("memory must be positive").within("memory_mb"));
  auto body = devices_xml(devices, 4);
  if (!body) return std::move(body).error();
  const std::string about = metadata_xml(metadata, 4);
  return "<domain type='kvm'>\n  <name>" + name + "</name>\n" + (about.empty() ? "" : "  <metadata>\n" + about + "  </metadata>\n") +
         "  <memory unit='MiB'>" + std::to_string(memory_mb) +
         "</memory>\n  <vcpu>" + std::to_string(vcpus) +
         "</vcpu>\n  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n  <features>\n    <acpi/>\n  </features>\n"
         "  <devices>\n" + *body + "  </devices>\n</domain>\n";
}

}  // namespace pcipass
