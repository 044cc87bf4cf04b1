#pragma once
// The REST API under /v1 (docs/api.md) over a Service: routing, the bearer token, body
// parsing and views, and nothing else. Every answer is JSON; every error has the body
// of error_reply(). GET /v1 (version discovery) is the one call without a token.
#include <cstddef>

#include "controller/service.h"

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace pcipass::server {

struct Reply;

struct HttpOptions {
  size_t max_body_bytes = 8u << 20;
};

class HttpApi {
 public:
  HttpApi(Service& service, HttpOptions options) : service_(service), options_(options) {}
  void mount(httplib::Server& http);

 private:
  using Handler = Reply (HttpApi::*)(const httplib::Request&, const Principal&);
  void route(httplib::Server& http, const char* method, const char* pattern, bool open, Handler handler);

  Reply version(const httplib::Request&, const Principal&);
  Reply put_host(const httplib::Request&, const Principal&);
  Reply list_hosts(const httplib::Request&, const Principal&);
  Reply show_host(const httplib::Request&, const Principal&);
  Reply list_devices(const httplib::Request&, const Principal&);
  Reply show_device(const httplib::Request&, const Principal&);
  Reply list_aliases(const httplib::Request&, const Principal&);
  Reply show_config(const httplib::Request&, const Principal&);
  Reply reload_config(const httplib::Request&, const Principal&);
  Reply create_flavor(const httplib::Request&, const Principal&);
  Reply list_flavors(const httplib::Request&, const Principal&);
  Reply show_flavor(const httplib::Request&, const Principal&);
  Reply update_flavor(const httplib::Request&, const Principal&);
  Reply create_server(const httplib::Request&, const Principal&);
  Reply list_servers(const httplib::Request&, const Principal&);
  Reply show_server(const httplib::Request&, const Principal&);
  Reply delete_server(const httplib::Request&, const Principal&);
  Reply explain(const httplib::Request&, const Principal&);
  Reply capacity(const httplib::Request&, const Principal&);
  Reply health(const httplib::Request&, const Principal&);
  Reply create_token(const httplib::Request&, const Principal&);
  Reply list_tokens(const httplib::Request&, const Principal&);
  Reply delete_token(const httplib::Request&, const Principal&);

  Service& service_;
  HttpOptions options_;
};

// The token of an "Authorization: Bearer <token>" header value; nullopt if malformed.
std::optional<std::string> bearer_token(std::string_view header);

}  // namespace pcipass::server
