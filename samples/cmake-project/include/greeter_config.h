// Shared by the host (main.cpp) and the live code (live/greeter.cpp): hot_live_sources() puts
// this folder in the engine's include_dirs because the target has it in its include directories.
#pragma once

#include <string>

#define GREETER_PUNCTUATION "!"

namespace greeter {
std::string greet(const std::string &who);  // live/greeter.cpp
int loads();                                // how many versions of live/greeter.cpp have loaded
} // namespace greeter
