#pragma once
// The Hypervisor port over libvirt's C API: one connection (qemu:///system on a host,
// test:///default in tests). libvirt's own error handler is silenced: each failure is
// returned with libvirt's message, classified by its error code (never by its text).
#include <memory>
#include <string>

#include "ports/hypervisor.h"

namespace pcipass {

class LibvirtHypervisor final : public Hypervisor {
 public:
  // Unavailable when the URI cannot be opened, with libvirt's reason.
  static Result<std::unique_ptr<LibvirtHypervisor>> connect(const std::string& uri);
  ~LibvirtHypervisor() override;
  LibvirtHypervisor(const LibvirtHypervisor&) = delete;
  LibvirtHypervisor& operator=(const LibvirtHypervisor&) = delete;

  Status define_and_start(const std::string& name, const std::string& domain_xml) override;
  Status destroy_and_undefine(const std::string& name) override;
  Result<DomainState> state(const std::string& name) override;

 private:
  struct Impl;
  explicit LibvirtHypervisor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pcipass
