#include "adapters/log/stream_log.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace pcipass {
namespace {

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
  }
  return "info";
}

// syslog(3) priorities, as journald reads them from a line's "<N>".
int priority(LogLevel l) {
  switch (l) {
    case LogLevel::Debug: return 7;
    case LogLevel::Info: return 6;
    case LogLevel::Warning: return 4;
    case LogLevel::Error: return 3;
  }
  return 6;
}

std::string timestamp(int64_t unix_ms) {
  const std::time_t s = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec, static_cast<int>(unix_ms % 1000));
  return buf;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

// logfmt: bare when it can be, else a quoted string with \" \\ \n \t and \xHH escapes.
void append_text_value(std::string& out, const std::string& v) {
  bool bare = !v.empty();
  for (unsigned char c : v)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) bare = false;
  if (bare) {
    out += v;
    return;
  }
  out += '"';
  for (unsigned char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace

std::optional<LogFormat> parse_log_format(std::string_view name) {
  if (name == "text") return LogFormat::Text;
  if (name == "json") return LogFormat::Json;
  return std::nullopt;
}

std::optional<LogLevel> parse_log_level(std::string_view name) {
  for (auto l : {LogLevel::Debug, LogLevel::Info, LogLevel::Warning, LogLevel::Error})
    if (name == level_name(l)) return l;
  return std::nullopt;
}

StreamLog::StreamLog(LogFormat format, int fd, bool journald, LogLevel least)
    : format_(format), fd_(fd), journald_(journald), least_(least) {}

std::string StreamLog::line(LogLevel level, std::string_view event, const std::vector<LogField>& fields, int64_t unix_ms) const {
  std::string out;
  if (journald_) out += "<" + std::to_string(priority(level)) + ">";
  if (format_ == LogFormat::Json) {
    nlohmann::ordered_json j{{"time", timestamp(unix_ms)}, {"level", level_name(level)}, {"event", std::string(event)}};
    for (const auto& f : fields) {
      const std::string key(f.key);
      if (j.contains(key)) continue;  // the envelope's own keys win
      std::visit([&](const auto& v) { j[key] = v; }, f.value);
    }
    out += j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  } else {
    out += timestamp(unix_ms);
    out += ' ';
    out += level_name(level);
    out += ' ';
    out += event;
    for (const auto& f : fields) {
      out += ' ';
      out += f.key;
      out += '=';
      if (const auto* s = std::get_if<std::string>(&f.value)) append_text_value(out, *s);
      else if (const auto* i = std::get_if<int64_t>(&f.value)) out += std::to_string(*i);
      else out += number(std::get<double>(f.value));
    }
  }
  out += '\n';
  return out;
}

void StreamLog::write(LogLevel level, std::string_view event, const std::vector<LogField>& fields) {
  if (static_cast<int>(level) < static_cast<int>(least_)) return;
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string text = line(level, event, fields, now);
  std::lock_guard lock(m_);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a log that cannot be written is dropped, never fatal
    done += static_cast<size_t>(n);
  }
}

}  // namespace pcipass
