#pragma once
// The REST API under /v1 (docs/api.md) over a Service: routing, the bearer token, body
// parsing and views, and nothing else; HttpServer carries the bytes. Every answer is
// JSON; every error has the body of error_reply(). GET /v1 (version discovery) is the
// one call without a token.
#include <cstddef>
#include <string>
#include <vector>

#include "controller/service.h"
#include "server/http_server.h"
#include "server/metrics_text.h"

namespace pcipass::server {

struct Reply;

// The longest an agent's watch of its assignments is held (?wait=SECONDS).
inline constexpr uint64_t kMaxWatchSeconds = 300;

struct HttpOptions {
  size_t max_body_bytes = 8u << 20;
  // GET /metrics without a token (the operator's choice: a scraper on a trusted
  // network); else it needs a token that sees the fleet.
  bool metrics_open = false;
  BuildInfo build = {};
};

class HttpApi {
 public:
  HttpApi(Service& service, HttpOptions options);
  // The HttpServer's handler: one request, one answer.
  HttpResponse handle(const HttpRequest& request);
  // What the HttpServer answers for what it refuses itself.
  HttpErrorBodies error_bodies() const;
  const HttpOptions& options() const { return options_; }
  // Counts an answered request for /metrics (the HttpServer's on_answered).
  void record(const AnsweredRequest& request) { http_metrics_.record(request); }

 private:
  // A matched request: the path's `{}` segments, decoded, in order.
  struct Call {
    const HttpRequest& http;
    std::vector<std::string> params;
  };
  using Handler = Reply (HttpApi::*)(const Call&, const Principal&);
  struct Route {
    std::string method;
    std::vector<std::string> segments;  // "{}" matches any one segment
    bool open;                          // answered without a token
    Handler handler;
    std::string pattern;                // "/v1/servers/{}"
  };
  void route(const char* method, const char* pattern, bool open, Handler handler);
  // `caller`: the token's name, once it is known.
  Reply serve(const Route& route, const Call& call, std::string& caller);

  Reply version(const Call&, const Principal&);
  Reply metrics(const Call&, const Principal&);
  Reply put_host(const Call&, const Principal&);
  Reply list_hosts(const Call&, const Principal&);
  Reply show_host(const Call&, const Principal&);
  Reply lock_host(const Call&, const Principal&);
  Reply unlock_host(const Call&, const Principal&);
  Reply list_host_interfaces(const Call&, const Principal&);
  Reply set_host_interface(const Call&, const Principal&);
  Reply list_devices(const Call&, const Principal&);
  Reply show_device(const Call&, const Principal&);
  Reply list_aliases(const Call&, const Principal&);
  Reply show_config(const Call&, const Principal&);
  Reply reload_config(const Call&, const Principal&);
  Reply create_flavor(const Call&, const Principal&);
  Reply list_flavors(const Call&, const Principal&);
  Reply show_flavor(const Call&, const Principal&);
  Reply update_flavor(const Call&, const Principal&);
  Reply create_server(const Call&, const Principal&);
  Reply list_servers(const Call&, const Principal&);
  Reply show_server(const Call&, const Principal&);
  Reply delete_server(const Call&, const Principal&);
  Reply server_outcome(const Call&, const Principal&);
  Reply host_assignments(const Call&, const Principal&);
  Reply explain(const Call&, const Principal&);
  Reply capacity(const Call&, const Principal&);
  Reply health(const Call&, const Principal&);
  Reply create_token(const Call&, const Principal&);
  Reply list_tokens(const Call&, const Principal&);
  Reply delete_token(const Call&, const Principal&);
  // http_api_tenancy.cc
  Reply create_project(const Call&, const Principal&);
  Reply list_projects(const Call&, const Principal&);
  Reply show_project(const Call&, const Principal&);
  Reply delete_project(const Call&, const Principal&);
  Reply show_quotas(const Call&, const Principal&);
  Reply set_quotas(const Call&, const Principal&);
  Reply create_network(const Call&, const Principal&);
  Reply list_networks(const Call&, const Principal&);
  Reply show_network(const Call&, const Principal&);
  Reply delete_network(const Call&, const Principal&);
  Reply create_port(const Call&, const Principal&);
  Reply list_ports(const Call&, const Principal&);
  Reply show_port(const Call&, const Principal&);
  Reply delete_port(const Call&, const Principal&);

  Service& service_;
  HttpOptions options_;
  HttpMetrics http_metrics_;
  std::vector<Route> routes_;
};

// The token of an "Authorization: Bearer <token>" header value; nullopt if malformed.
std::optional<std::string> bearer_token(std::string_view header);

}  // namespace pcipass::server
