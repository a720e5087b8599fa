#include "engine/Runtime.h"
#include "engine/Guard.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace hot::rt {
namespace {

struct Entry {
  void (*fn)(void *);
  void *arg;
  void *dso;
};

// Never destroyed: the exit hook that reads them runs after every static destructor registered
// later than it (a function-local static here would be gone by then).
std::mutex &registryMutex() {
  static auto *mu = new std::mutex;
  return *mu;
}
std::vector<Entry> &registry() {
  static auto *entries = new std::vector<Entry>;
  return *entries;
}

/// At process exit (exit() from JIT code, return from main) run what is still registered, like
/// libc would have, while JIT code is still mapped.
void runAllAtExit() { runDestructors(nullptr); }

void ensureExitHook() {
  static std::once_flag once;
  std::call_once(once, [] { std::atexit(runAllAtExit); });
}

extern "C" int hot_rt_cxa_atexit(void (*fn)(void *), void *arg, void *dso) {
  ensureExitHook();
  std::lock_guard<std::mutex> lock(registryMutex());
  registry().push_back({fn, arg, dso});
  return 0;
}

extern "C" int hot_rt_atexit(void (*fn)()) {
  return hot_rt_cxa_atexit(reinterpret_cast<void (*)(void *)>(fn), nullptr, nullptr);
}

// JIT code's exit calls: an initializer or hook that calls one while the engine runs it (see
// eng::catchFaults) ends that call, not the process, after a reload.
extern "C" [[noreturn]] void hot_rt_exit(int status) {
  eng::exitCalled("exit", status);
  std::exit(status);
}
extern "C" [[noreturn]] void hot_rt__exit(int status) {
  eng::exitCalled("_exit", status);
  ::_exit(status);
}
extern "C" [[noreturn]] void hot_rt__Exit(int status) {
  eng::exitCalled("_Exit", status);
  std::_Exit(status);
}
extern "C" [[noreturn]] void hot_rt_quick_exit(int status) {
  eng::exitCalled("quick_exit", status);
  std::quick_exit(status);
}

extern "C" void hot_rt_unbound() {
  std::fprintf(stderr, "hotengine: fatal: call through a stub whose function has no body yet "
                       "(a unit that defines it failed to load)\n");
  std::abort();
}

/// Takes the newest matching entry out of the registry (destructors may register more).
bool popMatching(void *dso, Entry &out) {
  std::lock_guard<std::mutex> lock(registryMutex());
  auto &entries = registry();
  for (size_t i = entries.size(); i-- > 0;) {
    if (dso && entries[i].dso != dso && entries[i].dso != nullptr) continue;
    out = entries[i];
    entries.erase(entries.begin() + long(i));
    return true;
  }
  return false;
}

} // namespace

std::map<std::string, void *> runtimeSymbols() {
  return {{"__cxa_atexit", reinterpret_cast<void *>(&hot_rt_cxa_atexit)},
          {"atexit", reinterpret_cast<void *>(&hot_rt_atexit)},
          {"exit", reinterpret_cast<void *>(&hot_rt_exit)},
          {"_exit", reinterpret_cast<void *>(&hot_rt__exit)},
          {"_Exit", reinterpret_cast<void *>(&hot_rt__Exit)},
          {"quick_exit", reinterpret_cast<void *>(&hot_rt_quick_exit)}};
}

void runDestructors(void *dso_handle) {
  Entry e;
  while (popMatching(dso_handle, e)) e.fn(e.arg);
}

void *unboundTarget() { return reinterpret_cast<void *>(&hot_rt_unbound); }

} // namespace hot::rt
