#include "server/http_api.h"

#include <httplib.h>

#include "server/requests.h"
#include "server/views.h"

namespace pcipass::server {
namespace {

// The answer for a typed result: its view, or the error's reply.
template <class T, class View>
Reply answer(const Result<T>& r, View&& view, int status = 200) {
  if (!r) return error_reply(r.error());
  return {status, view(*r)};
}

Reply no_content(const Status& st) { return st ? Reply{204, Json()} : error_reply(st.error()); }

Query query_of(const httplib::Request& req) { return Query(req.params.begin(), req.params.end()); }

}  // namespace

std::optional<std::string> bearer_token(std::string_view header) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size() || header.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view t = header.substr(kPrefix.size());
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\r' || t.back() == '\n')) t.remove_suffix(1);
  if (t.empty()) return std::nullopt;
  return std::string(t);
}

void HttpApi::route(httplib::Server& http, const char* method, const char* pattern, bool open, Handler handler) {
  auto serve = [this, open, handler](const httplib::Request& req, httplib::Response& res) {
    Reply reply;
    try {
      Principal who;
      std::optional<Error> refused;
      if (!open) {
        const std::string header = req.get_header_value("Authorization");
        auto secret = bearer_token(header);
        if (header.empty()) refused = Error(ErrorCode::Unauthenticated, "missing bearer token (Authorization: Bearer ...)");
        else if (!secret) refused = Error(ErrorCode::Unauthenticated, "malformed Authorization header: expected 'Bearer <token>'");
        else if (auto p = service_.authenticate(*secret); !p) refused = std::move(p).error();
        else who = std::move(*p);
      }
      reply = refused ? error_reply(*refused) : (this->*handler)(req, who);
    } catch (const std::exception& e) {
      reply = error_reply(Error(ErrorCode::Internal, std::string("internal error: ") + e.what()));
    }
    if (reply.status == 401) res.set_header("WWW-Authenticate", "Bearer");
    res.status = reply.status;
    if (reply.status != 204) res.set_content(reply.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", "application/json");
  };
  const std::string m = method;
  if (m == "GET") http.Get(pattern, serve);
  else if (m == "POST") http.Post(pattern, serve);
  else if (m == "PUT") http.Put(pattern, serve);
  else if (m == "PATCH") http.Patch(pattern, serve);
  else if (m == "DELETE") http.Delete(pattern, serve);
}

void HttpApi::mount(httplib::Server& http) {
  http.set_payload_max_length(options_.max_body_bytes);
  http.set_keep_alive_max_count(100000);
  http.set_tcp_nodelay(true);
  const size_t limit = options_.max_body_bytes;
  http.set_error_handler(httplib::Server::HandlerWithResponse([limit](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    Reply r = res.status == 413   ? transport_error(413, "PayloadTooLarge", "request body is larger than " + std::to_string(limit) + " bytes")
              : res.status == 404 ? transport_error(404, "NotFound", "no such resource: " + req.method + " " + req.path)
              : res.status == 405 ? transport_error(405, "MethodNotAllowed", req.method + " is not allowed on " + req.path)
                                  : transport_error(res.status, "HttpError", "HTTP error " + std::to_string(res.status));
    res.set_content(r.body.dump() + "\n", "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
  const char* host = R"(/v1/hosts/([^/]+))";
  route(http, "GET", "/v1", true, &HttpApi::version);
  route(http, "GET", "/v1/hosts", false, &HttpApi::list_hosts);
  route(http, "PUT", host, false, &HttpApi::put_host);
  route(http, "GET", host, false, &HttpApi::show_host);
  route(http, "GET", "/v1/devices", false, &HttpApi::list_devices);
  route(http, "GET", R"(/v1/hosts/([^/]+)/devices/([^/]+))", false, &HttpApi::show_device);
  route(http, "GET", "/v1/aliases", false, &HttpApi::list_aliases);
  route(http, "GET", "/v1/config", false, &HttpApi::show_config);
  route(http, "POST", "/v1/config/reload", false, &HttpApi::reload_config);
  route(http, "POST", "/v1/flavors", false, &HttpApi::create_flavor);
  route(http, "GET", "/v1/flavors", false, &HttpApi::list_flavors);
  route(http, "GET", R"(/v1/flavors/([^/]+))", false, &HttpApi::show_flavor);
  route(http, "PATCH", R"(/v1/flavors/([^/]+))", false, &HttpApi::update_flavor);
  route(http, "POST", "/v1/servers", false, &HttpApi::create_server);
  route(http, "GET", "/v1/servers", false, &HttpApi::list_servers);
  route(http, "GET", R"(/v1/servers/([^/]+))", false, &HttpApi::show_server);
  route(http, "DELETE", R"(/v1/servers/([^/]+))", false, &HttpApi::delete_server);
  route(http, "GET", "/v1/explain", false, &HttpApi::explain);
  route(http, "GET", "/v1/capacity", false, &HttpApi::capacity);
  route(http, "GET", "/v1/health", false, &HttpApi::health);
  route(http, "POST", "/v1/tokens", false, &HttpApi::create_token);
  route(http, "GET", "/v1/tokens", false, &HttpApi::list_tokens);
  route(http, "DELETE", R"(/v1/tokens/([^/]+))", false, &HttpApi::delete_token);
}

Reply HttpApi::version(const httplib::Request&, const Principal&) { return {200, version_json(service_.host_count())}; }

Reply HttpApi::put_host(const httplib::Request& req, const Principal& who) {
  auto report = host_report(req.body, req.matches[1]);
  if (!report) return error_reply(report.error());
  auto r = service_.report_host(who, std::move(*report));
  return answer(r, report_json, r && r->created ? 201 : 200);
}

Reply HttpApi::list_hosts(const httplib::Request&, const Principal& who) { return answer(service_.list_hosts(who), hosts_json); }

Reply HttpApi::show_host(const httplib::Request& req, const Principal& who) { return answer(service_.show_host(who, req.matches[1]), host_json); }

Reply HttpApi::list_devices(const httplib::Request& req, const Principal& who) {
  auto filter = device_filter(query_of(req));
  if (!filter) return error_reply(filter.error());
  return answer(service_.list_devices(who, *filter), devices_json);
}

Reply HttpApi::show_device(const httplib::Request& req, const Principal& who) {
  auto address = PciAddress::parse(req.matches[2].str());
  if (!address) return error_reply(std::move(address).error().within("address"));
  return answer(service_.show_device(who, req.matches[1], *address), device_json);
}

Reply HttpApi::list_aliases(const httplib::Request&, const Principal& who) { return answer(service_.list_aliases(who), aliases_json); }

Reply HttpApi::show_config(const httplib::Request&, const Principal& who) { return answer(service_.show_config(who), config_json); }

Reply HttpApi::reload_config(const httplib::Request&, const Principal& who) { return answer(service_.reload_config(who), config_json); }

Reply HttpApi::create_flavor(const httplib::Request& req, const Principal& who) {
  auto flavor = new_flavor(req.body);
  if (!flavor) return error_reply(flavor.error());
  return answer(service_.create_flavor(who, std::move(*flavor)), flavor_json, 201);
}

Reply HttpApi::list_flavors(const httplib::Request&, const Principal& who) { return answer(service_.list_flavors(who), flavors_json); }

Reply HttpApi::show_flavor(const httplib::Request& req, const Principal& who) { return answer(service_.show_flavor(who, req.matches[1]), flavor_json); }

Reply HttpApi::update_flavor(const httplib::Request& req, const Principal& who) {
  auto update = flavor_update(req.body, req.matches[1]);
  if (!update) return error_reply(update.error());
  return answer(service_.update_flavor(who, *update), flavor_json);
}

Reply HttpApi::create_server(const httplib::Request& req, const Principal& who) {
  auto request = new_server(req.body);
  if (!request) return error_reply(request.error());
  auto placed = service_.create_server(who, *request);
  if (!placed) return error_reply(placed.error());
  auto j = server_json(*placed);
  if (!j) return error_reply(j.error());
  return {201, std::move(*j)};
}

Reply HttpApi::list_servers(const httplib::Request& req, const Principal& who) {
  auto host = query_value(query_of(req), "host", {"host"});
  if (!host) return error_reply(host.error());
  return answer(service_.list_servers(who, *host), servers_json);
}

Reply HttpApi::show_server(const httplib::Request& req, const Principal& who) {
  auto shown = service_.show_server(who, req.matches[1]);
  if (!shown) return error_reply(shown.error());
  auto j = server_json(*shown);
  if (!j) return error_reply(j.error());
  return {200, std::move(*j)};
}

Reply HttpApi::delete_server(const httplib::Request& req, const Principal& who) { return no_content(service_.delete_server(who, req.matches[1])); }

Reply HttpApi::explain(const httplib::Request& req, const Principal& who) {
  const auto q = query_of(req);
  auto flavor = query_value(q, "flavor", {"flavor", "host"});
  if (!flavor) return error_reply(flavor.error());
  if (!*flavor) return error_reply(std::move(invalid("explain needs ?flavor=NAME").within("flavor")));
  auto host = query_value(q, "host", {"flavor", "host"});
  if (!host) return error_reply(host.error());
  return answer(service_.explain(who, **flavor, *host), explanation_json);
}

Reply HttpApi::capacity(const httplib::Request& req, const Principal& who) {
  auto host = query_value(query_of(req), "host", {"host"});
  if (!host) return error_reply(host.error());
  return answer(service_.capacity(who, *host), capacity_json);
}

Reply HttpApi::health(const httplib::Request&, const Principal& who) { return answer(service_.health(who), health_json); }

Reply HttpApi::create_token(const httplib::Request& req, const Principal& who) {
  auto request = new_token(req.body);
  if (!request) return error_reply(request.error());
  return answer(service_.create_token(who, *request), issued_token_json, 201);
}

Reply HttpApi::list_tokens(const httplib::Request&, const Principal& who) { return answer(service_.list_tokens(who), tokens_json); }

Reply HttpApi::delete_token(const httplib::Request& req, const Principal& who) { return no_content(service_.delete_token(who, req.matches[1])); }

}  // namespace pcipass::server
