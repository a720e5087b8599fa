// The program's threads are started through pthread_create, whoever calls it (JIT code, or
// libstdc++ for std::thread): `hot` defines pthread_create itself (the executable's definition
// comes first in the dynamic symbol lookup) and forwards to libc's with a supervised start
// routine.
#include "cli/Supervisor.h"

#include <dlfcn.h>
#include <pthread.h>

#include <atomic>

namespace hot::cli {
namespace {

std::atomic<hot::HotEngine *> g_engine{nullptr};

using CreateFn = int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

CreateFn realCreate() {
  static CreateFn real = reinterpret_cast<CreateFn>(dlsym(RTLD_NEXT, "pthread_create"));
  return real;
}

struct Start {
  void *(*fn)(void *);
  void *arg;
  hot::HotEngine *engine;
};

/// Runs the program's start routine; a recovered fault the program does not catch ends the
/// thread with a null result (see docs/ARCHITECTURE.md, "Supervised threads").
void *supervisedStart(void *p) {
  Start start = *static_cast<Start *>(p);
  delete static_cast<Start *>(p);
  void *result = nullptr;
  (void)start.engine->supervise([&] { result = start.fn(start.arg); });
  return result;
}

} // namespace

void superviseThreads(hot::HotEngine *engine) { g_engine = engine; }

} // namespace hot::cli

extern "C" int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                              void *(*start)(void *), void *arg) {
  hot::HotEngine *engine = hot::cli::g_engine.load();
  hot::cli::CreateFn real = hot::cli::realCreate();
  if (!engine) return real(thread, attr, start, arg);
  auto *wrapped = new hot::cli::Start{start, arg, engine};
  int rc = real(thread, attr, hot::cli::supervisedStart, wrapped);
  if (rc != 0) delete wrapped;
  return rc;
}
