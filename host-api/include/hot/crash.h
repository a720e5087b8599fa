// hot::CrashedInNewCode: what a thread supervised by `hot run` (or a HotEngine::guarded() call)
// sees when the newest version of a unit faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL): the unit is
// rolled back and the faulting call unwinds as if this exception were thrown there, so
// destructors run and `catch (std::exception &)` / `catch (...)` handlers can carry on.
#pragma once

#include <exception>
#include <string>

namespace hot {

class CrashedInNewCode : public std::exception {
public:
  explicit CrashedInNewCode(std::string what);
  ~CrashedInNewCode() override;
  /// "a.cpp: version 2 crashed with SIGSEGV (address 0x0) in 'int f()' (a.cpp:3); rolled back
  /// to version 1 (...)": the engine's message without its backtrace.
  const char *what() const noexcept override;

private:
  std::string what_;
};

} // namespace hot
