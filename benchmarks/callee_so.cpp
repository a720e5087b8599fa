// The dlopen/dlsym baseline: the same trivial callee, in a shared library of its own.
extern "C" int hot_bench_so_inc(int x) { return x + 1; }
