#pragma once
// The Log port on a file descriptor (stderr for a daemon, which journald or a container
// runtime collects), one line per event, written whole by one write(2):
//  - text: `2026-12-08T03:30:00.123Z info server.created id=vm1 host=compute-1`, values
//    quoted (logfmt) when they hold a space, a quote, '=' or a control character;
//  - json: `{"time":"...","level":"info","event":"server.created","id":"vm1",...}`.
// Under journald (JOURNAL_STREAM is set) each line starts with its syslog priority
// ("<6>"), so `journalctl -p warning` finds the warnings.
#include <mutex>
#include <optional>
#include <string>

#include "ports/log.h"

namespace pcipass {

enum class LogFormat { Text, Json };
std::optional<LogFormat> parse_log_format(std::string_view name);
// "debug" | "info" | "warning" | "error".
std::optional<LogLevel> parse_log_level(std::string_view name);

class StreamLog : public Log {
 public:
  // `journald`: prefix priorities (the caller decides, from JOURNAL_STREAM). Events
  // below `least` are dropped.
  StreamLog(LogFormat format, int fd, bool journald, LogLevel least = LogLevel::Info);
  void write(LogLevel level, std::string_view event, const std::vector<LogField>& fields) override;

  // The line write() sends for `at` (UTC, ms): for tests.
  std::string line(LogLevel level, std::string_view event, const std::vector<LogField>& fields, int64_t unix_ms) const;

 private:
  LogFormat format_;
  int fd_;
  bool journald_;
  LogLevel least_;
  std::mutex m_;
};

}  // namespace pcipass
