#include "server/http_api.h"

#include "server/metrics_text.h"

#include "server/api_replies.h"
#include "server/requests.h"
#include "server/views.h"

namespace pcipass::server {
namespace {


const Query& query_of(const HttpRequest& req) { return req.query; }

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

HttpApi::HttpApi(Service& service, HttpOptions options) : service_(service), options_(options) {
  route("GET", "/v1", true, &HttpApi::version);
  route("GET", "/metrics", options_.metrics_open, &HttpApi::metrics);
  route("GET", "/v1/hosts", false, &HttpApi::list_hosts);
  route("PUT", "/v1/hosts/{}", false, &HttpApi::put_host);
  route("GET", "/v1/hosts/{}", false, &HttpApi::show_host);
  route("POST", "/v1/hosts/{}/lock", false, &HttpApi::lock_host);
  route("POST", "/v1/hosts/{}/unlock", false, &HttpApi::unlock_host);
  route("GET", "/v1/hosts/{}/interfaces", false, &HttpApi::list_host_interfaces);
  route("PUT", "/v1/hosts/{}/interfaces/{}", false, &HttpApi::set_host_interface);
  route("GET", "/v1/devices", false, &HttpApi::list_devices);
  route("GET", "/v1/hosts/{}/devices/{}", false, &HttpApi::show_device);
  route("GET", "/v1/aliases", false, &HttpApi::list_aliases);
  route("GET", "/v1/config", false, &HttpApi::show_config);
  route("POST", "/v1/config/reload", false, &HttpApi::reload_config);
  route("POST", "/v1/flavors", false, &HttpApi::create_flavor);
  route("GET", "/v1/flavors", false, &HttpApi::list_flavors);
  route("GET", "/v1/flavors/{}", false, &HttpApi::show_flavor);
  route("PATCH", "/v1/flavors/{}", false, &HttpApi::update_flavor);
  route("POST", "/v1/servers", false, &HttpApi::create_server);
  route("GET", "/v1/servers", false, &HttpApi::list_servers);
  route("GET", "/v1/servers/{}", false, &HttpApi::show_server);
  route("DELETE", "/v1/servers/{}", false, &HttpApi::delete_server);
  route("POST", "/v1/servers/{}/outcome", false, &HttpApi::server_outcome);
  route("GET", "/v1/hosts/{}/assignments", false, &HttpApi::host_assignments);
  route("GET", "/v1/explain", false, &HttpApi::explain);
  route("GET", "/v1/capacity", false, &HttpApi::capacity);
  route("GET", "/v1/health", false, &HttpApi::health);
  route("POST", "/v1/tokens", false, &HttpApi::create_token);
  route("GET", "/v1/tokens", false, &HttpApi::list_tokens);
  route("DELETE", "/v1/tokens/{}", false, &HttpApi::delete_token);
  route("POST", "/v1/projects", false, &HttpApi::create_project);
  route("GET", "/v1/projects", false, &HttpApi::list_projects);
  route("GET", "/v1/projects/{}", false, &HttpApi::show_project);
  route("DELETE", "/v1/projects/{}", false, &HttpApi::delete_project);
  route("GET", "/v1/projects/{}/quotas", false, &HttpApi::show_quotas);
  route("PUT", "/v1/projects/{}/quotas", false, &HttpApi::set_quotas);
  route("POST", "/v1/networks", false, &HttpApi::create_network);
  route("GET", "/v1/networks", false, &HttpApi::list_networks);
  route("GET", "/v1/networks/{}", false, &HttpApi::show_network);
  route("DELETE", "/v1/networks/{}", false, &HttpApi::delete_network);
  route("POST", "/v1/ports", false, &HttpApi::create_port);
  route("GET", "/v1/ports", false, &HttpApi::list_ports);
  route("GET", "/v1/ports/{}", false, &HttpApi::show_port);
  route("DELETE", "/v1/ports/{}", false, &HttpApi::delete_port);
}

void HttpApi::route(const char* method, const char* pattern, bool open, Handler handler) {
  Route r{method, {}, open, handler, pattern};
  std::string_view rest(pattern);
  while (!rest.empty()) {
    rest.remove_prefix(1);  // the '/'
    const size_t slash = rest.find('/');
    r.segments.emplace_back(rest.substr(0, slash));
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  routes_.push_back(std::move(r));
}

namespace {
HttpResponse to_http(const Reply& reply) {
  HttpResponse out;
  out.status = reply.status;
  out.poll = reply.poll;
  if (reply.poll) return out;
  if (reply.status != 204)
    out.body = reply.text.empty() ? reply.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
               : reply.content_type.empty() ? reply.text + "\n"
                                            : reply.text;
  if (reply.status == 401) out.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (!reply.content_type.empty()) out.headers.emplace_back("Content-Type", reply.content_type);
  return out;
}
}  // namespace

HttpErrorBodies HttpApi::error_bodies() const {
  return {[](int status, const std::string& message) {
    const char* code = status == 413 ? "PayloadTooLarge" : status == 431 ? "HeadersTooLarge" : status == 400 ? "InvalidArgument"
                       : status == 503 ? "Unavailable" : status >= 500 ? "Internal" : "HttpError";
    return to_http(transport_error(status, code, message));
  }};
}

HttpResponse HttpApi::handle(const HttpRequest& request) {
  std::vector<std::string> segments;
  std::string_view rest(request.path);
  while (!rest.empty() && rest.front() == '/') {
    rest.remove_prefix(1);
    const size_t slash = rest.find('/');
    segments.push_back(url_decode(rest.substr(0, slash), false));
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  }
  bool path_known = false;
  for (const Route& r : routes_) {
    if (r.segments.size() != segments.size()) continue;
    Call call{request, {}};
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      if (r.segments[i] == "{}") call.params.push_back(segments[i]);
      else match = r.segments[i] == segments[i];
    }
    if (!match) continue;
    path_known = true;
    if (r.method != request.method) continue;
    std::string caller;
    HttpResponse out = to_http(serve(r, call, caller));
    out.caller = std::move(caller);
    out.route = r.pattern;
    return out;
  }
  if (path_known) return to_http(transport_error(405, "MethodNotAllowed", request.method + " is not allowed on " + request.path));
  return to_http(transport_error(404, "NotFound", "no such resource: " + request.method + " " + request.path));
}

Reply HttpApi::serve(const Route& r, const Call& call, std::string& caller) {
  try {
    Principal who;
    if (!r.open) {
      auto secret = bearer_token(call.http.authorization);
      if (call.http.authorization.empty()) return error_reply(Error(ErrorCode::Unauthenticated, "missing bearer token (Authorization: Bearer ...)"));
      if (!secret) return error_reply(Error(ErrorCode::Unauthenticated, "malformed Authorization header: expected 'Bearer <token>'"));
      auto p = service_.authenticate(*secret);
      if (!p) return error_reply(p.error());
      who = std::move(*p);
      caller = who.name;
    }
    return (this->*r.handler)(call, who);
  } catch (const std::exception& e) {
    return error_reply(Error(ErrorCode::Internal, std::string("internal error: ") + e.what()));
  }
}

Reply HttpApi::metrics(const Call&, const Principal& who) {
  auto m = service_.metrics(who);
  if (!m) return error_reply(m.error());
  Reply out(200, metrics_text(*m, http_metrics_.snapshot(), options_.build));
  out.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return out;
}

Reply HttpApi::version(const Call&, const Principal&) { return {200, version_json(service_.host_count())}; }

Reply HttpApi::put_host(const Call& call, const Principal& who) {
  auto report = host_report(call.http.body, call.params[0]);
  if (!report) return error_reply(report.error());
  auto r = service_.report_host(who, std::move(*report));
  return answer(r, report_json, r && r->created ? 201 : 200);
}

Reply HttpApi::list_hosts(const Call&, const Principal& who) { return answer(service_.list_hosts(who), hosts_json); }

Reply HttpApi::show_host(const Call& call, const Principal& who) { return answer(service_.show_host(who, call.params[0]), host_json); }

Reply HttpApi::lock_host(const Call& call, const Principal& who) { return answer(service_.lock_host(who, call.params[0], true), summary_json); }

Reply HttpApi::unlock_host(const Call& call, const Principal& who) {
  return answer(service_.lock_host(who, call.params[0], false), summary_json);
}

Reply HttpApi::list_devices(const Call& call, const Principal& who) {
  auto filter = device_filter(query_of(call.http));
  if (!filter) return error_reply(filter.error());
  return answer(service_.list_devices(who, *filter), devices_json);
}

Reply HttpApi::show_device(const Call& call, const Principal& who) {
  auto address = PciAddress::parse(call.params[1]);
  if (!address) return error_reply(std::move(address).error().within("address"));
  return answer(service_.show_device(who, call.params[0], *address), device_json);
}

Reply HttpApi::list_aliases(const Call&, const Principal& who) { return answer(service_.list_aliases(who), aliases_json); }

Reply HttpApi::show_config(const Call&, const Principal& who) { return answer(service_.show_config(who), config_json); }

Reply HttpApi::reload_config(const Call&, const Principal& who) { return answer(service_.reload_config(who), config_json); }

Reply HttpApi::create_flavor(const Call& call, const Principal& who) {
  auto flavor = new_flavor(call.http.body);
  if (!flavor) return error_reply(flavor.error());
  return answer(service_.create_flavor(who, std::move(*flavor)), flavor_json, 201);
}

Reply HttpApi::list_flavors(const Call&, const Principal& who) { return answer(service_.list_flavors(who), flavors_json); }

Reply HttpApi::show_flavor(const Call& call, const Principal& who) { return answer(service_.show_flavor(who, call.params[0]), flavor_json); }

Reply HttpApi::update_flavor(const Call& call, const Principal& who) {
  auto update = flavor_update(call.http.body, call.params[0]);
  if (!update) return error_reply(update.error());
  return answer(service_.update_flavor(who, *update), flavor_json);
}

Reply HttpApi::create_server(const Call& call, const Principal& who) {
  auto request = new_server(call.http.body);
  if (!request) return error_reply(request.error());
  auto placed = service_.create_server(who, *request);
  if (!placed) return error_reply(placed.error());
  auto j = server_json(*placed);
  if (!j) return error_reply(j.error());
  return {201, std::move(*j)};
}

Reply HttpApi::list_servers(const Call& call, const Principal& who) {
  auto host = query_value(query_of(call.http), "host", {"host"});
  if (!host) return error_reply(host.error());
  return answer(service_.list_servers(who, *host), servers_json);
}

Reply HttpApi::show_server(const Call& call, const Principal& who) {
  auto shown = service_.show_server(who, call.params[0]);
  if (!shown) return error_reply(shown.error());
  auto j = server_json(*shown);
  if (!j) return error_reply(j.error());
  return {200, std::move(*j)};
}

Reply HttpApi::delete_server(const Call& call, const Principal& who) {
  auto force = query_flag(query_of(call.http), "force", {"force"});
  if (!force) return error_reply(force.error());
  auto r = service_.delete_server(who, call.params[0], *force);
  if (!r) return error_reply(r.error());
  if (r->released) return {204, Json()};
  // Accepted: its host's agent restores its devices, then it is gone.
  return {202, Json{{"id", call.params[0]}, {"status", to_string(r->status)}}};
}

Reply HttpApi::server_outcome(const Call& call, const Principal& who) {
  auto outcome = pcipass::server::server_outcome(call.http.body, call.params[0]);
  if (!outcome) return error_reply(outcome.error());
  auto r = service_.server_outcome(who, *outcome);
  if (!r) return error_reply(r.error());
  if (!*r) return {204, Json()};  // restored: gone
  auto j = server_json(**r);
  if (!j) return error_reply(j.error());
  return {200, std::move(*j)};
}

Reply HttpApi::host_assignments(const Call& call, const Principal& who) {
  const auto& q = query_of(call.http);
  auto after = query_number(q, "after", UINT64_MAX, {"after", "wait"});
  if (!after) return error_reply(after.error());
  auto wait = query_number(q, "wait", kMaxWatchSeconds, {"after", "wait"});
  if (!wait) return error_reply(wait.error());
  const std::string host = call.params[0];
  auto now = service_.host_assignments(who, host);
  if (!now) return error_reply(now.error());
  if (!*after || **after != now->generation || !*wait || !**wait) {
    auto j = assignments_json(*now);
    if (!j) return error_reply(j.error());
    return {200, std::move(*j)};
  }
  // Nothing new since `after`: held until the host moves or the wait ends.
  Service* service = &service_;
  auto watch = std::make_shared<std::optional<uint64_t>>();
  auto poll = std::make_shared<LongPoll>();
  poll->wait = std::chrono::seconds(**wait);
  poll->subscribe = [service, host, since = **after, watch](std::function<void()> wake) {
    *watch = service->watch_host(host, since, wake);
    if (!*watch) wake();  // it moved meanwhile
  };
  poll->cancel = [service, watch] {
    if (*watch) service->unwatch(**watch);
  };
  poll->answer = [service, who, host, watch] {
    if (*watch) service->unwatch(**watch);
    auto r = service->host_assignments(who, host);
    if (!r) return to_http(error_reply(r.error()));
    auto j = assignments_json(*r);
    if (!j) return to_http(error_reply(j.error()));
    return to_http(Reply{200, std::move(*j)});
  };
  Reply held;
  held.poll = std::move(poll);
  return held;
}

Reply HttpApi::explain(const Call& call, const Principal& who) {
  const auto q = query_of(call.http);
  const std::initializer_list<const char*> keys = {"flavor", "host", "per_host", "limit", "marker"};
  auto flavor = query_value(q, "flavor", keys);
  if (!flavor) return error_reply(flavor.error());
  if (!*flavor) return error_reply(std::move(invalid("explain needs ?flavor=NAME").within("flavor")));
  auto host = query_value(q, "host", keys);
  if (!host) return error_reply(host.error());
  auto per_host = query_flag(q, "per_host", keys);
  if (!per_host) return error_reply(per_host.error());
  auto limit = query_number(q, "limit", 10000, keys);
  if (!limit) return error_reply(limit.error());
  if (*limit && **limit == 0) return error_reply(std::move(invalid("a page holds from 1 to 10000 hosts").within("limit")));
  auto marker = query_value(q, "marker", keys);
  if (!marker) return error_reply(marker.error());
  Controller::ExplainQuery query;
  query.host = *host;
  query.per_host = *per_host;
  if (*limit) query.limit = static_cast<size_t>(**limit);
  if (*marker) query.marker = **marker;
  return answer(service_.explain(who, **flavor, query), explanation_json);
}

Reply HttpApi::capacity(const Call& call, const Principal& who) {
  auto host = query_value(query_of(call.http), "host", {"host"});
  if (!host) return error_reply(host.error());
  return answer(service_.capacity(who, *host), capacity_json);
}

Reply HttpApi::health(const Call&, const Principal& who) { return answer(service_.health(who), health_json); }

Reply HttpApi::create_token(const Call& call, const Principal& who) {
  auto request = new_token(call.http.body);
  if (!request) return error_reply(request.error());
  return answer(service_.create_token(who, *request), issued_token_json, 201);
}

Reply HttpApi::list_tokens(const Call&, const Principal& who) { return answer(service_.list_tokens(who), tokens_json); }

Reply HttpApi::delete_token(const Call& call, const Principal& who) { return no_content(service_.delete_token(who, call.params[0])); }

}  // namespace pcipass::server
