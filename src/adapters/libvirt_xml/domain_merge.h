#pragma once
// A server's domain made from the operator's base domain (its disks, networks,
// console, machine type: whatever the operator's VMs have): the server's name, vCPUs
// and memory replace the base's (its UUID goes, so each server gets its own), and the
// server's passthrough elements are added to its <devices>, and its metadata element
// (libvirt_xml.h's metadata_xml) to its <metadata>, replacing a base's element of the
// same namespace and keeping the others. Parsed and written with
// libxml2; a base that is not a <domain>, or is not well-formed, is refused naming
// what is wrong (the file is named by the caller).
#include <cstdint>
#include <string>

#include "core/error.h"

namespace pcipass {

Result<std::string> merge_domain(const std::string& base_xml, const std::string& name, uint32_t vcpus, uint64_t memory_mb,
                                 const std::string& devices_xml, const std::string& metadata_xml = "");

}  // namespace pcipass
