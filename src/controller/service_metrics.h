#pragma once
// What the service counts for an operator's monitoring (Prometheus /metrics): boot
// decisions and their latency, No valid host by the kind of its reasons, the store's
// commits and batch sizes; and the snapshot of the fleet that /metrics shows beside
// them. Counting is lock-free and cheap; a snapshot is taken under the service's lock.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/refusal.h"

namespace pcipass {

// Counts of observations at or below each bound (Prometheus's `le` buckets), their sum
// and count. Thread-safe.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> buckets_;  // per bound, then +Inf; not cumulative
  std::atomic<double> sum_{0};
};

// Bounds for latencies in seconds: 10 µs to 10 s.
std::vector<double> latency_bounds();

inline constexpr size_t kRefusalKindCount = std::size(kRefusalKinds);

struct ServiceCounters {
  // Boot decisions (schedule and claim, not the commit), by outcome.
  Histogram boot_placed{latency_bounds()};
  Histogram boot_no_valid_host{latency_bounds()};
  Histogram boot_refused{latency_bounds()};  // any other refusal (name taken, quota, ...)
  // No valid host: each, and each kind of reason that refused a host in it.
  std::atomic<uint64_t> no_valid_host{0};
  std::array<std::atomic<uint64_t>, kRefusalKindCount> no_valid_host_reasons{};
  // The store: one commit per batch, its latency and how many writes it carried.
  Histogram commit_seconds{latency_bounds()};
  Histogram batch_writes{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}};
  std::atomic<uint64_t> batches_refused{0};
  std::atomic<uint64_t> batches_failed{0};
};

// The fleet as /metrics shows it, with the counters.
struct MetricsSnapshot {
  struct DeviceCount {
    std::string host;
    std::string alias;   // "" for a device no alias admits
    std::string status;  // DeviceStatus's name
    uint64_t devices = 0;
  };
  std::vector<DeviceCount> devices;
  std::vector<std::pair<std::string, uint64_t>> servers;        // status -> servers
  std::vector<std::pair<std::string, double>> report_age_s;     // host -> seconds since its last report (reported since start)
  std::vector<std::pair<std::string, bool>> hosts;              // host -> locked
  Histogram::Snapshot boot_placed, boot_no_valid_host, boot_refused;
  uint64_t no_valid_host = 0;
  std::vector<std::pair<std::string, uint64_t>> no_valid_host_reasons;  // kind name -> count
  Histogram::Snapshot commit_seconds, batch_writes;
  uint64_t batches_refused = 0, batches_failed = 0;
};

}  // namespace pcipass
