// `hot run` on a generated program shaped like a real open-source project (public headers under
// include/orbit/, src/{core,physics,render,util,app}/, 39 units including two C units) prints
// exactly what the natively built program prints and exits with the same status; an edit of
// one unit while it runs changes its output.
//
// The program leans on what real projects do and toy programs do not: a registry filled by
// static initializers in 20 units, vtables/typeinfo whose key functions live in a different
// (often alphabetically later) unit than the code that constructs the objects, extern and
// static data members defined later, an exception caught by a type whose key function is
// elsewhere, an extern const object with an out-of-line constructor, `extern template`,
// inline functions/variables and a template static data member shared by every unit,
// std::thread, an exception carried from a worker thread by exception_ptr, multiple
// inheritance (thunks, a cross-cast), C units with C-only syntax and a constructor function,
// same-named internal-linkage helpers, and a static destructor printing after main returns.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "RunProcess.h"
#include "TestSupport.h"

namespace {

using Files = std::vector<std::pair<std::string, std::string>>; // path under the project, text

constexpr int kComponents = 20;
constexpr int kExpectedStatus = kComponents % 13; // main returns registry().size() % 13

// ---------------------------------------------------------------------------------------------
// Public headers (include/orbit/).

const char *kRegistryH = R"(#pragma once
#include <map>
#include <memory>
#include <string>
namespace orbit {
class Component {
public:
  virtual ~Component();                  // key function: src/core/registry.cpp
  virtual std::string name() const = 0;
  virtual int score() const = 0;
  virtual std::string describe() const;  // src/core/registry.cpp
};
using Factory = std::unique_ptr<Component> (*)();
std::map<std::string, Factory> &registry();
extern int g_registrations;              // src/util/stats.cpp (sorts after every core unit)
// One object for the whole program, however many units include this header.
inline int &registration_count() { static int n = 0; return n; }
inline int inline_registrations = 0;
template <typename T> struct Tally { static int count; };
template <typename T> int Tally<T>::count = 0;
struct Registrar {
  Registrar(const char *name, Factory make) {
    registry()[name] = make;
    ++registration_count();
    ++inline_registrations;
    ++g_registrations;
    ++Tally<Registrar>::count;
  }
};
} // namespace orbit
)";

const char *kMathH = R"(#pragma once
namespace orbit {
template <typename T> struct Vec2 {
  T x{}, y{};
  Vec2 operator+(const Vec2 &o) const { return {x + o.x, y + o.y}; }
  Vec2 operator*(T s) const { return {x * s, y * s}; }
};
template <typename T> T dot(const Vec2<T> &a, const Vec2<T> &b) { return a.x * b.x + a.y * b.y; }
inline int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }
template <typename T, int N> class Ring {
public:
  void push(T v) {
    data_[head_++ % N] = v;
    if (size_ < N) ++size_;
  }
  T sum() const;
  int size() const { return size_; }
private:
  T data_[N]{};
  int head_ = 0, size_ = 0;
};
template <typename T, int N> T Ring<T, N>::sum() const {
  T s{};
  for (int i = 0; i < size_; ++i) s += data_[i];
  return s;
}
extern template class Ring<int, 8>;  // instantiated once, in src/util/ring.cpp
} // namespace orbit
)";

const char *kBodyH = R"(#pragma once
namespace orbit {
class Body {
public:
  explicit Body(double density) : density_(density) {}
  virtual ~Body();                          // key function: src/physics/body.cpp
  virtual double volume() const = 0;
  virtual const char *kind() const;
  double mass() const { return density_ * volume(); }
protected:
  double density_;
};
class Sphere : public Body {
public:
  Sphere(double r, double density) : Body(density), r_(r) {}
  double volume() const override;           // key function: src/physics/shapes.cpp
  const char *kind() const override;
  double radius() const { return r_; }
private:
  double r_;
};
class Box : public Body {
public:
  Box(double w, double h, double d, double density) : Body(density), w_(w), h_(h), d_(d) {}
  double volume() const override;           // key function: src/physics/shapes.cpp
  const char *kind() const override;
private:
  double w_, h_, d_;
};
} // namespace orbit
)";

const char *kWorldH = R"(#pragma once
#include <memory>
#include <vector>
#include "orbit/body.h"
namespace orbit {
class World {
public:
  World();
  ~World();
  void add(std::unique_ptr<Body> b);
  void step(int n);
  double total_mass() const;
  long work() const { return work_; }
  const std::vector<std::unique_ptr<Body>> &bodies() const { return bodies_; }
  void explode(int code);                  // throws OrbitError when code < 0
  static int instances;                    // src/physics/world.cpp
private:
  std::vector<std::unique_ptr<Body>> bodies_;
  long work_ = 0;
};
} // namespace orbit
)";

const char *kErrorH = R"(#pragma once
#include <stdexcept>
#include <string>
namespace orbit {
class OrbitError : public std::runtime_error {
public:
  OrbitError(const std::string &what, int code);
  ~OrbitError() override;                  // key function: src/util/error.cpp
  virtual int code() const;
private:
  int code_;
};
} // namespace orbit
)";

const char *kRenderH = R"(#pragma once
#include <cstddef>
#include <string>
#include <vector>
namespace orbit {
struct Color {
  Color(int r, int g, int b);               // src/render/color.cpp
  int packed() const;
  int r, g, b;
};
extern const Color kBackground;             // src/render/palette.cpp
extern int g_frame_budget;                  // src/render/zbuffer.cpp
class Renderer {
public:
  virtual ~Renderer();                      // key function: src/render/renderer.cpp
  virtual void plot(int x, int y, float depth) = 0;
  virtual std::string summary() const = 0;
  void line(int x0, int x1, int y);
};
class Describable {
public:
  virtual ~Describable();                   // key function: src/render/renderer.cpp
  virtual std::string label() const = 0;
};
// Two polymorphic bases: calls through Describable go through this-adjusting thunks.
class ZBuffer : public Renderer, public Describable {
public:
  ZBuffer(int w, int h) : w_(w), h_(h), depth_(std::size_t(w * h), 1e9f) {}
  void plot(int x, int y, float depth) override;   // key function: src/render/zbuffer.cpp
  std::string summary() const override;
  std::string label() const override;
private:
  int w_, h_;
  std::vector<float> depth_;
  int written_ = 0;
};
int frame_value();                           // src/render/frame.cpp: the unit edited live
} // namespace orbit
)";

const char *kChecksumH = R"(#ifndef ORBIT_CHECKSUM_H
#define ORBIT_CHECKSUM_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
uint32_t orbit_crc32(const void *data, size_t len);  /* src/util/crc32.c */
uint32_t orbit_fnv1a(const char *text);              /* src/util/fnv.c */
extern int orbit_crc_calls;
extern int orbit_crc_constructed;                    /* set by a constructor function */
int orbit_salt(void);                                /* C++: src/util/salt.cpp */
#ifdef __cplusplus
}
#endif
#endif
)";

const char *kMiscH = R"(#pragma once
#include <string>
#include "orbit/body.h"
namespace orbit {
long parallel_sum(int n, int threads);          // src/util/jobs.cpp (std::thread)
long checked_sum(int n);                         // throws OrbitError (from a worker thread)
std::string describe_body(const Body &b);       // src/app/report.cpp
} // namespace orbit
)";

// ---------------------------------------------------------------------------------------------
// Sources.

const char *kRegistryCpp = R"(#include "orbit/registry.h"
namespace orbit {
std::map<std::string, Factory> &registry() {
  static std::map<std::string, Factory> r;
  return r;
}
Component::~Component() = default;
std::string Component::describe() const { return name() + "#" + std::to_string(score()); }
} // namespace orbit
)";

const char *kBodyCpp = R"(#include "orbit/body.h"
namespace orbit {
Body::~Body() = default;
const char *Body::kind() const { return "body"; }
} // namespace orbit
)";

const char *kShapesCpp = R"(#include "orbit/body.h"
namespace orbit {
double Sphere::volume() const { return 4.0 * r_ * r_ * r_; }
const char *Sphere::kind() const { return "sphere"; }
double Box::volume() const { return w_ * h_ * d_; }
const char *Box::kind() const { return "box"; }
} // namespace orbit
)";

const char *kWorldCpp = R"(#include "orbit/world.h"
#include "orbit/error.h"
#include "orbit/math.h"
#include "orbit/misc.h"
namespace orbit {
namespace {
int scale() { return 3; }  // another scale() lives in zbuffer.cpp: internal linkage, no clash
}
int World::instances = 0;
World::World() { ++instances; }
World::~World() { --instances; }
void World::add(std::unique_ptr<Body> b) { bodies_.push_back(std::move(b)); }
void World::step(int n) {
  Ring<int, 8> recent;
  for (int i = 0; i < n; ++i) {
    recent.push(i * scale());
    work_ += parallel_sum(100 + i, 2);
  }
  work_ += recent.sum();
}
double World::total_mass() const {
  double m = 0;
  for (auto &b : bodies_) m += b->mass();
  return m;
}
void World::explode(int code) {
  if (code < 0) throw OrbitError("negative explosion " + std::to_string(code), code);
}
} // namespace orbit
)";

const char *kRendererCpp = R"(#include "orbit/render.h"
namespace orbit {
Renderer::~Renderer() = default;
Describable::~Describable() = default;
void Renderer::line(int x0, int x1, int y) {
  for (int x = x0; x <= x1; ++x) plot(x, y, float(x + y));
}
} // namespace orbit
)";

const char *kZBufferCpp = R"(#include "orbit/render.h"
namespace orbit {
namespace {
int scale() { return 7; }  // another scale() lives in world.cpp
}
int g_frame_budget = 16;
void ZBuffer::plot(int x, int y, float depth) {
  if (x < 0 || y < 0 || x >= w_ || y >= h_) return;
  float &d = depth_[std::size_t(y * w_ + x)];
  if (depth < d) {
    d = depth;
    ++written_;
  }
}
std::string ZBuffer::summary() const {
  return std::to_string(w_) + "x" + std::to_string(h_) + " written " +
         std::to_string(written_ * scale());
}
std::string ZBuffer::label() const { return "zbuffer[" + std::to_string(w_ * h_) + "]"; }
} // namespace orbit
)";

const char *kColorCpp = R"(#include "orbit/render.h"
namespace orbit {
Color::Color(int r, int g, int b) : r(r), g(g), b(b) {}
int Color::packed() const { return (r << 16) | (g << 8) | b; }
} // namespace orbit
)";

// A dynamically initialized const object: its constructor is in color.cpp.
const char *kPaletteCpp = R"(#include "orbit/render.h"
namespace orbit {
const Color kBackground(12, 34, 56);
} // namespace orbit
)";

const char *kErrorCpp = R"(#include "orbit/error.h"
namespace orbit {
OrbitError::OrbitError(const std::string &what, int code) : std::runtime_error(what), code_(code) {}
OrbitError::~OrbitError() = default;
int OrbitError::code() const { return code_; }
} // namespace orbit
)";

// C only: void* converts implicitly, `new` is an identifier, designated initializer.
const char *kCrc32C = R"(#include "orbit/checksum.h"
int orbit_crc_calls = 0;
int orbit_crc_constructed = 0;
__attribute__((constructor)) static void at_load(void) { orbit_crc_constructed = 1; }
struct crc_table { uint32_t entry[256]; int ready; };
static struct crc_table table = {.ready = 0};
static void fill(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table.entry[n] = c;
  }
  table.ready = 1;
}
uint32_t orbit_crc32(const void *data, size_t len) {
  const unsigned char *bytes = data;
  uint32_t new = 0xFFFFFFFFu;
  if (!table.ready) fill();
  orbit_crc_calls++;
  for (size_t i = 0; i < len; i++) new = table.entry[(new ^ bytes[i]) & 0xFF] ^ (new >> 8);
  return new ^ 0xFFFFFFFFu;
}
)";

const char *kFnvC = R"(#include "orbit/checksum.h"
struct fnv_params { uint32_t basis, prime; };
static const struct fnv_params params = {.prime = 16777619u, .basis = 2166136261u};
uint32_t orbit_fnv1a(const char *text) {
  uint32_t h = params.basis;
  for (const char *p = text; *p; ++p) {
    h ^= (unsigned char)*p;
    h *= params.prime;
  }
  return h ^ (uint32_t)orbit_salt();
}
)";

const char *kSaltCpp = R"(#include "orbit/checksum.h"
extern "C" int orbit_salt(void) { return 0x5a; }
)";

const char *kJobsCpp = R"(#include "orbit/misc.h"
#include "orbit/error.h"
#include <exception>
#include <thread>
#include <vector>
namespace orbit {
long parallel_sum(int n, int threads) {
  std::vector<long> partial(std::size_t(threads), 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&partial, n, threads, t] {
      for (int i = t; i < n; i += threads) partial[std::size_t(t)] += i;
    });
  for (auto &th : pool) th.join();
  long s = 0;
  for (long p : partial) s += p;
  return s;
}
long checked_sum(int n) {
  long result = 0;
  std::exception_ptr failure;
  std::thread worker([&] {
    try {
      if (n < 0) throw OrbitError("worker got " + std::to_string(n), n * 10);
      result = parallel_sum(n, 2);
    } catch (...) {
      failure = std::current_exception();
    }
  });
  worker.join();
  if (failure) std::rethrow_exception(failure);
  return result;
}
} // namespace orbit
)";

const char *kRingCpp = R"(#include "orbit/math.h"
namespace orbit {
template class Ring<int, 8>;
} // namespace orbit
)";

const char *kStatsCpp = R"(#include "orbit/registry.h"
namespace orbit {
int g_registrations = 0;
} // namespace orbit
)";

// A static destructor that prints after main returns, reading a static member of World.
const char *kLogCpp = R"(#include "orbit/registry.h"
#include "orbit/world.h"
#include <cstdio>
namespace {
struct Farewell {
  ~Farewell() {
    std::printf("farewell registrations=%d worlds=%d\n", orbit::g_registrations,
                orbit::World::instances);
    std::fflush(stdout);
  }
} farewell;
} // namespace
)";

const char *kReportCpp = R"(#include "orbit/misc.h"
#include <cstdio>
#include <typeinfo>
namespace orbit {
std::string describe_body(const Body &b) {
  const char *shape = dynamic_cast<const Sphere *>(&b) ? "round" : "flat";
  const char *exact = typeid(b) == typeid(Box) ? "exactly-box" : "not-box";
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s %s %s mass=%.2f", b.kind(), shape, exact, b.mass());
  return buf;
}
} // namespace orbit
)";

// main.cpp sorts before every unit that defines what it uses (physics/, render/, util/).
const char *kMainCpp = R"(#include "orbit/checksum.h"
#include "orbit/error.h"
#include "orbit/misc.h"
#include "orbit/registry.h"
#include "orbit/render.h"
#include "orbit/world.h"
#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>

static void report(std::ostringstream &out) {
  int total = 0;
  out << "orbit report\n";
  for (const auto &[name, make] : orbit::registry()) {
    auto c = make();
    out << "  " << c->describe() << "\n";
    total += c->score();
  }
  out << "components " << orbit::registry().size() << " registrations " << orbit::g_registrations
      << " " << orbit::registration_count() << " " << orbit::inline_registrations << " total "
      << total << "\n";
  orbit::World world;
  world.add(std::make_unique<orbit::Sphere>(1.5, 2.0));
  world.add(std::make_unique<orbit::Box>(1, 2, 3, 0.5));
  world.step(12);
  for (auto &b : world.bodies()) out << "  " << orbit::describe_body(*b) << "\n";
  out << "mass " << world.total_mass() << " work " << world.work() << " worlds "
      << orbit::World::instances << "\n";
  try {
    world.explode(-3);
    out << "no error\n";
  } catch (orbit::OrbitError &e) {
    out << "caught " << e.what() << " code " << e.code() << "\n";
  }
  try {
    long ok = orbit::checked_sum(10);
    out << "checked " << ok << "\n";
    long never = orbit::checked_sum(-4);
    out << "checked " << never << "\n";
  } catch (orbit::OrbitError &e) {
    out << "caught from thread " << e.what() << " code " << e.code() << "\n";
  }
  std::unique_ptr<orbit::Describable> d = std::make_unique<orbit::ZBuffer>(8, 4);
  auto *r = dynamic_cast<orbit::Renderer *>(d.get());  // cross-cast between the two bases
  for (int y = 0; y < 4; ++y) r->line(0, 7, y);
  r->plot(3, 3, -1.0f);
  out << "zbuffer " << r->summary() << " " << d->label() << " budget " << orbit::g_frame_budget
      << " background " << std::hex << orbit::kBackground.packed() << std::dec << "\n";
  out << "tally " << orbit::Tally<orbit::Registrar>::count << " c-constructor "
      << orbit_crc_constructed << "\n";
}

// Prints frame_value() whenever it changes until the stop file exists (at most ~60 s).
static void frames(const char *stop_file) {
  int last = -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int v = orbit::frame_value();
    if (v != last) {
      std::printf("frame %d\n", v);
      std::fflush(stdout);
      last = v;
    }
    if (access(stop_file, F_OK) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int main(int argc, char **argv) {
  if (argc < 2) return 100;
  std::ostringstream out;
  report(out);
  std::string text = out.str();
  std::fputs(text.c_str(), stdout);
  std::printf("crc %08x fnv %08x crc_calls %d\n", orbit_crc32(text.data(), text.size()),
              orbit_fnv1a(text.c_str()), orbit_crc_calls);
  std::fflush(stdout);
  frames(argv[1]);
  return int(orbit::registry().size() % 13);
}
)";

// The edited unit reads objects defined (and dynamically initialized) in other units: every
// version must see the program's objects, not fresh copies. Both terms below are 0.
std::string frameCpp(int value) {
  return R"(#include "orbit/registry.h"
#include "orbit/render.h"
namespace orbit {
int frame_value() { return )" +
         std::to_string(value) + R"( + (kBackground.r - 12) + (int(registry().size()) - 20); }
} // namespace orbit
)";
}

// Component i lives in one of four folders; each has a same-named internal helper `weight()`.
std::string componentPath(int i) {
  static const char *kFolders[] = {"core", "physics", "render", "util"};
  char name[32];
  std::snprintf(name, sizeof name, "component_%02d", i);
  return std::string("src/") + kFolders[i % 4] + "/" + name + ".cpp";
}

std::string componentCpp(int i) {
  std::string n = std::to_string(i);
  char name[32];
  std::snprintf(name, sizeof name, "component_%02d", i);
  // Components also reach the extern template, the extern const object and the extern int.
  std::string extra = i % 5 == 0 ? "orbit::Ring<int, 8> ring; ring.push(s); ring.push(" + n +
                                       "); s = ring.sum();"
                      : i % 5 == 1 ? "s += orbit::kBackground.b % 7;"
                      : i % 5 == 2 ? "s += orbit::g_frame_budget;"
                                   : "s += orbit::clampi(s, 0, 50);";
  return std::string(R"(#include "orbit/math.h"
#include "orbit/registry.h"
#include "orbit/render.h"
#include <memory>
#include <string>
namespace {
int weight() { return )") +
         n + R"( * 3 + 1; }
class Component)" + n + R"( final : public orbit::Component {
public:
  std::string name() const override { return ")" + name + R"("; }
  int score() const override {
    orbit::Vec2<int> v{weight(), )" + n + R"(};
    int s = orbit::dot(v + v * 2, v) % 97;
    )" + extra + R"(
    return s;
  }
};
orbit::Registrar reg(")" + name + R"(", []() -> std::unique_ptr<orbit::Component> {
  return std::make_unique<Component)" + n + R"(>();
});
} // namespace
)";
}

Files projectFiles(int frame) {
  Files f = {
      {"include/orbit/registry.h", kRegistryH}, {"include/orbit/math.h", kMathH},
      {"include/orbit/body.h", kBodyH},         {"include/orbit/world.h", kWorldH},
      {"include/orbit/error.h", kErrorH},       {"include/orbit/render.h", kRenderH},
      {"include/orbit/checksum.h", kChecksumH}, {"include/orbit/misc.h", kMiscH},
      {"src/app/main.cpp", kMainCpp},           {"src/app/report.cpp", kReportCpp},
      {"src/core/registry.cpp", kRegistryCpp},  {"src/physics/body.cpp", kBodyCpp},
      {"src/physics/shapes.cpp", kShapesCpp},   {"src/physics/world.cpp", kWorldCpp},
      {"src/render/renderer.cpp", kRendererCpp}, {"src/render/zbuffer.cpp", kZBufferCpp},
      {"src/render/color.cpp", kColorCpp},      {"src/render/palette.cpp", kPaletteCpp},
      {"src/render/frame.cpp", frameCpp(frame)}, {"src/util/error.cpp", kErrorCpp},
      {"src/util/crc32.c", kCrc32C},            {"src/util/fnv.c", kFnvC},
      {"src/util/salt.cpp", kSaltCpp},          {"src/util/jobs.cpp", kJobsCpp},
      {"src/util/ring.cpp", kRingCpp},          {"src/util/stats.cpp", kStatsCpp},
      {"src/util/log.cpp", kLogCpp},
  };
  for (int i = 0; i < kComponents; ++i) f.emplace_back(componentPath(i), componentCpp(i));
  return f;
}

// ---------------------------------------------------------------------------------------------
// Native build: every unit compiled on its own (two at a time), then one link.

std::string compileCommand(const std::string &root, const std::string &unit) {
  bool c = unit.ends_with(".c");
  std::string compiler = c ? "/usr/bin/clang-22 -std=gnu17" : "/usr/bin/clang++-22 -std=c++20";
  std::string object = unit;
  std::replace(object.begin(), object.end(), '/', '_');
  return compiler + " -I " + root + "/include -c " + root + "/" + unit + " -o " + root + "/obj/" +
         object + ".o 2>&1";
}

/// Returns the compiler/linker output of every failing step (empty on success).
std::string buildNative(const std::string &root, const Files &files) {
  std::vector<std::string> units;
  for (auto &[path, text] : files)
    if (path.ends_with(".cpp") || path.ends_with(".c")) units.push_back(path);
  std::filesystem::create_directories(root + "/obj");
  std::vector<std::string> errors(2);
  std::vector<std::thread> workers;
  for (size_t w = 0; w < errors.size(); ++w)
    workers.emplace_back([&, w] {
      for (size_t i = w; i < units.size(); i += errors.size()) {
        auto o = hot::test::runCommand(compileCommand(root, units[i]));
        if (o.status != 0) errors[w] += units[i] + ":\n" + o.out;
      }
    });
  for (auto &t : workers) t.join();
  std::string all = errors[0] + errors[1];
  if (!all.empty()) return all;
  auto link = hot::test::runCommand("/usr/bin/clang++-22 -pthread " + root + "/obj/*.o -o " +
                                    root + "/native 2>&1");
  return link.status == 0 ? "" : "link:\n" + link.out;
}

std::string hotCommandPrefix(const std::string &root) {
  return hot::test::hotBinary() + " run --quiet " + root + "/src -I " + root +
         "/include -l pthread -- " + root + "/stop";
}

std::string readText(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// ---------------------------------------------------------------------------------------------
// The live run: `hot run` as a child with stdout on a pipe and stderr in a file.

struct Child {
  pid_t pid = -1;
  int out = -1;
};

Child spawnShell(const std::string &cmd, const std::string &cwd) {
  int from[2];
  EXPECT_EQ(pipe(from), 0);
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(from[1], 1);
    close(from[0]);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char *>(nullptr));
    _exit(127);
  }
  close(from[1]);
  c.out = from[0];
  return c;
}

/// Reads from `fd` into `seen` until `needle` appears, EOF, or the deadline; true if found.
bool readUntil(int fd, std::string &seen, const std::string &needle, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (seen.find(needle) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, int(left.count())) <= 0) return false;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    seen.append(buf, size_t(n));
  }
  return true;
}

/// Reads until EOF (the child exited and closed its stdout) or the deadline.
void readToEnd(int fd, std::string &seen, int timeout_ms) {
  readUntil(fd, seen, std::string(1, '\0'), timeout_ms); // the program never prints a NUL
}

/// Waits (bounded) for the child; kills it if it does not exit. 128+signal on a signal.
int waitBounded(pid_t pid, int timeout_ms) {
  int st = 0;
  for (int waited = 0; waited < timeout_ms; waited += 50) {
    if (waitpid(pid, &st, WNOHANG) == pid)
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    usleep(50000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &st, 0);
  return -1;
}

struct LiveOutcome {
  bool first = false, changed = false;
  std::string out, err;
  int status = -1;
};

/// Runs the program under `hot run`, waits for its first frame value, rewrites frame.cpp and
/// waits for the new value, then stops it through the stop file.
LiveOutcome runWithLiveEdit(const hot::test::TempDir &dir, const std::string &root) {
  LiveOutcome o;
  std::filesystem::remove(dir.file("stop"));
  Child c = spawnShell(hotCommandPrefix(root) + " 2>live.err", root);
  o.first = readUntil(c.out, o.out, "frame 100\n", 180000); // first load: slow under sanitizers
  if (o.first) hot::test::writeFile(dir.file("src/render/frame.cpp"), frameCpp(200));
  o.changed = o.first && readUntil(c.out, o.out, "frame 200\n", 60000);
  hot::test::writeFile(dir.file("stop"), "");
  readToEnd(c.out, o.out, 30000);
  close(c.out);
  o.status = waitBounded(c.pid, 30000);
  o.err = readText(dir.file("live.err"));
  return o;
}

class RealisticProject : public ::testing::Test {
protected:
  void SetUp() override {
    for (auto &[path, text] : projectFiles(100)) hot::test::writeFile(dir.file(path), text);
  }
  std::string root() const { return dir.path().string(); }
  hot::test::TempDir dir;
};

TEST_F(RealisticProject, HotRunMatchesNativeBuildThenLiveEditOfOneUnit) {
  ASSERT_EQ(buildNative(root(), projectFiles(100)), "");

  // Both runs stop the frame loop at once: the stop file already exists.
  hot::test::writeFile(dir.file("stop"), "");
  auto nat =
      hot::test::runCommand("cd " + root() + " && ./native " + root() + "/stop 2>native.err");
  ASSERT_EQ(nat.status, kExpectedStatus) << nat.out << readText(dir.file("native.err"));
  ASSERT_NE(nat.out.find("caught negative explosion -3 code -3"), std::string::npos) << nat.out;
  ASSERT_NE(nat.out.find("frame 100\nfarewell registrations=20 worlds=0\n"), std::string::npos)
      << nat.out;

  auto jit =
      hot::test::runCommand("cd " + root() + " && " + hotCommandPrefix(root()) + " 2>hot.err");
  std::string jit_err = readText(dir.file("hot.err"));
  EXPECT_EQ(jit.out, nat.out) << "hot run stderr:\n" << jit_err;
  EXPECT_EQ(jit.status, nat.status) << "hot run stderr:\n" << jit_err;

  // Live: the loop keeps calling frame_value(); an edit of frame.cpp changes what it prints.
  LiveOutcome live = runWithLiveEdit(dir, root());
  EXPECT_TRUE(live.first) << live.out << "\nstderr:\n" << live.err;
  EXPECT_TRUE(live.changed) << live.out << "\nstderr:\n" << live.err;
  // The report before the loop is the native one; then the two values and the same farewell.
  std::string report = nat.out.substr(0, nat.out.find("frame 100\n"));
  EXPECT_EQ(live.out, report + "frame 100\nframe 200\nfarewell registrations=20 worlds=0\n")
      << "stderr:\n" << live.err;
  EXPECT_EQ(live.status, kExpectedStatus) << "stderr:\n" << live.err;
}

TEST_F(RealisticProject, SecondRunLinksEveryUnitFromItsCachedObjectsAndStillMatchesNative) {
  ASSERT_EQ(buildNative(root(), projectFiles(100)), "");
  hot::test::writeFile(dir.file("stop"), "");
  auto nat =
      hot::test::runCommand("cd " + root() + " && ./native " + root() + "/stop 2>native.err");
  ASSERT_EQ(nat.status, kExpectedStatus) << nat.out << readText(dir.file("native.err"));
  // A cache of its own; the first run fills it, the second reads every unit back.
  std::string run = "cd " + root() + " && XDG_CACHE_HOME=" + dir.file("cache") + " " +
                    hotCommandPrefix(root());
  run.insert(run.find(" run --quiet") + 4, " --stats");
  auto cold = hot::test::runCommand(run + " 2>cold.err");
  std::string cold_err = readText(dir.file("cold.err"));
  ASSERT_EQ(cold.out, nat.out) << cold_err;
  auto warm = hot::test::runCommand(run + " 2>warm.err");
  std::string warm_err = readText(dir.file("warm.err"));
  EXPECT_EQ(warm.out, nat.out) << warm_err;
  EXPECT_EQ(warm.status, nat.status) << warm_err;
  // "hot: cache DIR: N read back (M linked from their objects), K compiled, C corrupt"
  unsigned long read_back = 0, linked = 0, compiled = 1, corrupt = 1;
  size_t at = warm_err.find("hot: cache ");
  ASSERT_NE(at, std::string::npos) << warm_err;
  size_t colon = warm_err.find(": ", at + 11);
  ASSERT_NE(colon, std::string::npos) << warm_err;
  ASSERT_EQ(std::sscanf(warm_err.c_str() + colon,
                        ": %lu read back (%lu linked from their objects), %lu compiled, %lu corrupt",
                        &read_back, &linked, &compiled, &corrupt),
            4)
      << warm_err;
  EXPECT_GE(read_back, 30u) << warm_err;
  EXPECT_EQ(linked, read_back) << warm_err;
  EXPECT_EQ(compiled, 0u) << warm_err;
  EXPECT_EQ(corrupt, 0u) << warm_err;
}

} // namespace
