// Ahead-of-time callees, alone in this translation unit so callers cannot see their bodies:
// every call-cost variant reaches the same one-instruction function.
#include "bench_support.h"

namespace hot::bench {

__attribute__((noinline)) int aotInc(int x) { return x + 1; }

namespace {
struct Inc final : IncBase {
  __attribute__((noinline)) int inc(int x) const override { return x + 1; }
};
} // namespace

IncBase::~IncBase() = default;
IncBase *makeInc() { return new Inc(); }

} // namespace hot::bench
