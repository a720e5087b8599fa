#include "bench_support.h"

#include <cstdlib>
#include <fstream>

namespace hot::bench {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "hot-benchmarks-XXXXXX").string();
  if (::mkdtemp(tmpl.data())) path_ = tmpl;
}
TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

void writeFile(const std::string &path, const std::string &text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

namespace {
const char *kInc = "extern \"C\" __attribute__((noinline)) int bench_jit_inc(int x) "
                   "{ return x + 1; }\n";
// The same loop as the AOT loop benchmark, as JIT code calling into the other unit.
const char *kLoop = R"(extern "C" int bench_jit_inc(int x);
extern "C" int bench_jit_loop(int n) {
  int x = 0;
  for (int i = 0; i < n; ++i) x = bench_jit_inc(x);
  return x;
}
)";

void load(JitCallees &j) {
  writeFile(j.dir.file("inc.cpp"), kInc);
  writeFile(j.dir.file("loop.cpp"), kLoop);
  hot::Config config;
  config.opt_level = 2; // the AOT callees' level, so the bodies are the same code
  auto engine = hot::HotEngine::create(config);
  if (!engine.ok()) return void(j.error = engine.status().message());
  j.engine = std::move(engine.value());
  if (auto st = j.engine->watch(j.dir.path().string()); !st.ok()) return void(j.error = st.message());
  auto inc = j.engine->function<int(int)>("bench_jit_inc");
  auto loop = j.engine->function<int(int)>("bench_jit_loop");
  if (!inc.ok() || !loop.ok()) return void(j.error = "bench_jit_inc/bench_jit_loop not found");
  j.inc = inc.value();
  j.loop = loop.value();
}
} // namespace

JitCallees &jitCallees() {
  static JitCallees j;
  static bool loaded = (load(j), true);
  (void)loaded;
  return j;
}

} // namespace hot::bench
