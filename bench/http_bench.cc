// HTTP benchmark: boot+delete pairs per second through the REST API of a real
// `pcipass server` process (started here), with N client threads on keep-alive
// connections, and the server's memory with a large fleet registered.
// Usage: pcipass_http_bench --pcipass build/pcipass --db sqlite:/tmp/b.db
//          [--hosts 10000] [--threads 8] [--seconds 10]
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string pcipass = "build/pcipass";
  std::string db;
  int hosts = 10000;
  int threads = 8;
  double seconds = 10;
};

long rss_kb(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::strtol(line.c_str() + std::strlen(field), nullptr, 10);
  return -1;
}

Json host_body(int vfs) {
  Json devices = Json::array();
  for (int pf = 0; pf < 2; ++pf) {
    char pfa[32];
    std::snprintf(pfa, sizeof pfa, "0000:%02x:00.0", 0x41 + pf);
    devices.push_back({{"address", pfa}, {"vendor_id", "8086"}, {"product_id", "1572"}, {"numa_node", pf}, {"sriov_totalvfs", vfs}});
    for (int v = 0; v < vfs; ++v) {
      char va[32];
      std::snprintf(va, sizeof va, "0000:%02x:%02x.%d", 0x41 + pf, 2 + v / 8, v % 8);
      devices.push_back({{"address", va}, {"vendor_id", "8086"}, {"product_id", "154c"}, {"numa_node", pf}, {"physfn", pfa}});
    }
  }
  return {{"numa", {{{"id", 0}, {"cpus", 64}, {"memory_mb", 262144}}, {{"id", 1}, {"cpus", 64}, {"memory_mb", 262144}}}}, {"devices", devices}};
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--pcipass") a.pcipass = v;
    else if (k == "--db") a.db = v;
    else if (k == "--hosts") a.hosts = std::stoi(v);
    else if (k == "--threads") a.threads = std::stoi(v);
    else if (k == "--seconds") a.seconds = std::stod(v);
    else {
      std::cerr << "unknown option " << k << "\n";
      return 2;
    }
  }
  if (a.db.empty()) {
    std::cerr << "usage: pcipass_http_bench --pcipass BIN --db DB [--hosts N] [--threads N] [--seconds S]\n";
    return 2;
  }
  char dir_template[] = "/tmp/pcipass-http-bench-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  std::ofstream(dir + "/pci.conf") << "[pci]\ndevice_spec = {\"vendor_id\": \"8086\"}\n"
                                      "alias = {\"name\": \"vf\", \"vendor_id\": \"8086\", \"product_id\": \"154c\", \"device_type\": \"type-VF\"}\n";
  const std::string log = dir + "/server.log", token_file = dir + "/admin.token";
  pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(a.pcipass.c_str(), a.pcipass.c_str(), "server", "--config", (dir + "/pci.conf").c_str(), "--db", a.db.c_str(), "--listen",
          "127.0.0.1:0", "--bootstrap-admin-token-file", token_file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int port = 0;
  for (int i = 0; i < 600 && !port; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    if (auto p = text.find("http://127.0.0.1:"); p != std::string::npos) port = std::atoi(text.c_str() + p + 17);
  }
  auto stop = [&] {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    std::filesystem::remove_all(dir);
  };
  if (!port) {
    std::cerr << "the server did not start; its log:\n" << std::ifstream(log).rdbuf();
    stop();
    return 1;
  }
  std::string token;
  std::getline(std::ifstream(token_file) >> std::ws, token);
  const httplib::Headers auth{{"Authorization", "Bearer " + token}};
  const long rss_empty = rss_kb(pid, "VmRSS:");

  // Register the fleet with parallel clients.
  const auto load_start = Clock::now();
  std::atomic<int> next{0}, load_errors{0};
  const std::string body16 = host_body(16).dump();
  {
    std::vector<std::thread> ts;
    for (int t = 0; t < a.threads; ++t)
      ts.emplace_back([&] {
        httplib::Client c("127.0.0.1", port);
        c.set_keep_alive(true);
        c.set_tcp_nodelay(true);
        for (int h; (h = next++) < a.hosts;) {
          auto r = c.Put("/v1/hosts/compute-" + std::to_string(h), auth, body16, "application/json");
          if (!r || r->status >= 300) ++load_errors;
        }
      });
    for (auto& t : ts) t.join();
  }
  const double load_s = std::chrono::duration<double>(Clock::now() - load_start).count();
  const long rss_loaded = rss_kb(pid, "VmRSS:");
  httplib::Client admin("127.0.0.1", port);
  admin.Post("/v1/flavors", auth, R"({"name": "vf2", "vcpus": 1, "memory_mb": 512, "extra_specs": {"pci_passthrough:alias": "vf:2"}})",
             "application/json");

  // Boot+delete pairs.
  std::atomic<bool> done{false};
  std::atomic<long> pairs{0}, errors{0};
  std::vector<std::vector<double>> latencies(static_cast<size_t>(a.threads));
  std::vector<std::thread> ts;
  const auto start = Clock::now();
  for (int t = 0; t < a.threads; ++t)
    ts.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", port);
      c.set_keep_alive(true);
      c.set_tcp_nodelay(true);
      for (long i = 0; !done; ++i) {
        const std::string id = "b" + std::to_string(t) + "-" + std::to_string(i);
        const auto t0 = Clock::now();
        auto r = c.Post("/v1/servers", auth, "{\"name\": \"" + id + "\", \"flavor\": \"vf2\"}", "application/json");
        if (!r || r->status != 201) {
          if (errors++ < 3) std::cerr << "boot: " << (r ? std::to_string(r->status) + " " + r->body : httplib::to_string(r.error())) << "\n";
          continue;
        }
        auto d = c.Delete("/v1/servers/" + id, auth);
        if (!d || d->status != 204) {
          ++errors;
          continue;
        }
        latencies[static_cast<size_t>(t)].push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        ++pairs;
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
  done = true;
  for (auto& t : ts) t.join();
  const double run_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * static_cast<double>(all.size())))]; };
  // The fleet-wide reads an operator makes: capacity, and explain (grouped, and a page per host).
  auto timed = [&](const std::string& path) {
    std::vector<double> ms;
    for (int i = 0; i < 20; ++i) {
      const auto t0 = Clock::now();
      auto r = admin.Get(path, auth);
      if (!r || r->status != 200) {
        ++errors;
        std::cerr << path << ": " << (r ? std::to_string(r->status) + " " + r->body.substr(0, 200) : httplib::to_string(r.error())) << "\n";
        return 0.0;
      }
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
  };
  // A boot no host can take: the No valid host answer, grouped, over every host.
  admin.Post("/v1/flavors", auth, R"({"name": "vf99", "vcpus": 1, "memory_mb": 512, "extra_specs": {"pci_passthrough:alias": "vf:99"}})",
             "application/json");
  std::vector<double> nvh;
  for (int i = 0; i < 20; ++i) {
    const auto t0 = Clock::now();
    auto r = admin.Post("/v1/servers", auth, "{\"name\": \"nowhere-" + std::to_string(i) + "\", \"flavor\": \"vf99\"}", "application/json");
    if (!r || r->status != 409) ++errors;
    nvh.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(nvh.begin(), nvh.end());
  const double nvh_ms = nvh[nvh.size() / 2];
  const double capacity_ms = timed("/v1/capacity");
  const double explain_ms = timed("/v1/explain?flavor=vf2");
  const double explain_page_ms = timed("/v1/explain?flavor=vf2&per_host=true&limit=1000");
  const double metrics_ms = timed("/metrics");  // a Prometheus scrape: every host's devices by alias and status
  const long rss_peak = rss_kb(pid, "VmHWM:");
  std::printf("store=%s hosts=%d devices=%d threads=%d\n", a.db.rfind("sqlite", 0) == 0 ? "sqlite" : "postgresql", a.hosts, a.hosts * 34, a.threads);
  std::printf("register: %.1f s (%.0f hosts/s, %d errors)\n", load_s, a.hosts / load_s, load_errors.load());
  std::printf("boot+delete: %ld pairs in %.1f s = %.0f pairs/s (%ld errors); pair latency p50 %.0f us, p99 %.0f us\n", pairs.load(), run_s,
              static_cast<double>(pairs.load()) / run_s, errors.load(), pct(0.5), pct(0.99));
  std::printf("GET /v1/capacity %.1f ms, /v1/explain %.1f ms, /v1/explain per host (1000) %.1f ms, No valid host %.1f ms (medians of 20)\n",
              capacity_ms, explain_ms, explain_page_ms, nvh_ms);
  std::printf("GET /metrics (a Prometheus scrape) %.1f ms (median of 20)\n", metrics_ms);
  std::printf("server memory: %.1f MB empty, %.1f MB with %d hosts, %.1f MB peak\n", static_cast<double>(rss_empty) / 1024,
              static_cast<double>(rss_loaded) / 1024, a.hosts, static_cast<double>(rss_peak) / 1024);
  stop();
  return errors.load() == 0 && load_errors.load() == 0 ? 0 : 1;
}
