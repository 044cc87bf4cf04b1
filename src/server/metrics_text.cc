#include "server/metrics_text.h"

#include <charconv>

namespace pcipass::server {
namespace {

// A label value with \, " and newline escaped, as the format wants.
std::string label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

// The shortest text that reads back as `v` (1e-05, 0.25, 3).
std::string number(double v) {
  char buf[40];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}

class Writer {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  // `labels`: `k="v",...` (escaped already), or "".
  void sample(std::string_view name, const std::string& labels, const std::string& value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  void sample(std::string_view name, const std::string& labels, uint64_t value) { sample(name, labels, std::to_string(value)); }
  void histogram(const std::string& name, const std::string& labels, const Histogram::Snapshot& h) {
    const std::string sep = labels.empty() ? "" : ",";
    for (size_t i = 0; i < h.bounds.size(); ++i)
      sample(name + "_bucket", labels + sep + "le=\"" + number(h.bounds[i]) + "\"", h.cumulative[i]);
    sample(name + "_bucket", labels + sep + "le=\"+Inf\"", h.count);
    sample(name + "_sum", labels, number(h.sum));
    sample(name + "_count", labels, h.count);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace

void HttpMetrics::record(const AnsweredRequest& r) {
  const std::string route = r.route.empty() ? "other" : std::string(r.route);
  const std::string method = r.method == "-" ? "none" : std::string(r.method);
  std::lock_guard lock(m_);
  ++requests_[{route, method, r.status}];
  auto& h = seconds_[{route, method}];
  if (!h) h = std::make_unique<Histogram>(latency_bounds());
  h->observe(std::chrono::duration<double>(r.took).count());
}

HttpMetrics::Snapshot HttpMetrics::snapshot() const {
  std::lock_guard lock(m_);
  Snapshot s;
  s.requests = requests_;
  for (const auto& [key, h] : seconds_) s.seconds[key] = h->snapshot();
  return s;
}

std::string metrics_text(const MetricsSnapshot& m, const HttpMetrics::Snapshot& http, const BuildInfo& build) {
  Writer w;
  w.family("pcipass_build_info", "gauge", "The running pcipass: its version and store (always 1).");
  w.sample("pcipass_build_info", "version=\"" + label(build.version) + "\",store=\"" + label(build.store) + "\"", uint64_t{1});

  w.family("pcipass_hosts", "gauge", "Compute hosts, locked or open for placements.");
  uint64_t locked = 0;
  for (const auto& h : m.hosts) locked += h.second ? 1 : 0;
  w.sample("pcipass_hosts", "state=\"open\"", m.hosts.size() - locked);
  w.sample("pcipass_hosts", "state=\"locked\"", locked);

  w.family("pcipass_devices", "gauge", "PCI devices by host, alias (\"\": no alias admits it) and status.");
  for (const auto& d : m.devices)
    w.sample("pcipass_devices", "host=\"" + label(d.host) + "\",alias=\"" + label(d.alias) + "\",status=\"" + label(d.status) + "\"", d.devices);

  w.family("pcipass_servers", "gauge", "Servers by status.");
  for (const auto& [status, n] : m.servers) w.sample("pcipass_servers", "status=\"" + label(status) + "\"", n);

  w.family("pcipass_host_report_age_seconds", "gauge", "Seconds since each host's agent last reported (hosts reported since this server started).");
  for (const auto& [host, age] : m.report_age_s) w.sample("pcipass_host_report_age_seconds", "host=\"" + label(host) + "\"", number(age));

  w.family("pcipass_boot_decision_seconds", "histogram", "Boot decisions (schedule and claim, not the commit) by outcome.");
  w.histogram("pcipass_boot_decision_seconds", "outcome=\"placed\"", m.boot_placed);
  w.histogram("pcipass_boot_decision_seconds", "outcome=\"no_valid_host\"", m.boot_no_valid_host);
  w.histogram("pcipass_boot_decision_seconds", "outcome=\"refused\"", m.boot_refused);

  w.family("pcipass_no_valid_host_total", "counter", "Boots refused with No valid host.");
  w.sample("pcipass_no_valid_host_total", "", m.no_valid_host);
  w.family("pcipass_no_valid_host_reasons_total", "counter", "No valid host decisions in which this kind of reason refused a host.");
  for (const auto& [kind, n] : m.no_valid_host_reasons) w.sample("pcipass_no_valid_host_reasons_total", "kind=\"" + label(kind) + "\"", n);

  w.family("pcipass_store_commit_seconds", "histogram", "Store commits, one per batch of writes.");
  w.histogram("pcipass_store_commit_seconds", "", m.commit_seconds);
  w.family("pcipass_store_batch_writes", "histogram", "Writes carried by each committed batch.");
  w.histogram("pcipass_store_batch_writes", "", m.batch_writes);
  w.family("pcipass_store_batches_refused_total", "counter", "Batches the store refused (another controller won a race); their writes were served again.");
  w.sample("pcipass_store_batches_refused_total", "", m.batches_refused);
  w.family("pcipass_store_batches_failed_total", "counter", "Batches the store could not commit; their requests got 503.");
  w.sample("pcipass_store_batches_failed_total", "", m.batches_failed);

  w.family("pcipass_http_requests_total", "counter", "HTTP requests answered, by route, method and status code.");
  for (const auto& [key, n] : http.requests)
    w.sample("pcipass_http_requests_total",
             "route=\"" + label(std::get<0>(key)) + "\",method=\"" + label(std::get<1>(key)) + "\",code=\"" + std::to_string(std::get<2>(key)) + "\"", n);
  w.family("pcipass_http_request_duration_seconds", "histogram", "Time from a request read to its answer made, by route and method.");
  for (const auto& [key, h] : http.seconds)
    w.histogram("pcipass_http_request_duration_seconds", "route=\"" + label(key.first) + "\",method=\"" + label(key.second) + "\"", h);
  return w.take();
}

}  // namespace pcipass::server
