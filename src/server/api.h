#pragma once
// The REST API under /v1 (docs/api.md): the HTTP face of one Controller.
// Requests are served by httplib's worker threads; every use of the Controller and
// the Store happens under one mutex (the Controller is the single owner of the
// fleet, and a Store handle is one database connection). Tokens are checked on
// every request except GET /v1 (version discovery); a verified token is remembered
// for a few seconds so a busy client costs no database read per request.
//
// Group commit (stores whose batches_writes() says so): writes run inside a store
// batch (see Store::begin_batch); a
// committer thread commits the open batch as soon as a request waits on it, and a
// request answers only after its batch is durable. Requests arriving during a
// commit form the next batch, so under load one commit (one fsync on PostgreSQL)
// serves many requests, and idle latency stays one commit. If a commit fails, every
// request of that batch gets 503 and the fleet is rebuilt from the store.
#include <chrono>
#include <condition_variable>
#include <set>
#include <thread>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "controller/controller.h"
#include "server/auth.h"
#include "server/json_body.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace pcipass::server {

struct ApiOptions {
  std::optional<std::string> config_path;  // nova.conf-style [pci]; none: no device_spec, no aliases
  size_t max_body_bytes = 8u << 20;
  std::chrono::milliseconds token_cache_ttl{5000};
};

struct Reply {
  Reply() = default;
  Reply(int s, Json b, std::optional<ErrorCode> e = std::nullopt) : status(s), body(std::move(b)), error(e) {}
  int status = 200;
  Json body;
  std::optional<ErrorCode> error;  // set for an error reply: what the caller may act on
};

class Api {
 public:
  // Loads the configuration and the fleet from the store (migrated by the caller).
  static Result<std::unique_ptr<Api>> open(Store& store, ApiOptions options);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  void mount(httplib::Server& http);
  // Re-reads the configuration file; on error the running configuration stays.
  Result<std::vector<std::string>> reload_config();
  // Takes in what other controllers changed (see Controller::refresh).
  Result<size_t> refresh();

 private:
  Status reload_config_locked();
  enum class Access { Anyone, Read, Admin, Report };
  using Handler = Reply (Api::*)(const httplib::Request&, const Principal&);
  Api(Store& store, ApiOptions options) : store_(store), options_(std::move(options)) {}
  void commit_loop();
  // How a batch ended: durable; rolled back because a deferred write was refused (its
  // requests are served again, without deferring); or failed (their answer is 503).
  enum class BatchFate { Committed, Refused, Failed };
  BatchFate wait_for_commit(uint64_t id);
  // A batch's commit failed: busy (refused) or not; rebuilds the fleet to match.
  BatchFate batch_failed_locked(const Error& e);
  void route(httplib::Server& http, const char* method, const char* pattern, Access access, Handler handler);
  // One try under the lock; returns the batch the answer must wait for (0: none).
  // `defer`: boots and deletes may use the store's deferred writes.
  uint64_t serve_once(const httplib::Request& req, Access access, Handler handler, bool writes, bool defer, Reply& reply);
  Result<Principal> authenticate(const httplib::Request& req);

  Reply version(const httplib::Request&, const Principal&);
  Reply put_host(const httplib::Request&, const Principal&);
  Reply list_hosts(const httplib::Request&, const Principal&);
  Reply show_host(const httplib::Request&, const Principal&);
  Reply list_devices(const httplib::Request&, const Principal&);
  Reply show_device(const httplib::Request&, const Principal&);
  Reply list_aliases(const httplib::Request&, const Principal&);
  Reply show_config(const httplib::Request&, const Principal&);
  Reply post_reload(const httplib::Request&, const Principal&);
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
  Reply create_token(const httplib::Request&, const Principal&);
  Reply list_tokens(const httplib::Request&, const Principal&);
  Reply delete_token(const httplib::Request&, const Principal&);

  // `flavor` and its `extra_specs`, when the caller knows them, save store reads.
  Result<Json> server_json(const std::string& id, std::string flavor = "",
                           const std::vector<std::pair<std::string, std::string>>* extra_specs = nullptr);
  Json device_json(size_t host, uint32_t device, bool detail) const;

  Store& store_;
  ApiOptions options_;
  std::mutex mu_;
  std::unique_ptr<Controller> controller_;
  std::vector<std::string> config_warnings_;
  struct CachedToken {
    Principal who;
    std::chrono::steady_clock::time_point until;
  };
  // By the secret as presented (hashing each request's token cost more than the
  // rest of authentication); held only for token_cache_ttl, as the request was.
  std::unordered_map<std::string, CachedToken> token_cache_;

  // Group commit (mu_ guards batch_open_ and batch_id_; commit_mu_ the rest).
  bool batch_open_ = false;
  uint64_t batch_id_ = 0;
  std::mutex commit_mu_;
  std::condition_variable work_cv_, done_cv_;
  uint64_t requested_ = 0;  // newest batch a request waits on
  uint64_t finished_ = 0;   // every batch up to this one is settled
  std::set<uint64_t> failed_, refused_;
  bool stopping_ = false;
  std::thread committer_;
};

// Sleeps 0.1 ms × attempt (at most 5 ms), with jitter: between retries of lost races.
void retry_pause(int attempt);

// The HTTP status for each error code: the one place it is decided.
int http_status(ErrorCode code);
// The JSON error body and HTTP status for an error.
Reply error_reply(const Error& e);

}  // namespace pcipass::server
