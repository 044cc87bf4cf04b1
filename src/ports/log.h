#pragma once
// Port: where a daemon says what it did, one event a line: what happened (a dotted name
// such as "server.created" or "http.request") and its fields, in order. The adapter
// decides the form (text or JSON lines) and adds the time and level; callers never
// format a line themselves, and never pass a secret.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pcipass {

enum class LogLevel { Debug, Info, Warning, Error };

struct LogField {
  std::string_view key;  // a literal: [a-z_]+
  std::variant<std::string, int64_t, double> value;
};

class Log {
 public:
  virtual ~Log() = default;
  virtual void write(LogLevel level, std::string_view event, const std::vector<LogField>& fields) = 0;
};

}  // namespace pcipass
