// hot call: placeholder until the libffi transport lands.
#include "cli/Commands.h"

#include <cstdio>

namespace hot::cli {
int callCommand(const std::vector<std::string> &) {
  std::fprintf(stderr, "hot call: not built yet\n");
  return 2;
}
} // namespace hot::cli
