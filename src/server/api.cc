#include "server/api.h"

#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <random>
#include <set>

#include "adapters/json/nova_conf.h"
#include "adapters/libvirt_xml/libvirt_xml.h"
#include "core/extra_specs.h"
#include "server/inventory_json.h"

namespace pcipass::server {
namespace {

constexpr const char* kApiVersion = "1.0";

Reply error_json(int status, const std::string& code, const std::string& message, const std::string& field = "") {
  Json e{{"code", code}, {"message", message}};
  if (!field.empty()) e["field"] = field;
  return {status, Json{{"error", e}}, parse_code_name(code)};
}

// Host names and server ids: what may appear in a URL path segment unescaped.
Status check_name(const std::string& name, const char* what) {
  if (name.empty() || name.size() > 255) return std::move(invalid(std::string(what) + " must be 1 to 255 characters").within(what));
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return std::move(invalid(std::string(what) + " may hold only letters, digits, '-', '_' and '.'").within(what));
  return ok_status();
}

std::optional<std::string> param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  return req.get_param_value(name);
}

// Deterministic locally administered unicast MAC for a NIC VF of an instance.
std::string mac_for(const std::string& instance, PciAddress address) {
  const std::string h = sha256_hex(instance + "/" + address.to_string());
  return "52:54:00:" + h.substr(0, 2) + ":" + h.substr(2, 2) + ":" + h.substr(4, 2);
}

}  // namespace

void retry_pause(int attempt) {
  static thread_local std::minstd_rand jitter(std::random_device{}());
  const auto us = std::min(5000, 100 * attempt) * (50 + static_cast<int>(jitter() % 100)) / 100;
  std::this_thread::sleep_for(std::chrono::microseconds(us));
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return 400;
    case ErrorCode::Unauthenticated: return 401;
    case ErrorCode::PermissionDenied: return 403;
    case ErrorCode::NotFound: return 404;
    case ErrorCode::AlreadyExists:
    case ErrorCode::Conflict:
    case ErrorCode::DeviceHeld:
    case ErrorCode::HostMoved:
    case ErrorCode::FlavorChanged:
    case ErrorCode::NoValidHost: return 409;
    case ErrorCode::Busy:
    case ErrorCode::Unavailable: return 503;
    case ErrorCode::Io:
    case ErrorCode::Internal: return 500;
  }
  return 500;
}

Reply error_reply(const Error& e) {
  Reply r = error_json(http_status(e.code()), code_name(e.code()), e.describe(), e.context().empty() ? "" : e.where());
  if (!e.rejections().empty()) {
    Json hosts = Json::array();
    for (const auto& h : e.rejections()) hosts.push_back({{"host", h.host}, {"reason", h.reason}});
    r.body["error"]["hosts"] = hosts;
  }
  r.error = e.code();
  return r;
}

Result<std::unique_ptr<Api>> Api::open(Store& store, ApiOptions options) {
  std::unique_ptr<Api> api(new Api(store, std::move(options)));
  PciConfig config;
  if (api->options_.config_path) {
    auto loaded = load_nova_pci_config(*api->options_.config_path);
    if (!loaded) return std::move(loaded).error();
    config = {std::move(loaded->device_spec), std::move(loaded->aliases)};
    api->config_warnings_ = std::move(loaded->warnings);
  }
  auto c = Controller::open(store, std::move(config));
  if (!c) return std::move(c).error();
  api->controller_ = std::move(*c);
  // Lost races: back off 0.1 ms, 0.2 ms, ... (at most 5 ms) with jitter before planning again.
  api->controller_->set_retry_pause(retry_pause);
  api->committer_ = std::thread([a = api.get()] { a->commit_loop(); });
  return api;
}

Api::~Api() {
  {
    std::lock_guard lock(commit_mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
  std::lock_guard lock(mu_);
  if (batch_open_) store_.abort_batch();
}

Api::BatchFate Api::batch_failed_locked(const Error& e) {
  if (e.code() == ErrorCode::Busy) {
    // Nothing of it was kept: rebuild what it touched; its requests are served again.
    if (auto re = controller_->batch_refused(); !re) {
      std::fprintf(stderr, "pcipass server: rebuilding after a refused batch failed: %s\n", re.error().describe().c_str());
      return BatchFate::Failed;
    }
    return BatchFate::Refused;
  }
  std::fprintf(stderr, "pcipass server: commit failed, the batch's requests get 503: %s\n", e.describe().c_str());
  if (auto re = controller_->reload(); !re)
    std::fprintf(stderr, "pcipass server: rebuilding the fleet failed: %s\n", re.error().describe().c_str());
  return BatchFate::Failed;
}

void Api::commit_loop() {
  for (;;) {
    {
      std::unique_lock c(commit_mu_);
      work_cv_.wait(c, [&] { return stopping_ || requested_ > finished_; });
      if (stopping_) return;
    }
    uint64_t id = 0;
    BatchFate fate = BatchFate::Committed;
    bool sealed = false;
    std::optional<uint64_t> dropped;  // the next batch, rolled back with a failed sealed one
    {
      std::lock_guard lock(mu_);
      id = batch_id_;
      if (batch_open_) {
        batch_open_ = false;
        if (store_.overlaps_commits()) {
          // The commit goes on outside the lock, while the next batch runs.
          auto st = store_.seal_batch();
          controller_->batch_sealed();
          if (st) sealed = true;
          else fate = batch_failed_locked(st.error());
        } else {
          auto st = store_.commit_batch();
          controller_->batch_sealed();
          if (st) controller_->batch_committed();
          else fate = batch_failed_locked(st.error());
        }
      }
    }
    if (sealed) {
      auto st = store_.await_sealed();
      std::lock_guard lock(mu_);
      if (st) {
        controller_->batch_committed();
      } else {
        // The open batch was planned on the sealed one's writes: it goes too, and its
        // requests are served again.
        if (batch_open_) {
          store_.abort_batch();
          batch_open_ = false;
          dropped = batch_id_;
        }
        fate = batch_failed_locked(st.error());
      }
    }
    {
      std::lock_guard c(commit_mu_);
      finished_ = dropped.value_or(id);
      if (fate == BatchFate::Failed) failed_.insert(id);
      if (fate == BatchFate::Refused) refused_.insert(id);
      if (dropped) refused_.insert(*dropped);
      while (failed_.size() > 64) failed_.erase(failed_.begin());
      while (refused_.size() > 64) refused_.erase(refused_.begin());
    }
    done_cv_.notify_all();
  }
}

Api::BatchFate Api::wait_for_commit(uint64_t id) {
  std::unique_lock c(commit_mu_);
  if (requested_ < id) requested_ = id;
  work_cv_.notify_one();
  done_cv_.wait(c, [&] { return finished_ >= id || stopping_; });
  if (finished_ < id || failed_.count(id)) return BatchFate::Failed;
  return refused_.count(id) ? BatchFate::Refused : BatchFate::Committed;
}

Result<std::vector<std::string>> Api::reload_config() {
  std::lock_guard lock(mu_);
  if (auto st = reload_config_locked(); !st) return std::move(st).error();
  return config_warnings_;
}

Status Api::reload_config_locked() {
  if (!options_.config_path) return invalid("the server was started without --config; there is nothing to reload");
  auto loaded = load_nova_pci_config(*options_.config_path);
  if (!loaded) return std::move(loaded).error();
  if (auto st = controller_->set_config({std::move(loaded->device_spec), std::move(loaded->aliases)}); !st) return st;
  config_warnings_ = std::move(loaded->warnings);
  return ok_status();
}

Result<size_t> Api::refresh() {
  std::lock_guard lock(mu_);
  return controller_->refresh();
}

Result<Principal> Api::authenticate(const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  if (header.empty()) return Error(ErrorCode::Unauthenticated, "missing bearer token (Authorization: Bearer ...)");
  auto token = bearer_token(header);
  if (!token) return Error(ErrorCode::Unauthenticated, "malformed Authorization header: expected 'Bearer <token>'");
  const auto now = std::chrono::steady_clock::now();
  if (auto it = token_cache_.find(*token); it != token_cache_.end() && it->second.until > now) return it->second.who;
  const std::string hash = sha256_hex(*token);
  auto record = store_.token_by_secret_sha256(hash);
  if (!record) {
    if (record.error().code() == ErrorCode::NotFound) return Error(ErrorCode::Unauthenticated, "unknown token");
    return std::move(record).error();
  }
  auto role = parse_role(record->role);
  if (!role) return Error(ErrorCode::Internal, "token " + record->name + " has unknown role " + record->role);
  Principal who{record->name, *role, record->host};
  if (token_cache_.size() > 10000) token_cache_.clear();
  token_cache_[std::string(*token)] = {who, now + options_.token_cache_ttl};
  return who;
}

uint64_t Api::serve_once(const httplib::Request& req, Access access, Handler handler, bool writes, bool defer, Reply& reply) {
    uint64_t batch = 0;  // the batch whose commit this answer waits for (0: none)
    {
      std::lock_guard lock(mu_);
      if (writes && !batch_open_ && store_.batches_writes()) {
        if (auto st = store_.begin_batch(); st) {
          batch_open_ = true;
          ++batch_id_;
        }  // else the store methods run as their own transactions
      }
      if (batch_open_) batch = batch_id_;
      Principal who;
      bool allowed = true;
      if (access != Access::Anyone) {
        auto p = authenticate(req);
        if (!p) {
          allowed = false;
          reply = error_reply(p.error());
        } else {
          who = *p;
          if (access == Access::Admin && who.role != Role::Admin) {
            allowed = false;
            reply = error_json(403, "PermissionDenied", "this needs an admin token; " + who.name + " is " + to_string(who.role));
          } else if (access == Access::Report && who.role == Role::Reader) {
            allowed = false;
            reply = error_json(403, "PermissionDenied", "readers cannot report inventory");
          }
        }
      }
      if (allowed) {
        try {
          controller_->set_defer_writes(defer && batch != 0);
          reply = (this->*handler)(req, who);
        } catch (const std::exception& e) {
          reply = error_json(500, "Internal", std::string("internal error: ") + e.what());
        }
      }
    }
  return batch;
}

void Api::route(httplib::Server& http, const char* method, const char* pattern, Access access, Handler handler) {
  const bool writes = std::string(method) != "GET";
  auto serve = [this, access, handler, writes](const httplib::Request& req, httplib::Response& res) {
    Reply reply;
    // A step that found a row locked by another controller's open batch is retried
    // after this server's own batch is committed (releasing what it holds).
    // A batch rolled back for a refused deferred write is served again, not deferring.
    bool refused = false;
    for (int attempt = 1;; ++attempt) {
      const uint64_t batch = serve_once(req, access, handler, writes, !refused, reply);
      const BatchFate fate = batch ? wait_for_commit(batch) : BatchFate::Committed;
      if (fate == BatchFate::Failed) {
        reply = error_json(503, "Unavailable", "the store could not commit this request's batch; nothing of it was kept; retry");
        break;
      }
      if (fate == BatchFate::Refused) {
        refused = true;
        if (attempt >= 50) {
          reply = error_json(503, "Unavailable", "the store kept refusing this request's batch; nothing of it was kept; retry");
          break;
        }
        continue;
      }
      const bool busy = reply.error == ErrorCode::Busy;
      if (!busy || attempt >= 50) break;
      retry_pause(attempt);
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

void Api::mount(httplib::Server& http) {
  http.set_payload_max_length(options_.max_body_bytes);
  http.set_keep_alive_max_count(100000);
  http.set_tcp_nodelay(true);
  const size_t limit = options_.max_body_bytes;
  http.set_error_handler(httplib::Server::HandlerWithResponse([limit](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    Reply r = res.status == 413 ? error_json(413, "PayloadTooLarge", "request body is larger than " + std::to_string(limit) + " bytes")
              : res.status == 404 ? error_json(404, "NotFound", "no such resource: " + req.method + " " + req.path)
              : res.status == 405 ? error_json(405, "MethodNotAllowed", req.method + " is not allowed on " + req.path)
                                  : error_json(res.status, "HttpError", "HTTP error " + std::to_string(res.status));
    res.set_content(r.body.dump() + "\n", "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
  const char* host = R"(/v1/hosts/([^/]+))";
  route(http, "GET", "/v1", Access::Anyone, &Api::version);
  route(http, "GET", "/v1/hosts", Access::Read, &Api::list_hosts);
  route(http, "PUT", host, Access::Report, &Api::put_host);
  route(http, "GET", host, Access::Read, &Api::show_host);
  route(http, "GET", "/v1/devices", Access::Read, &Api::list_devices);
  route(http, "GET", R"(/v1/hosts/([^/]+)/devices/([^/]+))", Access::Read, &Api::show_device);
  route(http, "GET", "/v1/aliases", Access::Read, &Api::list_aliases);
  route(http, "GET", "/v1/config", Access::Read, &Api::show_config);
  route(http, "POST", "/v1/config/reload", Access::Admin, &Api::post_reload);
  route(http, "POST", "/v1/flavors", Access::Admin, &Api::create_flavor);
  route(http, "GET", "/v1/flavors", Access::Read, &Api::list_flavors);
  route(http, "GET", R"(/v1/flavors/([^/]+))", Access::Read, &Api::show_flavor);
  route(http, "PATCH", R"(/v1/flavors/([^/]+))", Access::Admin, &Api::update_flavor);
  route(http, "POST", "/v1/servers", Access::Admin, &Api::create_server);
  route(http, "GET", "/v1/servers", Access::Read, &Api::list_servers);
  route(http, "GET", R"(/v1/servers/([^/]+))", Access::Read, &Api::show_server);
  route(http, "DELETE", R"(/v1/servers/([^/]+))", Access::Admin, &Api::delete_server);
  route(http, "GET", "/v1/explain", Access::Read, &Api::explain);
  route(http, "GET", "/v1/capacity", Access::Read, &Api::capacity);
  route(http, "POST", "/v1/tokens", Access::Admin, &Api::create_token);
  route(http, "GET", "/v1/tokens", Access::Admin, &Api::list_tokens);
  route(http, "DELETE", R"(/v1/tokens/([^/]+))", Access::Admin, &Api::delete_token);
}

Reply Api::version(const httplib::Request&, const Principal&) {
  return {200, Json{{"name", "pcipass"}, {"api_version", kApiVersion}, {"hosts", controller_->fleet().host_count()}}};
}

// ---- hosts -------------------------------------------------------------------

Reply Api::put_host(const httplib::Request& req, const Principal& who) {
  const std::string name = req.matches[1];
  if (auto st = check_name(name, "host"); !st) return error_reply(st.error());
  if (who.role == Role::Agent && who.host != name)
    return error_json(403, "PermissionDenied", "token " + who.name + " may report only for host " + quote(who.host) + ", not " + quote(name));
  auto body = parse_body(req.body);
  if (!body) return error_reply(body.error());
  auto record = parse_inventory(*body, name);
  if (!record) return error_reply(record.error());
  const bool existed = controller_->fleet().find_host(name).has_value();
  auto out = controller_->report_host(std::move(*record));
  if (!out) return error_reply(out.error());
  Json notes = Json::array();
  for (const auto& n : out->notes) notes.push_back(n);
  return {existed ? 200 : 201, Json{{"host", name}, {"generation", out->generation}, {"notes", notes}}};
}

namespace {
Json host_summary(const HostInventory& h) {
  uint32_t listed = 0;
  for (const auto& d : h.devices()) listed += d.pool.has_value() ? 1 : 0;
  Json j{{"name", h.name()}, {"devices", h.devices().size()}, {"allow_listed", listed}, {"free", h.free_devices()},
         {"vcpus_used", h.used_vcpus()}, {"memory_mb_used", h.used_memory_mb()}};
  j["vcpus"] = h.total_vcpus() ? Json(*h.total_vcpus()) : Json(nullptr);
  j["memory_mb"] = h.total_memory_mb() ? Json(*h.total_memory_mb()) : Json(nullptr);
  return j;
}
}  // namespace

Reply Api::list_hosts(const httplib::Request&, const Principal&) {
  const Fleet& f = controller_->fleet();
  std::vector<const HostInventory*> hosts;
  for (HostIndex i = 0; i < f.host_count(); ++i) hosts.push_back(&f.host(i));
  std::sort(hosts.begin(), hosts.end(), [](auto* a, auto* b) { return a->name() < b->name(); });
  Json out = Json::array();
  for (const auto* h : hosts) out.push_back(host_summary(*h));
  return {200, Json{{"hosts", out}}};
}

namespace {
// A held device gone from its host's reports, as the device list shows it.
Json vanished_json(const std::string& host, const VanishedDevice& gone) {
  Json g = device_facts_json(gone.device);
  g["host"] = host;
  g["status"] = "vanished";
  g["owner"] = gone.owner.empty() ? Json(nullptr) : Json(gone.owner);
  return g;
}
}  // namespace

Reply Api::show_host(const httplib::Request& req, const Principal&) {
  const std::string name = req.matches[1];
  auto stored = store_.host(name);
  if (!stored) return error_reply(stored.error());
  auto hi = controller_->fleet().find_host(name);
  if (!hi) return error_json(404, "NotFound", "no host " + quote(name));
  const HostInventory& h = controller_->fleet().host(*hi);
  Json j = host_summary(h);
  j["generation"] = stored->generation;
  Json cells = Json::array();
  for (const auto& c : h.cells())
    cells.push_back({{"id", c.id}, {"cpus", c.cpus ? Json(*c.cpus) : Json(nullptr)}, {"memory_mb", c.memory_mb ? Json(*c.memory_mb) : Json(nullptr)},
                     {"vcpus_used", c.used_cpus}, {"memory_mb_used", c.used_memory_mb}, {"free_devices", h.free_devices_on_cell(c.id)}});
  j["numa"] = h.has_numa_data() ? cells : Json(nullptr);
  Json devices = Json::array();
  for (uint32_t d = 0; d < h.devices().size(); ++d) devices.push_back(device_json(*hi, d, false));
  if (auto v = controller_->vanished().find(name); v != controller_->vanished().end())
    for (const auto& gone : v->second) devices.push_back(vanished_json(name, gone));
  j["devices"] = devices;
  return {200, j};
}

// ---- devices -----------------------------------------------------------------

Json Api::device_json(size_t hi, uint32_t di, bool detail) const {
  const Fleet& f = controller_->fleet();
  const HostInventory& h = f.host(static_cast<HostIndex>(hi));
  const Device& d = h.devices()[di];
  Json j{{"host", h.name()}, {"address", d.address.to_string()}, {"vendor_id", d.vendor_id.to_string()},
         {"product_id", d.product_id.to_string()}, {"type", nova_type_name(d.type)}};
  j["numa_node"] = d.numa_node ? Json(*d.numa_node) : Json(nullptr);
  const InstanceRecord* owner = d.owner ? f.instance_at(*d.owner) : nullptr;
  std::string status = !d.pool ? "not-allow-listed" : owner ? "allocated" : h.available(di) ? "available" : "unavailable";
  if (d.bridge) status = "bridge";
  j["status"] = status;
  j["owner"] = owner ? Json(owner->id) : Json(nullptr);
  if (status == "unavailable") j["reason"] = h.unavailable_reason(di);
  Json aliases = Json::array();
  if (d.pool) {
    const DeviceClass& dc = f.classes().get(h.pools()[*d.pool].class_id);
    for (const auto& a : f.aliases().aliases())
      if (a.admits(dc.vendor_id, dc.product_id, dc.type, dc.live_migratable)) aliases.push_back(a.name);
    if (detail) {
      Json tags = Json::object();
      for (const auto& t : dc.tags) tags[t.key] = t.value ? Json(*t.value) : Json(nullptr);
      j["tags"] = tags;
    }
  }
  j["aliases"] = aliases;
  if (d.parent) j["physfn"] = h.devices()[*d.parent].address.to_string();
  if (!detail) return j;
  Json vfs = Json::array();
  for (DeviceIndex v : h.vfs_of(di)) vfs.push_back(h.devices()[v].address.to_string());
  j["vfs"] = vfs;
  if (d.type == DeviceType::Pf) j["vfs_in_use"] = d.vfs_in_use;
  if (d.group) {
    const IommuGroup& g = h.groups()[*d.group];
    Json members = Json::array();
    for (DeviceIndex m : g.endpoints) members.push_back(h.devices()[m].address.to_string());
    j["iommu_group"] = {{"number", g.number}, {"endpoints", members}, {"assignable", g.assignable}};
  }
  return j;
}

Reply Api::list_devices(const httplib::Request& req, const Principal&) {
  for (const auto& [k, v] : req.params)
    if (k != "host" && k != "alias" && k != "status" && k != "owner")
      return error_json(400, "InvalidArgument", "unknown filter " + quote(k) + " (host, alias, status, owner)", k);
  const auto host = param(req, "host"), alias = param(req, "alias"), status = param(req, "status"), owner = param(req, "owner");
  const Fleet& f = controller_->fleet();
  if (alias && !f.aliases().find(*alias)) return error_json(404, "NotFound", "no alias " + quote(*alias), "alias");
  static const std::set<std::string> kStatuses{"available", "allocated", "unavailable", "not-allow-listed", "bridge", "vanished"};
  if (status && !kStatuses.count(*status))
    return error_json(400, "InvalidArgument", "status must be one of available, allocated, unavailable, not-allow-listed, bridge, vanished", "status");
  std::optional<HostIndex> only;
  if (host) {
    only = f.find_host(*host);
    if (!only) return error_json(404, "NotFound", "no host " + quote(*host), "host");
  }
  Json out = Json::array();
  auto consider = [&](HostIndex hi) {
    const HostInventory& h = f.host(hi);
    for (uint32_t d = 0; d < h.devices().size(); ++d) {
      const Device& dev = h.devices()[d];
      if (owner) {
        const InstanceRecord* o = dev.owner ? f.instance_at(*dev.owner) : nullptr;
        if (!o || o->id != *owner) continue;
      }
      Json j = device_json(hi, d, false);
      if (status && j["status"] != *status) continue;
      if (alias && std::find(j["aliases"].begin(), j["aliases"].end(), Json(*alias)) == j["aliases"].end()) continue;
      out.push_back(std::move(j));
    }
    if (alias) return;
    if (auto v = controller_->vanished().find(h.name()); v != controller_->vanished().end())
      for (const auto& gone : v->second) {
        if ((status && *status != "vanished") || (owner && gone.owner != *owner)) continue;
        out.push_back(vanished_json(h.name(), gone));
      }
  };
  if (only) consider(*only);
  else {
    std::vector<HostIndex> order;
    for (HostIndex i = 0; i < f.host_count(); ++i) order.push_back(i);
    std::sort(order.begin(), order.end(), [&](HostIndex a, HostIndex b) { return f.host(a).name() < f.host(b).name(); });
    for (HostIndex i : order) consider(i);
  }
  return {200, Json{{"devices", out}}};
}

Reply Api::show_device(const httplib::Request& req, const Principal&) {
  const std::string host = req.matches[1], address_text = req.matches[2];
  auto address = PciAddress::parse(address_text);
  if (!address) return error_reply(std::move(address).error().within("address"));
  const Fleet& f = controller_->fleet();
  auto hi = f.find_host(host);
  if (!hi) return error_json(404, "NotFound", "no host " + quote(host));
  auto di = f.host(*hi).find(*address);
  if (!di) {
    if (auto v = controller_->vanished().find(host); v != controller_->vanished().end())
      for (const auto& gone : v->second)
        if (gone.device.facts.address == *address) return {200, vanished_json(host, gone)};
    return error_json(404, "NotFound", "no device " + address->to_string() + " on " + host);
  }
  Json j = device_json(*hi, *di, true);
  auto stored = store_.host(host);
  if (stored)
    for (const auto& d : stored->devices)
      if (d.facts.address == *address) {
        Json facts = device_facts_json(d);
        j["class_code"] = facts["class_code"];
        j["devname"] = facts["devname"];
        j["fingerprint"] = facts["fingerprint"];
      }
  return {200, j};
}

// ---- configuration -------------------------------------------------------------

Reply Api::list_aliases(const httplib::Request&, const Principal&) {
  Json out = Json::array();
  const auto& table = controller_->fleet().aliases();
  for (const auto& a : table.aliases()) {
    Json specs = Json::array();
    for (const auto& s : a.specs) {
      Json spec{{"vendor_id", s.vendor_id.to_string()}, {"product_id", s.product_id.to_string()}};
      if (s.live_migratable) spec["live_migratable"] = *s.live_migratable;
      specs.push_back(spec);
    }
    out.push_back({{"name", a.name},
                   {"device_type", a.device_type ? Json(nova_type_name(*a.device_type)) : Json(nullptr)},
                   {"numa_policy", a.numa_policy ? Json(to_string(*a.numa_policy)) : Json(nullptr)},
                   {"specs", specs}});
  }
  return {200, Json{{"aliases", out}}};
}

Reply Api::show_config(const httplib::Request&, const Principal&) {
  Json warnings = Json::array();
  for (const auto& w : config_warnings_) warnings.push_back(w);
  return {200, Json{{"config_file", options_.config_path ? Json(*options_.config_path) : Json(nullptr)},
                    {"device_spec_entries", controller_->config().device_spec.specs().size()},
                    {"aliases", controller_->config().aliases.aliases().size()},
                    {"warnings", warnings}}};
}

Reply Api::post_reload(const httplib::Request&, const Principal&) {
  if (auto st = reload_config_locked(); !st) return error_reply(st.error());  // handlers run with the lock held
  return show_config({}, {});
}

// ---- flavors -------------------------------------------------------------------

namespace {
Json flavor_json(const FlavorRecord& f) {
  Json specs = Json::object();
  for (const auto& [k, v] : f.extra_specs) specs[k] = v;
  return {{"name", f.name}, {"vcpus", f.vcpus}, {"memory_mb", f.memory_mb}, {"extra_specs", specs}};
}

Result<std::vector<std::pair<std::string, std::string>>> read_extra_specs(const Json& j, const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  if (j.is_null()) return out;
  if (!j.is_object()) return std::move(invalid("expected an object of string values").within(path));
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) return std::move(invalid("expected a string").within(path + "." + k));
    if (k.empty() || k.size() > 255) return std::move(invalid("keys must be 1 to 255 characters").within(path));
    out.emplace_back(k, v.get<std::string>());
  }
  return out;
}
}  // namespace

Reply Api::create_flavor(const httplib::Request& req, const Principal&) {
  auto body = parse_body(req.body);
  if (!body) return error_reply(body.error());
  Fields f(*body, "");
  if (auto st = f.is_object(); !st) return error_reply(st.error());
  auto name = f.string("name");
  if (!name) return error_reply(name.error());
  auto vcpus = f.unsigned_int("vcpus", 4096);
  if (!vcpus) return error_reply(vcpus.error());
  auto mem = f.unsigned_int("memory_mb", uint64_t{1} << 32);
  if (!mem) return error_reply(mem.error());
  auto specs = read_extra_specs(f.raw("extra_specs"), "extra_specs");
  if (!specs) return error_reply(specs.error());
  if (auto st = f.no_unknown_fields(); !st) return error_reply(st.error());
  if (auto st = check_name(*name, "name"); !st) return error_reply(st.error());
  FlavorRecord rec{*name, static_cast<uint32_t>(*vcpus), *mem, std::move(*specs)};
  // Refuse a flavor the scheduler could not read (bad alias syntax, unknown alias, bad policy).
  std::vector<std::string> ignored;
  if (auto shape = parse_flavor(rec.vcpus, rec.memory_mb, rec.extra_specs, controller_->config().aliases, ignored); !shape)
    return error_reply(std::move(shape).error().within("extra_specs"));
  if (auto st = store_.create_flavor(rec); !st) return error_reply(st.error());
  return {201, flavor_json(rec)};
}

Reply Api::list_flavors(const httplib::Request&, const Principal&) {
  auto all = store_.flavors();
  if (!all) return error_reply(all.error());
  Json out = Json::array();
  for (const auto& f : *all) out.push_back(flavor_json(f));
  return {200, Json{{"flavors", out}}};
}

Reply Api::show_flavor(const httplib::Request& req, const Principal&) {
  auto f = store_.flavor(req.matches[1]);
  if (!f) return error_reply(f.error());
  return {200, flavor_json(*f)};
}

Reply Api::update_flavor(const httplib::Request& req, const Principal&) {
  auto rec = store_.flavor(req.matches[1]);
  if (!rec) return error_reply(rec.error());
  auto body = parse_body(req.body);
  if (!body) return error_reply(body.error());
  Fields f(*body, "");
  if (auto st = f.is_object(); !st) return error_reply(st.error());
  auto vcpus = f.optional_unsigned("vcpus", 4096);
  if (!vcpus) return error_reply(vcpus.error());
  auto mem = f.optional_unsigned("memory_mb", uint64_t{1} << 32);
  if (!mem) return error_reply(mem.error());
  auto set = read_extra_specs(f.raw("extra_specs"), "extra_specs");
  if (!set) return error_reply(set.error());
  const Json& unset = f.raw("unset");
  if (!unset.is_null() && !unset.is_array()) return error_json(400, "InvalidArgument", "expected a list of extra spec keys", "unset");
  if (auto st = f.no_unknown_fields(); !st) return error_reply(st.error());
  if (*vcpus) rec->vcpus = static_cast<uint32_t>(**vcpus);
  if (*mem) rec->memory_mb = **mem;
  for (const auto& key : unset) {
    if (!key.is_string()) return error_json(400, "InvalidArgument", "expected a string", "unset");
    std::erase_if(rec->extra_specs, [&](const auto& kv) { return kv.first == key.get<std::string>(); });
  }
  for (const auto& spec : *set) {
    auto it = std::find_if(rec->extra_specs.begin(), rec->extra_specs.end(), [&](const auto& kv) { return kv.first == spec.first; });
    if (it != rec->extra_specs.end()) it->second = spec.second;
    else rec->extra_specs.push_back(spec);
  }
  std::vector<std::string> ignored;
  if (auto shape = parse_flavor(rec->vcpus, rec->memory_mb, rec->extra_specs, controller_->config().aliases, ignored); !shape)
    return error_reply(std::move(shape).error().within("extra_specs"));
  if (auto st = store_.update_flavor(*rec); !st) return error_reply(st.error());
  controller_->forget_flavor(rec->name);
  return {200, flavor_json(*rec)};
}

// ---- servers -------------------------------------------------------------------

Result<Json> Api::server_json(const std::string& id, std::string flavor_name,
                              const std::vector<std::pair<std::string, std::string>>* extra_specs) {
  const Fleet& fleet = controller_->fleet();
  const InstanceRecord* rec = fleet.instance(id);
  if (!rec) return Error(ErrorCode::NotFound, "no server " + quote(id));
  const HostInventory& h = fleet.host(rec->host);
  // What it was booted with, as stored, never the flavor as it is now.
  std::vector<std::pair<std::string, std::string>> booted;
  if (!extra_specs) {
    auto rows = store_.instances_on(h.name());
    if (!rows) return std::move(rows).error();
    for (auto& r : *rows)
      if (r.id == id) {
        flavor_name = r.flavor;
        booted = std::move(r.extra_specs);
      }
  }
  // A server booted before pcipass checked these may hold a bad value: shown, not used.
  Json notes = Json::array();
  auto settings = parse_pcipass_settings(extra_specs ? *extra_specs : booted);
  if (!settings) notes.push_back("booted with an unusable extra spec, left out of the XML: " + settings.error().describe());
  const std::optional<uint16_t> vlan = settings ? settings->vlan : std::nullopt;
  Json devices = Json::array();
  std::vector<PassthroughDevice> passthrough;
  std::vector<DeviceIndex> ordered = rec->devices;
  std::sort(ordered.begin(), ordered.end());
  for (DeviceIndex d : ordered) {
    const Device& dev = h.devices()[d];
    PassthroughDevice p;
    p.address = dev.address;
    bool nic_vf = false;
    if (dev.pool && dev.type == DeviceType::Vf) {
      const DeviceClass& dc = fleet.classes().get(h.pools()[*dev.pool].class_id);
      nic_vf = std::any_of(dc.tags.begin(), dc.tags.end(), [](const Tag& t) { return t.key == "physical_network"; });
    }
    if (nic_vf) {
      p.network_interface = true;
      p.mac = mac_for(id, dev.address);
      p.vlan = vlan;
    }
    passthrough.push_back(p);
    Json dj{{"address", dev.address.to_string()}, {"type", nova_type_name(dev.type)}};
    dj["numa_node"] = dev.numa_node ? Json(*dev.numa_node) : Json(nullptr);
    if (p.mac) dj["mac"] = *p.mac;
    devices.push_back(dj);
  }
  // Held devices gone from the host's reports: listed, flagged, and left out of the XML.
  if (auto v = controller_->vanished().find(h.name()); v != controller_->vanished().end())
    for (const auto& gone : v->second)
      if (gone.owner == id)
        devices.push_back({{"address", gone.device.facts.address.to_string()}, {"type", nova_type_name(gone.device.facts.type())}, {"vanished", true}});
  Json cells = Json::array();
  for (const auto& [cell, use] : rec->cell_use) cells.push_back(h.cells()[cell].id);
  auto xml = devices_xml(passthrough);
  if (!xml) return std::move(xml).error();
  auto domain = domain_xml(id, rec->vcpus, rec->memory_mb, passthrough);
  if (!domain) return std::move(domain).error();
  Json out{{"id", id},           {"host", h.name()},     {"flavor", flavor_name.empty() ? Json(nullptr) : Json(flavor_name)},
           {"vcpus", rec->vcpus}, {"memory_mb", rec->memory_mb}, {"numa_cells", cells},
           {"devices", devices}, {"libvirt_xml", *xml},  {"libvirt_domain_xml", *domain}};
  if (!notes.empty()) out["notes"] = notes;
  return out;
}

Reply Api::create_server(const httplib::Request& req, const Principal&) {
  auto body = parse_body(req.body);
  if (!body) return error_reply(body.error());
  Fields f(*body, "");
  if (auto st = f.is_object(); !st) return error_reply(st.error());
  auto name = f.string("name");
  if (!name) return error_reply(name.error());
  auto flavor = f.string("flavor");
  if (!flavor) return error_reply(flavor.error());
  auto host = f.optional_string("host");
  if (!host) return error_reply(host.error());
  if (auto st = f.no_unknown_fields(); !st) return error_reply(st.error());
  if (auto st = check_name(*name, "name"); !st) return error_reply(st.error());
  auto placed = controller_->create_server(*name, *flavor, *host);
  if (!placed) return error_reply(placed.error());
  auto j = server_json(*name, *flavor, &placed->flavor_extra_specs);
  if (!j) return error_reply(j.error());
  return {201, *j};
}

Reply Api::list_servers(const httplib::Request& req, const Principal&) {
  auto host = param(req, "host");
  auto rows = host ? store_.instances_on(*host) : store_.instances();
  if (!rows) return error_reply(rows.error());
  Json out = Json::array();
  for (const auto& r : *rows) {
    Json devices = Json::array();
    for (const auto& a : r.devices) devices.push_back(a.address.to_string());
    out.push_back({{"id", r.id}, {"host", r.host}, {"flavor", r.flavor}, {"devices", devices}});
  }
  return {200, Json{{"servers", out}}};
}

Reply Api::show_server(const httplib::Request& req, const Principal&) {
  const std::string id = req.matches[1];
  if (!controller_->fleet().instance(id))
    if (auto moved = controller_->refresh(); !moved) return error_reply(moved.error());  // booted by another controller?
  auto j = server_json(id);
  if (!j) return error_reply(j.error());
  return {200, *j};
}

Reply Api::delete_server(const httplib::Request& req, const Principal&) {
  if (auto st = controller_->delete_server(req.matches[1]); !st) return error_reply(st.error());
  return {204, Json()};
}

// ---- explain and capacity ------------------------------------------------------------

Reply Api::explain(const httplib::Request& req, const Principal&) {
  auto flavor = param(req, "flavor");
  if (!flavor) return error_json(400, "InvalidArgument", "explain needs ?flavor=NAME", "flavor");
  auto verdicts = controller_->explain(*flavor, param(req, "host"));
  if (!verdicts) return error_reply(verdicts.error());
  Json hosts = Json::array();
  size_t fits = 0;
  for (const auto& v : *verdicts) {
    fits += v.fits ? 1 : 0;
    Json h{{"host", v.host}, {"fits", v.fits}};
    if (!v.fits) h["reason"] = v.reason;
    hosts.push_back(h);
  }
  return {200, Json{{"flavor", *flavor}, {"fits_on", fits}, {"hosts", hosts}}};
}

Reply Api::capacity(const httplib::Request& req, const Principal&) {
  const Fleet& f = controller_->fleet();
  const auto& aliases = f.aliases().aliases();
  auto host_filter = param(req, "host");
  std::vector<uint64_t> fleet_free(aliases.size()), fleet_total(aliases.size());
  std::vector<std::pair<std::string, Json>> per_host;
  for (HostIndex hi = 0; hi < f.host_count(); ++hi) {
    const HostInventory& h = f.host(hi);
    std::vector<uint64_t> free(aliases.size()), total(aliases.size());
    for (const auto& pool : h.pools()) {
      const DeviceClass& dc = f.classes().get(pool.class_id);
      for (size_t a = 0; a < aliases.size(); ++a)
        if (aliases[a].admits(dc.vendor_id, dc.product_id, dc.type, dc.live_migratable)) {
          free[a] += pool.free;
          total[a] += pool.members.size();
        }
    }
    Json by_alias = Json::object();
    for (size_t a = 0; a < aliases.size(); ++a) {
      fleet_free[a] += free[a];
      fleet_total[a] += total[a];
      if (total[a]) by_alias[aliases[a].name] = {{"free", free[a]}, {"total", total[a]}};
    }
    if (!host_filter || *host_filter == h.name()) per_host.emplace_back(h.name(), Json{{"host", h.name()}, {"aliases", by_alias}});
  }
  if (host_filter && per_host.empty()) return error_json(404, "NotFound", "no host " + quote(*host_filter), "host");
  std::sort(per_host.begin(), per_host.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Json fleet = Json::object();
  for (size_t a = 0; a < aliases.size(); ++a) fleet[aliases[a].name] = {{"free", fleet_free[a]}, {"total", fleet_total[a]}};
  Json hosts = Json::array();
  for (auto& [n, j] : per_host) hosts.push_back(std::move(j));
  return {200, Json{{"fleet", fleet}, {"hosts", hosts}}};
}

// ---- tokens ------------------------------------------------------------------------

Reply Api::create_token(const httplib::Request& req, const Principal&) {
  auto body = parse_body(req.body);
  if (!body) return error_reply(body.error());
  Fields f(*body, "");
  if (auto st = f.is_object(); !st) return error_reply(st.error());
  auto name = f.string("name");
  if (!name) return error_reply(name.error());
  auto role_text = f.string("role");
  if (!role_text) return error_reply(role_text.error());
  auto host = f.optional_string("host");
  if (!host) return error_reply(host.error());
  if (auto st = f.no_unknown_fields(); !st) return error_reply(st.error());
  if (auto st = check_name(*name, "name"); !st) return error_reply(st.error());
  auto role = parse_role(*role_text);
  if (!role) return error_json(400, "InvalidArgument", "role must be admin, agent or reader", "role");
  if ((*role == Role::Agent) != host->has_value())
    return error_json(400, "InvalidArgument", *role == Role::Agent ? "an agent token needs the host it reports for" : "only agent tokens name a host", "host");
  if (*host)
    if (auto st = check_name(**host, "host"); !st) return error_reply(st.error());
  auto secret = new_secret();
  if (!secret) return error_reply(secret.error());
  if (auto st = store_.create_token({*name, sha256_hex(*secret), *role_text, host->value_or("")}); !st) return error_reply(st.error());
  return {201, Json{{"name", *name}, {"role", *role_text}, {"host", host->has_value() ? Json(**host) : Json(nullptr)}, {"token", *secret}}};
}

Reply Api::list_tokens(const httplib::Request&, const Principal&) {
  auto all = store_.tokens();
  if (!all) return error_reply(all.error());
  Json out = Json::array();
  for (const auto& t : *all) out.push_back({{"name", t.name}, {"role", t.role}, {"host", t.host.empty() ? Json(nullptr) : Json(t.host)}});
  return {200, Json{{"tokens", out}}};
}

Reply Api::delete_token(const httplib::Request& req, const Principal&) {
  if (auto st = store_.delete_token(req.matches[1]); !st) return error_reply(st.error());
  token_cache_.clear();
  return {204, Json()};
}

}  // namespace pcipass::server
