#pragma once
// Test helpers for core tests (which link nothing but core and GoogleTest).
#include <string_view>

#include "core/config_value.h"
#include "core/device.h"
#include "core/extra_specs.h"
#include "core/fleet.h"
#include "core/scenario.h"

namespace pcipass::testing {

// Parses a JSON literal written in a test; aborts the test binary on malformed input.
ConfigValue J(std::string_view json);

// Builds a fleet from a scenario JSON literal (hosts, device_spec, alias).
struct TestFleet {
  Scenario scenario;
  std::unique_ptr<Fleet> fleet;
  InstanceShape shape(std::string_view extra_specs_json, uint32_t vcpus = 1, uint64_t memory_mb = 512) const;
};
TestFleet make_fleet(std::string_view scenario_json);

DeviceFacts device(std::string_view address, std::string_view vendor, std::string_view product);

}  // namespace pcipass::testing
