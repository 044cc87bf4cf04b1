#include "adapters/libvirt/libvirt_hypervisor.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

namespace pcipass {
namespace {

void silent(void*, virErrorPtr) {}

// The last libvirt error of this thread as a typed Error: `what` says what was tried.
Error last_error(const std::string& what) {
  virErrorPtr e = virGetLastError();
  if (!e) return Error(ErrorCode::Io, what + ": libvirt failed without saying why");
  std::string message = what + ": " + (e->message ? e->message : "libvirt error " + std::to_string(e->code));
  ErrorCode code = ErrorCode::Io;
  switch (e->code) {
    case VIR_ERR_NO_DOMAIN:
      code = ErrorCode::NotFound;
      break;
    case VIR_ERR_XML_ERROR:
    case VIR_ERR_XML_DETAIL:
    case VIR_ERR_XML_INVALID_SCHEMA:
    case VIR_ERR_CONFIG_UNSUPPORTED:
    case VIR_ERR_INVALID_ARG:
      code = ErrorCode::InvalidArgument;
      break;
    case VIR_ERR_OPERATION_INVALID:
    case VIR_ERR_OPERATION_DENIED:
      code = ErrorCode::Conflict;
      break;
    case VIR_ERR_NO_CONNECT:
    case VIR_ERR_INVALID_CONN:
    case VIR_ERR_RPC:
      code = ErrorCode::Unavailable;
      break;
    default:
      break;
  }
  virResetLastError();
  return Error(code, std::move(message));
}

struct DomainHandle {
  virDomainPtr d = nullptr;
  ~DomainHandle() {
    if (d) virDomainFree(d);
  }
};

}  // namespace

struct LibvirtHypervisor::Impl {
  virConnectPtr conn = nullptr;
  ~Impl() {
    if (conn) virConnectClose(conn);
  }
};

LibvirtHypervisor::LibvirtHypervisor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LibvirtHypervisor::~LibvirtHypervisor() = default;

Result<std::unique_ptr<LibvirtHypervisor>> LibvirtHypervisor::connect(const std::string& uri) {
  virSetErrorFunc(nullptr, silent);
  auto impl = std::make_unique<Impl>();
  impl->conn = virConnectOpen(uri.c_str());
  if (!impl->conn) {
    Error e = last_error("connect to " + uri);
    return Error(ErrorCode::Unavailable, e.message());
  }
  virConnSetErrorFunc(impl->conn, nullptr, silent);
  return std::unique_ptr<LibvirtHypervisor>(new LibvirtHypervisor(std::move(impl)));
}

Status LibvirtHypervisor::define_and_start(const std::string& name, const std::string& domain_xml) {
  {
    DomainHandle running;
    running.d = virDomainLookupByName(impl_->conn, name.c_str());
    virResetLastError();
    if (running.d && virDomainIsActive(running.d) == 1) return Error(ErrorCode::Conflict, "domain " + name + " is already running");
  }
  DomainHandle h;
  h.d = virDomainDefineXML(impl_->conn, domain_xml.c_str());
  if (!h.d) return last_error("define domain " + name);
  if (const char* defined = virDomainGetName(h.d); !defined || name != defined) {
    const std::string got = defined ? defined : "?";
    virDomainUndefine(h.d);
    return invalid("define domain " + name + ": the XML names it " + got);
  }
  if (virDomainCreate(h.d) < 0) {
    Error e = last_error("start domain " + name);
    virDomainUndefine(h.d);
    virResetLastError();
    return e;
  }
  return Unit{};
}

Status LibvirtHypervisor::destroy_and_undefine(const std::string& name) {
  DomainHandle h;
  h.d = virDomainLookupByName(impl_->conn, name.c_str());
  if (!h.d) return last_error("look up domain " + name);
  if (virDomainIsActive(h.d) == 1 && virDomainDestroy(h.d) < 0) return last_error("stop domain " + name);
  // Its managed save image, snapshot metadata and UEFI variables go with it (a driver that
  // knows no NVRAM, as the test driver, is asked again without that flag).
  const unsigned base = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA;
  if (virDomainUndefineFlags(h.d, base | VIR_DOMAIN_UNDEFINE_NVRAM) < 0) {
    virResetLastError();
    if (virDomainUndefineFlags(h.d, base) < 0) return last_error("undefine domain " + name);
  }
  return Unit{};
}

Result<DomainState> LibvirtHypervisor::state(const std::string& name) {
  DomainHandle h;
  h.d = virDomainLookupByName(impl_->conn, name.c_str());
  if (!h.d) return last_error("look up domain " + name);
  int state = 0, reason = 0;
  if (virDomainGetState(h.d, &state, &reason, 0) < 0) return last_error("state of domain " + name);
  switch (state) {
    case VIR_DOMAIN_RUNNING: return DomainState::Running;
    case VIR_DOMAIN_PAUSED: return DomainState::Paused;
    case VIR_DOMAIN_SHUTOFF: return DomainState::ShutOff;
    default: return DomainState::Other;
  }
}

}  // namespace pcipass
