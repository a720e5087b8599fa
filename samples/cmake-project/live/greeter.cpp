// Live code: hotengine compiles this file when `greeter` starts and again every time it is saved.
// GREETER_SALUTATION comes from the host target's compile definitions (CMakeLists.txt) and
// GREETER_PUNCTUATION from include/greeter_config.h: hot_live_sources() passes both on.
#include "greeter_config.h"

#include <hot/unit.h>

namespace greeter {

static int load_count = 0;  // kept across reloads

HOT_ON_LOAD() { ++load_count; }

int loads() { return load_count; }

std::string greet(const std::string &who) {
  return std::string(GREETER_SALUTATION) + ", " + who + GREETER_PUNCTUATION;
}

} // namespace greeter
