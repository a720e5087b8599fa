// engine/: functions JIT code calls instead of libc's, so that the engine owns the lifecycle of
// static objects (their destructors run once, while their code is still mapped).
#pragma once

#include <map>
#include <string>

namespace hot::rt {

/// Symbols to define for JIT code: __cxa_atexit and atexit. (__dso_handle, one per engine, is
/// defined by jit::JitStack in JIT memory, where native archive members can reach it.)
std::map<std::string, void *> runtimeSymbols();

/// Runs (newest first) and forgets the destructors registered under `dso_handle`, plus those
/// registered through plain atexit(). Safe to call more than once.
void runDestructors(void *dso_handle);

/// Where a stub points before its first body is installed: reports and aborts.
void *unboundTarget();

} // namespace hot::rt
