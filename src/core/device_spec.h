#pragma once
// [pci] device_spec: which host devices are assignable, and the tags they carry.
// Semantics follow Nova 26.2.2 (reference/nova-pci.md section 1); where pcipass is
// stricter or warns, docs/nova-differences.md says so.
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "core/config_value.h"
#include "core/device.h"
#include "core/host_interface.h"

namespace pcipass {

// A tag after canonicalisation: boolean-like values become "true"/"false", numbers
// their decimal text, JSON null stays null (e.g. physical_network for tunnels).
struct Tag {
  std::string key;
  std::optional<std::string> value;
  bool operator==(const Tag&) const = default;
};

// The address part of a spec: Nova's glob string or regex object.
class AddressPattern {
 public:
  static Result<AddressPattern> parse(const ConfigValue& value, std::vector<std::string>& warnings);
  static AddressPattern exactly(PciAddress address) {
    AddressPattern p;
    p.exact_ = address;
    return p;
  }

  bool matches(PciAddress address) const;
  // Set when every field is concrete: then an address of a PF also admits its VFs.
  const std::optional<PciAddress>& exact() const { return exact_; }

 private:
  struct GlobFields { std::optional<uint32_t> domain, bus, slot, function; };
  struct RegexField { std::string source; std::shared_ptr<const std::regex> re; };
  std::optional<PciAddress> exact_;
  std::optional<GlobFields> glob_;
  std::vector<RegexField> regex_;  // domain, bus, slot, function (empty source: any)
};

class DeviceSpec {
 public:
  // Parses one device_spec object. Warnings (loose Nova behaviours kept for
  // compatibility) are appended to `warnings`.
  static Result<DeviceSpec> parse(const ConfigValue& value, std::vector<std::string>& warnings);

  // How a host resolves a devname to one of its devices.
  struct DevnameTarget { PciAddress address; bool is_pf; };

  // True if this spec admits the device. `devname_target` is the host device the spec's
  // devname names, if any (only consulted when the spec has a devname).
  bool matches(const DeviceFacts& device, const std::optional<DevnameTarget>& devname_target) const;

  const std::optional<std::string>& devname() const { return devname_; }
  const std::optional<PciId>& vendor_id() const { return vendor_; }    // nullopt: any
  const std::optional<PciId>& product_id() const { return product_; }  // nullopt: any
  // The one address the spec names, if its address pattern is fully concrete.
  std::optional<PciAddress> exact_address() const { return address_ ? address_->exact() : std::nullopt; }
  // Tags that form the pool key: every tag except resource_class and traits.
  const std::vector<Tag>& pool_tags() const { return pool_tags_; }
  std::optional<std::string> tag(std::string_view key) const;
  // remote_managed=true needs a VPD serial the inventory cannot express: never matches.
  bool never_matches() const { return remote_managed_; }
  // "pcipass_release_host_use": true: the operator hands out what this entry admits even
  // where the host's agent says the host depends on it (a deliberate act, logged per host;
  // never a pool tag, so it does not split pools).
  bool releases_host_use() const { return release_host_use_; }
  // "pcipass_fixed": true: the card is in a configuration that cannot be assumed to be
  // reconfigurable (the Nova PF spec's words). pcipass never changes a PF's mode: a PF
  // this entry admits that has VFs enabled is never handed out whole (that would remove
  // them), and pcipass creates no VFs on one without. Never a pool tag.
  bool fixed() const { return fixed_; }
  const std::string& source() const { return source_; }

  // The entry a host interface makes (host_interface.h): it names the PF exactly (so
  // also its VFs) and tags what it admits physical_network = the interface's data network.
  static DeviceSpec for_interface(const HostInterface& iface);
  // Why this entry keeps a device it matches from guests (its interface's class: the PF
  // of a pci-sriov interface, the VFs of a pci-passthrough one, all of a none one);
  // nullopt: it admits it (always, for a device_spec entry).
  std::optional<std::string> withholds(const DeviceFacts& device) const;

 private:
  std::optional<PciId> vendor_, product_;
  std::optional<AddressPattern> address_;
  std::optional<std::string> devname_;
  std::vector<Tag> pool_tags_;       // sorted by key
  std::vector<Tag> placement_tags_;  // resource_class, traits (normalised, informational)
  bool remote_managed_ = false;
  bool release_host_use_ = false;
  bool fixed_ = false;
  std::optional<InterfaceClass> interface_;  // set for an interface's entry
  std::string source_;
};

// An ordered device_spec list: the first matching entry decides the tags.
class DeviceSpecList {
 public:
  static Result<DeviceSpecList> parse(const ConfigValue& list, std::vector<std::string>& warnings);
  const std::vector<DeviceSpec>& specs() const { return specs_; }
  bool empty() const { return specs_.empty(); }
  // `first`, then this list's entries: a host's interface entries ahead of device_spec.
  DeviceSpecList after(std::vector<DeviceSpec> first) const;

 private:
  std::vector<DeviceSpec> specs_;
};

// Nova's start-time checks of remote_managed=true entries against one host's devices
// (nova-compute refuses to start on each): a devname that is not on the host; an entry
// that names a PF (by address or devname) and would match the PF itself rather than
// only its VFs; VF ids that cannot belong to the named PF. Each finding names the
// entry ("device_spec[2]: ..."). The VF product id is read from the PF's listed VFs;
// with none listed, a specific product id other than the PF's is not checked.
std::vector<std::string> remote_managed_findings(const DeviceSpecList& specs, const std::vector<DeviceFacts>& devices);

// Nova's boolean-like parsing (oslo strutils): yes/no/true/false/1/0/on/off/t/f/y/n.
std::optional<bool> parse_bool_like(std::string_view text);
// Nova's resource class and trait normalisation (placement names).
std::string normalize_resource_class(std::string_view text);
std::string normalize_trait(std::string_view text);

}  // namespace pcipass
