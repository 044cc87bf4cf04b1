#pragma once
// Error and Result<T>: the one way pcipass reports failure.
// An Error carries a closed code (the kind of failure, which callers switch on), a
// message for people, the context each layer adds (JSON path, config line, PCI
// address), outermost first when printed, and for NoValidHost the reason per host.
// No caller decides anything from the message: every distinction a caller acts on
// is a code. Each code maps once to an HTTP status (server/http_status) and once to a
// client exit status (app/exit_status).
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace pcipass {

enum class ErrorCode {
  InvalidArgument,   // bad input; the context names where (JSON path, config line, address)
  NotFound,          // no such host, device, flavor, server, token, file
  AlreadyExists,     // a name or id that is taken
  Conflict,          // refused by the current state (a reload that orphans held devices, a
                     // database from a newer pcipass, a device the host depends on, EBUSY)
  DeviceHeld,        // a device that another instance holds
  HostMoved,         // the host changed since the plan was made: plan again on fresh state
  FlavorChanged,     // the flavor changed, or went, since the plan was made: read it again
  NoValidHost,       // no host fits; rejections() gives one reason per host
  OverQuota,         // the caller's project would exceed a quota (the message names it,
                     // its limit, its use and what was asked)
  Busy,              // nothing was done and trying again shortly may work (a row locked by
                     // another controller, a write batch rolled back, contention)
  Unauthenticated,   // missing, malformed or unknown credentials
  PermissionDenied,  // a known caller (or the OS user) may not do this
  Unavailable,       // something this depends on (the store, a server, a driver) is not
                     // there or is failing
  Io,                // a local I/O failure
  Internal,          // a broken invariant: a bug in pcipass
};
inline constexpr int kErrorCodeCount = static_cast<int>(ErrorCode::Internal) + 1;

// Words for people ("invalid argument").
const char* to_string(ErrorCode code);
// The code's name on the wire ("InvalidArgument"), and back.
const char* code_name(ErrorCode code);
std::optional<ErrorCode> parse_code_name(std::string_view name);

// One host that could not take a boot, and why.
struct Rejection {
  std::string host;
  std::string reason;
};

// Hosts refused for one reason: how many, and the first few by name.
struct RefusalGroup {
  std::string reason;
  size_t hosts = 0;
  std::vector<std::string> sample;
  std::string kind = "";  // the refusal's kind (refusal.h's kind_name: "too_few_free"); "" when not known
};

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Context entries, outermost first (e.g. "hosts[3]", "devices[12]", "address").
  const std::vector<std::string>& context() const { return context_; }
  // NoValidHost: one reason per rejected host, in host-name order (may be empty when
  // the caller did not ask for them).
  const std::vector<Rejection>& rejections() const { return rejections_; }
  // NoValidHost: the refused hosts grouped by their first reason, most hosts first.
  const std::vector<RefusalGroup>& refusal_groups() const { return groups_; }

  // Adds an outer context entry; returns *this for chaining.
  Error& within(std::string outer) {
    context_.insert(context_.begin(), std::move(outer));
    return *this;
  }
  Error& with_rejections(std::vector<Rejection> reasons) {
    rejections_ = std::move(reasons);
    return *this;
  }
  Error& with_groups(std::vector<RefusalGroup> groups) {
    groups_ = std::move(groups);
    return *this;
  }
  // "ctx1.ctx2: message", JSON-path style: entries starting with '[' attach without a dot.
  std::string where() const;
  std::string describe() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::vector<std::string> context_;
  std::vector<Rejection> rejections_;
  std::vector<RefusalGroup> groups_;
};

inline Error invalid(std::string message) { return Error(ErrorCode::InvalidArgument, std::move(message)); }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}        // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  template <class U>
  T value_or(U&& fallback) const& { return ok() ? value() : static_cast<T>(std::forward<U>(fallback)); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }
  // The failure's code, or nullopt on success.
  std::optional<ErrorCode> code() const { return ok() ? std::nullopt : std::optional<ErrorCode>(error().code()); }

 private:
  std::variant<T, Error> v_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status ok_status() { return Unit{}; }

}  // namespace pcipass

// Propagates an error from a Result-returning expression, adding no context.
#define PCIPASS_TRY(var, expr)                        \
  auto var##_result = (expr);                         \
  if (!var##_result.ok()) return std::move(var##_result).error(); \
  auto var = std::move(var##_result).value()
