#pragma once
// Error and Result<T>: the one way the core reports failure.
// An Error carries a closed code, a message, and the context each layer adds
// (JSON path, config line, PCI address), outermost first when printed.
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace pcipass {

enum class ErrorCode { InvalidArgument, NotFound, Conflict, Unavailable, PermissionDenied, Io, Internal };

const char* to_string(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Context entries, outermost first (e.g. "hosts[3]", "devices[12]", "address").
  const std::vector<std::string>& context() const { return context_; }

  // Adds an outer context entry; returns *this for chaining.
  Error& within(std::string outer) {
    context_.insert(context_.begin(), std::move(outer));
    return *this;
  }
  // "ctx1.ctx2: message", JSON-path style: entries starting with '[' attach without a dot.
  std::string where() const;
  std::string describe() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::vector<std::string> context_;
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
