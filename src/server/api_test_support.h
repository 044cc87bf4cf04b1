#pragma once
// The REST API tests' shared fixture: a controller (store, service, HTTP on a loopback
// port) per test and store, a JSON client, a sample host and its configuration. Used by
// api_test.cc and api_state_test.cc (one suite each, both on SQLite and PostgreSQL).
#include "server/http_api.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "adapters/crypto/openssl_secrets.h"
#include "adapters/json/nova_conf.h"
#include "adapters/store_postgres/pg_store.h"
#include "adapters/system/system_clock.h"
#include "adapters/store_postgres/pg_test_server.h"
#include "adapters/store_sqlite/sqlite_store.h"

namespace pcipass::server::testing_api {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

const std::string kAdmin = "pcipass_test_admin", kReader = "pcipass_test_reader", kAgent = "pcipass_test_agent";

constexpr const char* kConfig = R"([pci]
device_spec = {"vendor_id": "8086", "product_id": "154c", "physical_network": "physnet1"}
device_spec = {"vendor_id": "8086", "product_id": "1572"}
device_spec = {"vendor_id": "10de"}
alias = {"name": "vf", "vendor_id": "8086", "product_id": "154c", "device_type": "type-VF"}
alias = {"name": "pf", "vendor_id": "8086", "product_id": "1572", "device_type": "type-PF"}
alias = {"name": "gpu", "vendor_id": "10de", "product_id": "2230", "device_type": "type-PCI", "numa_policy": "required"}
)";

inline fs::path scratch_path() { return fs::temp_directory_path() / ("pcipass-api-" + std::to_string(::getpid())); }

inline fs::path scratch() {
  static fs::path d = [] {
    fs::path p = scratch_path();
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
  }();
  return d;
}



inline std::string test_name() {
  std::string n = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  for (auto& c : n) c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  return n.substr(0, 40);
}

using StoreOpener = std::function<std::unique_ptr<Store>(const std::string& db, bool fresh)>;

inline std::unique_ptr<Store> open_sqlite(const std::string& db, bool fresh) {
  const fs::path file = scratch() / (db + ".db");
  if (fresh)
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(file.string() + suffix);
  return SqliteStore::open(file.string()).value();
}

inline std::unique_ptr<Store> open_pg(const std::string& db, bool fresh) {
  const std::string conninfo = fresh ? testing::fresh_pg_database(db) : testing::pg_database(db);
  auto s = PgStore::open(conninfo);
  if (!s) ADD_FAILURE() << s.error().describe();
  return s ? std::move(*s) : nullptr;
}

struct Backend {
  std::string name;
  StoreOpener open;
};
inline void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

inline std::string sha256_hex(const std::string& secret) { return OpenSslSecrets().digest(secret); }

// One controller: a store handle, the service, and its REST API on a loopback port.
class Running {
 public:
  Running(std::unique_ptr<Store> store, const fs::path& config, size_t max_body = 1 << 20, HttpServerOptions options = {})
      : store_(std::move(store)), config_(config.string()) {
    EXPECT_TRUE(store_->migrate().ok());
    auto service = Service::open(*store_, &config_, secrets_, clock_);
    if (!service) {
      ADD_FAILURE() << service.error().describe();
      return;
    }
    service_ = std::move(*service);
    api_ = std::make_unique<HttpApi>(*service_, HttpOptions{max_body});
    options.max_body_bytes = max_body;
    auto http = HttpServer::start(options, [api = api_.get()](const HttpRequest& r) { return api->handle(r); }, api_->error_bodies());
    if (!http) {
      ADD_FAILURE() << http.error().describe();
      return;
    }
    http_ = std::move(*http);
    port_ = http_->port();
  }
  ~Running() {
    if (http_) http_->stop();
  }
  int port() const { return port_; }
  Store& store() { return *store_; }
  HttpServer& http() { return *http_; }
  Service& service() { return *service_; }

 private:
  std::unique_ptr<Store> store_;
  NovaConfFile config_;
  OpenSslSecrets secrets_;
  SystemClock clock_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<HttpApi> api_;
  std::unique_ptr<HttpServer> http_;
  int port_ = 0;
};

struct Answer {
  int status = 0;
  Json body;
};

class Client {
 public:
  explicit Client(int port, std::string token = kAdmin) : cli_("127.0.0.1", port), token_(std::move(token)) { cli_.set_tcp_nodelay(true); }
  Answer call(const std::string& method, const std::string& path, const std::string& body = "") {
    httplib::Headers h;
    if (!token_.empty()) h.emplace("Authorization", "Bearer " + token_);
    auto r = method == "GET"      ? cli_.Get(path, h)
             : method == "POST"   ? cli_.Post(path, h, body, "application/json")
             : method == "PUT"    ? cli_.Put(path, h, body, "application/json")
             : method == "PATCH"  ? cli_.Patch(path, h, body, "application/json")
                                  : cli_.Delete(path, h);
    if (!r) return {0, Json()};
    Answer a{r->status, Json()};
    if (!r->body.empty()) a.body = Json::parse(r->body, nullptr, false);
    return a;
  }
  Answer call(const std::string& method, const std::string& path, const Json& body) { return call(method, path, body.dump()); }

 private:
  httplib::Client cli_;
  std::string token_;
};

inline Json nic_host(int vfs, const std::string& pf_print = "pf0") {
  Json devices = Json::array();
  devices.push_back({{"address", "0000:41:00.0"}, {"vendor_id", "8086"}, {"product_id", "1572"}, {"class_code", "020000"},
                     {"numa_node", 0}, {"sriov_totalvfs", vfs}, {"devname", "ens1f0"}, {"fingerprint", pf_print}});
  for (int i = 0; i < vfs; ++i)
    devices.push_back({{"address", "0000:41:02." + std::to_string(i)}, {"vendor_id", "8086"}, {"product_id", "154c"},
                       {"numa_node", 0}, {"physfn", "0000:41:00.0"}, {"fingerprint", "vf" + std::to_string(i)}});
  return {{"numa", {{{"id", 0}, {"cpus", 32}, {"memory_mb", 65536}}, {{"id", 1}, {"cpus", 32}, {"memory_mb", 65536}}}}, {"devices", devices}};
}

class ApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    config_ = scratch() / (test_name() + "-" + GetParam().name + ".conf");
    std::ofstream(config_) << kConfig;
  }
  std::unique_ptr<Running> start(const std::string& db, bool fresh = true, size_t max_body = 1 << 20, HttpServerOptions options = {}) {
    auto store = GetParam().open(db, fresh);
    if (!store) return nullptr;
    if (fresh) {
      EXPECT_TRUE(store->migrate().ok());
      EXPECT_TRUE(store->create_token({"admin", sha256_hex(kAdmin), "admin", ""}).ok());
      EXPECT_TRUE(store->create_token({"reader", sha256_hex(kReader), "reader", ""}).ok());
      EXPECT_TRUE(store->create_token({"agent-1", sha256_hex(kAgent), "agent", "compute-1"}).ok());
    }
    return std::make_unique<Running>(std::move(store), config_, max_body, options);
  }
  std::string db() const { return "a_" + test_name(); }
  fs::path config_;
};

// Whether one of a JSON list's texts contains `text`.
inline bool mentions(const Json& lines, const std::string& text) {
  for (const auto& l : lines)
    if (l.is_string() && l.get<std::string>().find(text) != std::string::npos) return true;
  return false;
}

inline void seed(Client& c) {
  ASSERT_EQ(c.call("PUT", "/v1/hosts/compute-1", nic_host(2)).status, 201);
  ASSERT_EQ(c.call("POST", "/v1/flavors", Json{{"name", "vf.small"}, {"vcpus", 2}, {"memory_mb", 2048},
                                              {"extra_specs", {{"pci_passthrough:alias", "vf:1"}, {"pcipass:vlan", "100"}}}})
                .status,
            201);
  ASSERT_EQ(c.call("POST", "/v1/flavors", Json{{"name", "pf.big"}, {"vcpus", 4}, {"memory_mb", 4096}, {"extra_specs", {{"pci_passthrough:alias", "pf:1"}}}})
                .status,
            201);
}

}  // namespace pcipass::server::testing_api
