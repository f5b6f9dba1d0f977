// Status and Result<T>: how modules report failure to each other.
//
// A Status is OK or carries a code and a message. An OK Status holds no
// allocation, so success is free. Result<T> holds either a value or a non-OK
// Status (like absl::StatusOr). Neither throws. Both are cheap to move and
// safe to share between threads once constructed (immutable).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace orch {

enum class StatusCode {
  kOk = 0,
  kNotFound,
  kInvalidArgument,
  kConflict,
  kUnauthenticated,
  kPermissionDenied,
  kRateLimited,
  kQuotaExceeded,
  kTransient,
  kTimeout,
  kNotSupported,
  kCancelled,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status OK() { return Status(); }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status RateLimited(std::string m) { return {StatusCode::kRateLimited, std::move(m)}; }
  static Status QuotaExceeded(std::string m) { return {StatusCode::kQuotaExceeded, std::move(m)}; }
  static Status Transient(std::string m) { return {StatusCode::kTransient, std::move(m)}; }
  static Status Timeout(std::string m) { return {StatusCode::kTimeout, std::move(m)}; }
  static Status NotSupported(std::string m) { return {StatusCode::kNotSupported, std::move(m)}; }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return state_ == nullptr; }
  StatusCode code() const { return state_ ? state_->code : StatusCode::kOk; }
  const std::string& message() const;

  bool IsNotFound() const { return code() == StatusCode::kNotFound; }
  bool IsConflict() const { return code() == StatusCode::kConflict; }
  bool IsRateLimited() const { return code() == StatusCode::kRateLimited; }
  bool IsTransient() const { return code() == StatusCode::kTransient; }
  bool IsTimeout() const { return code() == StatusCode::kTimeout; }

  // "NotFound: droplet 42 does not exist", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "prefix: message".
  Status WithPrefix(std::string_view prefix) const;

 private:
  struct State {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const State> state_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}           // NOLINT: must be non-OK

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace orch

#define ORCH_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::orch::Status _st = (expr);                 \
    if (!_st.ok()) return _st;                   \
  } while (0)
