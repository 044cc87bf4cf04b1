#pragma once
// Why a host cannot take an instance: the first reason, as a closed kind (and the
// request it concerns), which general words describe for a group of hosts; the
// specific words for one host come from explain_host.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/alias.h"
#include "core/extra_specs.h"

namespace pcipass {

enum class RefusalKind : uint8_t {
  Locked,         // its operator locked it
  Blocked,        // what it holds breaks a rule
  Unready,        // it cannot do passthrough
  Vcpus,          // not enough free vCPUs
  Memory,         // not enough free memory
  NoDevice,       // no device of the request's alias at all
  TooFewFree,     // too few of them free
  NumaPolicy,     // too few free where the request's NUMA policy allows
  NumaCellCount,  // fewer NUMA cells than the instance has
  NumaRoom,       // no NUMA cells with room for the instance's cells
  Together,       // each request alone fits, not all of them at once
};

struct Refusal {
  RefusalKind kind = RefusalKind::Together;
  uint32_t request = 0;  // NoDevice, TooFewFree, NumaPolicy: index into InstanceShape::pci
  bool operator==(const Refusal&) const = default;
};

// Every kind, and its name for counting ("too_few_free"): a closed set.
inline constexpr RefusalKind kRefusalKinds[] = {RefusalKind::Locked,     RefusalKind::Blocked,   RefusalKind::Unready,
                                                RefusalKind::Vcpus,      RefusalKind::Memory,    RefusalKind::NoDevice,
                                                RefusalKind::TooFewFree, RefusalKind::NumaPolicy, RefusalKind::NumaCellCount,
                                                RefusalKind::NumaRoom,   RefusalKind::Together};
const char* kind_name(RefusalKind kind);

// General words for a refusal of this shape: no per-host counts, the same on every host.
std::string describe(const Refusal& refusal, const InstanceShape& shape);

// RefusalGroup (error.h): hosts refused for one reason, described in these words.

}  // namespace pcipass
