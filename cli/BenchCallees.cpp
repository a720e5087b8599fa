// hot bench: the ahead-of-time callees of the call-cost section. They live in their own
// translation unit so the callers' loops cannot see (and fold) their bodies: every variant calls
// the same one-instruction function, only the way of reaching it differs.
#include "cli/BenchCallees.h"

namespace hot::cli::bench {

__attribute__((noinline)) int aotInc(int x) { return x + 1; }

namespace {
struct Inc final : IncBase {
  __attribute__((noinline)) int inc(int x) const override { return x + 1; }
};
} // namespace

IncBase::~IncBase() = default;
IncBase *makeInc() { return new Inc(); }

} // namespace hot::cli::bench
