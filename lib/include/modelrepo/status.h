// Status and StatusOr<T>: how every fallible call of the public API reports failure.
//
// The codes are few on purpose; each maps to exactly one HTTP status of the V2 protocol
// (see HttpStatus) and one C API code (bindings/c), so the meaning of an error never changes
// across a boundary. No exception crosses the public API.
#ifndef MODELREPO_STATUS_H_
#define MODELREPO_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace modelrepo {

// The numeric values are part of the C ABI (bindings/c): never renumber.
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,   // the caller's input is wrong (bad JSON, shape, datatype, model file): 400
  kNotFound = 2,          // no such model, version, or the model is not loaded: 404
  kUnavailable = 3,       // retry later: loading, draining, overloaded: 503
  kUnimplemented = 4,     // a feature this build or runtime does not offer: 501
  kInternal = 5,          // a bug or an unexpected library failure: 500
  kPermissionDenied = 6,  // the caller may not do this (management API token): 403
};

// The HTTP status a code answers with on the V2 REST protocol.
int HttpStatus(StatusCode code);
// "OK", "INVALID_ARGUMENT", ...
std::string_view StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NOT_FOUND: Model x not found"
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or a non-OK Status. Accessing the value of an error is a programming error
// (asserted in debug builds).
template <class T>
class StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "StatusOr needs a value or an error");
    if (status_.ok()) status_ = Status::Internal("StatusOr built from an OK status");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  // On a temporary, the value is moved out, so `for (auto& x : F().value())` is safe.
  T value() && { assert(ok()); return std::move(*value_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace modelrepo

#endif  // MODELREPO_STATUS_H_
