#pragma once
// The ControllerLink over the REST API: GET /v1/hosts/H/assignments (a long poll),
// PUT /v1/hosts/H, POST /v1/servers/ID/outcome.
#include <memory>
#include <string>

#include "adapters/api_client/api_client.h"
#include "ports/controller_link.h"

namespace pcipass {

class HttpControllerLink final : public ControllerLink {
 public:
  HttpControllerLink(ApiEndpoint endpoint, std::string host);
  Result<HostWork> assignments(std::optional<uint64_t> after, uint32_t wait_s) override;
  Status report(const HostReport& report) override;
  Status outcome(const std::string& server, AgentOutcome outcome, const std::string& step, const std::string& message) override;

 private:
  std::string host_;
  ApiClient calls_;  // reports and outcomes
  ApiClient watch_;  // the long poll, on a connection of its own
};

// The assignments answer's JSON as HostWork; errors name the field.
Result<HostWork> parse_host_work(const nlohmann::ordered_json& body);

}  // namespace pcipass
