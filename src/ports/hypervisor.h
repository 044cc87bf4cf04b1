#pragma once
// Port: the VM manager of a host, one domain per server by name (issue 12: the agent starts
// what the controller placed). Errors: InvalidArgument (the domain XML is refused: its
// message is the hypervisor's), NotFound (no such domain), Conflict (the domain is in a
// state that forbids the call), Unavailable (no connection), Io (anything else).
#include <string>

#include "core/error.h"

namespace pcipass {

enum class DomainState { Running, Paused, ShutOff, Other };

class Hypervisor {
 public:
  virtual ~Hypervisor() = default;
  // Defines the domain (replacing a definition of the same name that is not running) and
  // starts it. A domain that cannot start is left undefined, as before the call.
  virtual Status define_and_start(const std::string& name, const std::string& domain_xml) = 0;
  // Stops the domain if it runs (a hard stop: the devices must come back) and undefines it.
  virtual Status destroy_and_undefine(const std::string& name) = 0;
  virtual Result<DomainState> state(const std::string& name) = 0;
};

}  // namespace pcipass
