// hotengine public API: result types. No LLVM types, no exceptions across this boundary.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace hot {

/// Severity of a compiler or engine diagnostic.
enum class Severity { Note, Warning, Error };

/// One diagnostic, as clang reports it: where, how bad, what.
struct Diagnostic {
  std::string file;      ///< Absolute or as-given path; empty when not tied to a file.
  unsigned line = 0;     ///< 1-based; 0 when unknown.
  unsigned column = 0;   ///< 1-based; 0 when unknown.
  Severity severity = Severity::Error;
  std::string message;   ///< The bare message, e.g. "use of undeclared identifier 'x'".
  std::string formatted; ///< "file:line:col: error: msg" plus source line and caret; ends with "\n".
};

/// Why an operation failed. Every failure keeps the previous version running.
enum class ErrorCode {
  Ok = 0,
  CompileError,      ///< Clang reported errors; diagnostics() has them.
  LinkError,         ///< A symbol could not be resolved, or JITLink failed.
  LayoutChanged,     ///< A kept global's type/size changed (or a class's vtable shape).
  SignatureChanged,  ///< A function kept its name but changed its type.
  ConfigError,       ///< Bad configuration (names the key).
  IoError,           ///< File system problem (names the path).
  NotFound,          ///< No such function/unit.
  Crashed,           ///< Guarded call faulted (signal) inside JIT code.
  InitializerFailed, ///< A static initializer or lifecycle hook threw.
  InvalidArgument,   ///< Caller passed something unusable.
  Internal,          ///< A bug in hotengine.
};

/// Human-readable name of an ErrorCode ("compile error", ...).
const char *toString(ErrorCode code);

/// The result of an operation that returns nothing: ok, or a code, a message and diagnostics.
class [[nodiscard]] Status {
public:
  Status() = default;
  Status(ErrorCode code, std::string message, std::vector<Diagnostic> diags = {})
      : code_(code), message_(std::move(message)), diags_(std::move(diags)) {}
  static Status success() { return Status(); }

  bool ok() const { return code_ == ErrorCode::Ok; }
  explicit operator bool() const { return ok(); }
  ErrorCode code() const { return code_; }
  /// One line (or a few) naming file:line:col where known.
  const std::string &message() const { return message_; }
  const std::vector<Diagnostic> &diagnostics() const { return diags_; }

private:
  ErrorCode code_ = ErrorCode::Ok;
  std::string message_;
  std::vector<Diagnostic> diags_;
};

/// A value or a Status explaining why there is none.
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : v_(std::move(value)) {}
  Result(Status status) : v_(std::move(status)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T &value() & { return std::get<0>(v_); }
  T &&value() && { return std::get<0>(std::move(v_)); }
  const T &value() const & { return std::get<0>(v_); }
  T *operator->() { return &value(); }
  T &operator*() { return value(); }
  /// Status::success() when ok.
  Status status() const { return ok() ? Status() : std::get<1>(v_); }

private:
  std::variant<T, Status> v_;
};

} // namespace hot
