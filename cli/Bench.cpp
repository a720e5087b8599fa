// hot bench: placeholder until the benchmark mode lands (see benchmarks/).
#include "cli/Commands.h"

#include <cstdio>

namespace hot::cli {
int benchCommand(const std::vector<std::string> &) {
  std::fprintf(stderr, "hot bench: not built yet\n");
  return 2;
}
} // namespace hot::cli
