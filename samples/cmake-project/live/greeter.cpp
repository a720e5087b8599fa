// Live code: hotengine compiles this file when `greeter` starts and again every time it is saved.
// GREETER_SALUTATION comes from the host target's compile definitions (CMakeLists.txt) and
// GREETER_PUNCTUATION from include/greeter_config.h: hot_live_sources() passes both on.
#include "greeter_config.h"

#include <hot/unit.h>

namespace greeter {

static int load_count = 0;  // a global: its value is kept across reloads

int loads() { return load_count; }

std::string greet(const std::string &who) {
  return std::string(GREETER_SALUTATION) + ", " + who + GREETER_PUNCTUATION;
}

} // namespace greeter

// Runs after each version of this file is loaded (hooks are declared at global scope).
HOT_ON_LOAD() { ++greeter::load_count; }
