// The Prometheus exposition of the service's snapshot, checked line by line and by
// promtool (Debian's prometheus package; scripts/setup.sh puts it in .tools/bin).
#include "server/metrics_text.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace pcipass::server {
namespace {

std::string promtool() {
  if (std::system("command -v promtool >/dev/null 2>&1") == 0) return "promtool";
  return std::string(PCIPASS_SOURCE_DIR) + "/.tools/bin/promtool";
}

TEST(Histogram, BucketsAreCumulativeAndTheLastIsTheCount) {
  Histogram h({0.001, 0.01, 0.1});
  for (double v : {0.0005, 0.001, 0.005, 0.05, 5.0}) h.observe(v);
  const auto s = h.snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 3, 4, 5}));  // le is inclusive: 0.001 counts at 0.001
  EXPECT_EQ(s.count, 5u);
  EXPECT_NEAR(s.sum, 5.0565, 1e-9);
}

TEST(MetricsText, TheExpositionIsWhatPromtoolAcceptsAndLabelsAreEscaped) {
  MetricsSnapshot m;
  m.hosts = {{"h\"1", false}, {"h2", true}};
  m.devices = {{"h\"1", "gpu", "available", 2}, {"h\"1", "", "bridge", 1}};
  m.servers = {{"active", 3}};
  m.report_age_s = {{"h\"1", 1.5}};
  Histogram boot(latency_bounds());
  boot.observe(0.0002);
  m.boot_placed = boot.snapshot();
  m.boot_no_valid_host = Histogram(latency_bounds()).snapshot();
  m.boot_refused = m.boot_no_valid_host;
  m.no_valid_host = 1;
  m.no_valid_host_reasons = {{"no_device", 1}};
  m.commit_seconds = boot.snapshot();
  m.batch_writes = Histogram({1, 2, 4}).snapshot();
  HttpMetrics http;
  http.record({"GET", "/v1/hosts", 200, std::chrono::microseconds(300), "admin", "/v1/hosts", 10, "127.0.0.1:1"});
  http.record({"-", "-", 413, std::chrono::microseconds(10), "", "", 10, "-"});
  const std::string text = metrics_text(m, http.snapshot(), {"0.1.0", "sqlite"});
  EXPECT_NE(text.find("pcipass_devices{host=\"h\\\"1\",alias=\"gpu\",status=\"available\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pcipass_hosts{state=\"locked\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("pcipass_boot_decision_seconds_bucket{outcome=\"placed\",le=\"0.00025\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pcipass_boot_decision_seconds_bucket{outcome=\"placed\",le=\"1e-04\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("pcipass_http_requests_total{route=\"other\",method=\"none\",code=\"413\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("pcipass_no_valid_host_reasons_total{kind=\"no_device\"} 1\n"), std::string::npos);
  const auto file = std::filesystem::temp_directory_path() / ("pcipass-metrics-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(file) << text;
  const int rc = std::system((promtool() + " check metrics < " + file.string() + " > /dev/null 2>&1").c_str());
  std::filesystem::remove(file);
  EXPECT_EQ(rc, 0) << "promtool check metrics refuses:\n" << text;
}

}  // namespace
}  // namespace pcipass::server
