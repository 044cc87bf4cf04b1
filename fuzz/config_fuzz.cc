// libFuzzer target: the controller's untrusted text inputs. The first byte picks one:
// a nova.conf-style file ([pci] device_spec/alias through the INI and JSON parsers), or
// an agent's host report (the one JSON reader and the host-report codec). Bad input must only produce an error.
#include <cstdint>
#include <string>

#include "adapters/json/nova_conf.h"
#include "adapters/json/config_value_json.h"
#include "core/host_report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pcipass;
  if (size < 1 || size > 64 * 1024) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto c = parse_nova_pci_config(text, "fuzz.conf");
    if (!c) (void)c.error().describe();
  } else {
    auto body = parse_json(text);
    if (!body) return 0;
    auto h = parse_host_report(*body);
    if (!h) (void)h.error().describe();
    else (void)host_report_value(*h).to_json();
  }
  return 0;
}
