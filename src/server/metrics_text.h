#pragma once
// GET /metrics: the Prometheus text exposition format (version 0.0.4) of the service's
// snapshot and the HTTP counters, as `promtool check metrics` accepts it.
#include <mutex>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "controller/service_metrics.h"
#include "server/http_server.h"

namespace pcipass::server {

// Requests answered, by route, method and status, and their latency by route and
// method. Thread-safe (the HttpServer's loops record at once).
class HttpMetrics {
 public:
  void record(const AnsweredRequest& request);
  struct Snapshot {
    std::map<std::tuple<std::string, std::string, int>, uint64_t> requests;  // route, method, status
    std::map<std::pair<std::string, std::string>, Histogram::Snapshot> seconds;
  };
  Snapshot snapshot() const;

 private:
  mutable std::mutex m_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Histogram>> seconds_;
};

struct BuildInfo {
  std::string version;  // "0.1.0"
  std::string store;    // "sqlite" | "postgresql" | "memory"
};

std::string metrics_text(const MetricsSnapshot& service, const HttpMetrics::Snapshot& http, const BuildInfo& build);

}  // namespace pcipass::server
