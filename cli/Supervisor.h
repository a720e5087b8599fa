// cli/: `hot run` supervises every thread of the program: a fault in newly loaded code rolls
// that unit back and ends only the faulting thread's call (an Erlang process crash), instead
// of the whole program.
#pragma once

#include "hot/engine.h"

namespace hot::cli {

/// From now on, threads the program starts (std::thread, pthread_create, thread pools) run
/// their start routine under `engine.supervise()`: after a recovered fault the thread ends
/// (returns null) and the program's other threads and state carry on. Pass nullptr to stop.
void superviseThreads(hot::HotEngine *engine);

} // namespace hot::cli
