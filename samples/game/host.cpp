// hot_game: a tiny game loop whose update and render functions are hot-reloaded by hotengine.
//
// The host (this file) is compiled ahead of time. It owns the World, runs the loop and, once per
// tick, calls engine->update(): the safe point where finished reloads are applied. The game's
// logic lives in live/world.cpp, which hotengine compiles at run time and recompiles whenever it
// is saved; the next tick already runs the new code.
//
//   hot_game [--live DIR] [--frames N] [--fps N] [--self-check]
//
// --self-check copies the live folder to a temp dir, edits the copy (a new banner, a new update
// rule, a syntax error, a fix) and checks each step shows up. It prints "self-check: PASS" or
// "self-check: FAIL: <why>". The repository's files are never modified.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hot/hot.h"
#include "world.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

#ifndef HOT_GAME_LIVE_DIR
#define HOT_GAME_LIVE_DIR "live"
#endif

namespace {

// ---------------------------------------------------------------------------------------------
// Command line

struct Options {
  std::string live = HOT_GAME_LIVE_DIR; // folder with the live code (baked in at build time)
  long frames = 0;                      // 0 = run until Ctrl-C
  int fps = 30;
  bool self_check = false;
};

const char *kUsage = "usage: hot_game [--live DIR] [--frames N] [--fps N] [--self-check]\n"
                     "  --live DIR     folder of live code to compile and watch (default: %s)\n"
                     "  --frames N     stop after N frames (default 0: run until Ctrl-C)\n"
                     "  --fps N        frames per second (default 30)\n"
                     "  --self-check   edit a temp copy of the live folder and verify reloads\n";

bool parseNumber(const char *text, long min, long max, long &out) {
  char *end = nullptr;
  errno = 0;
  long v = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < min || v > max) return false;
  out = v;
  return true;
}

/// Returns false (after printing why) on a bad command line.
bool parseOptions(int argc, char **argv, Options &o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char * { return i + 1 < argc ? argv[++i] : nullptr; };
    long n = 0;
    if (a == "--help" || a == "-h") {
      std::printf(kUsage, HOT_GAME_LIVE_DIR);
      std::exit(0);
    } else if (a == "--self-check") {
      o.self_check = true;
    } else if (a == "--live") {
      const char *v = value();
      if (!v) return std::fprintf(stderr, "hot_game: --live needs a folder\n"), false;
      o.live = v;
    } else if (a == "--frames") {
      const char *v = value();
      if (!v || !parseNumber(v, 0, 1L << 40, n))
        return std::fprintf(stderr, "hot_game: --frames needs a number >= 0\n"), false;
      o.frames = n;
    } else if (a == "--fps") {
      const char *v = value();
      if (!v || !parseNumber(v, 1, 1000, n))
        return std::fprintf(stderr, "hot_game: --fps needs a number from 1 to 1000\n"), false;
      o.fps = static_cast<int>(n);
    } else {
      std::fprintf(stderr, "hot_game: unknown option '%s'\n", a.c_str());
      std::fprintf(stderr, kUsage, HOT_GAME_LIVE_DIR);
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Reload events

std::string fileName(const std::string &path) { return fs::path(path).filename().string(); }

/// Prints every reload event to stderr and remembers them (for the self-check and the status
/// lines shown under the frame on a terminal).
class EventLog : public hot::Listener {
public:
  void onReload(const hot::ReloadEvent &e) override {
    std::ostringstream out;
    if (e.success) {
      out << "[hot] " << (e.version <= 1 ? "loaded " : "reloaded ") << fileName(e.unit) << " (v"
          << e.version << ") in " << static_cast<int>(e.compile_ms) << " ms compile + "
          << static_cast<int>(e.link_ms) << " ms link\n";
    } else {
      out << "[hot] " << fileName(e.unit) << ": " << hot::toString(e.code) << " - version "
          << e.version << " keeps running\n";
      // Compiler errors in clang's own format: file:line:col, the source line and a caret.
      bool any = false;
      for (const hot::Diagnostic &d : e.diagnostics) {
        if (d.severity == hot::Severity::Note && !any) continue;
        out << d.formatted;
        if (!d.formatted.empty() && d.formatted.back() != '\n') out << '\n';
        any = true;
      }
      if (!any) out << e.message << '\n'; // link errors etc. have no compiler diagnostics
    }
    std::fputs(out.str().c_str(), stderr);
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(e);
    status_ = out.str();
  }
  void onMessage(hot::Severity, const std::string &message) override {
    std::fprintf(stderr, "[hot] %s\n", message.c_str());
  }

  std::vector<hot::ReloadEvent> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  /// The text of the last event (shown under the frame on a terminal).
  std::string status() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

private:
  std::mutex mu_;
  std::vector<hot::ReloadEvent> events_;
  std::string status_;
};

// ---------------------------------------------------------------------------------------------
// The game: an engine, handles to the live functions, and the World the host owns.

struct Game {
  EventLog log; // declared first: must outlive the engine that calls it
  std::unique_ptr<hot::HotEngine> engine;
  hot::Function<void(game::World &, double)> update;
  hot::Function<std::string(const game::World &)> render;
  hot::Function<long()> framesDrawn;
  game::World world;

  /// Compiles and watches `dir`, then looks up the live functions. Returns an error text or "".
  std::string start(const std::string &dir) {
    auto created = hot::HotEngine::create();
    if (!created.ok()) return "cannot create the engine: " + created.status().message();
    engine = std::move(created.value());
    engine->setListener(&log);
    if (hot::Status st = engine->watch(dir); !st.ok()) {
      std::string why = "cannot load " + dir + ": " + st.message();
      for (const hot::Diagnostic &d : st.diagnostics()) why += "\n" + d.formatted;
      return why;
    }
    auto u = engine->function<void(game::World &, double)>("game::update");
    auto r = engine->function<std::string(const game::World &)>("game::render");
    auto f = engine->function<long()>("game::framesDrawn");
    if (!u.ok()) return "game::update: " + u.status().message();
    if (!r.ok()) return "game::render: " + r.status().message();
    if (!f.ok()) return "game::framesDrawn: " + f.status().message();
    update = u.value(), render = r.value(), framesDrawn = f.value();
    return "";
  }

  /// One tick: apply finished reloads (the safe point), advance the world, draw it.
  std::string tick(double dt) {
    engine->update();
    update(world, dt);
    return render(world);
  }
};

// ---------------------------------------------------------------------------------------------
// Normal mode: run the loop and show the frames.

volatile std::sig_atomic_t g_quit = 0;
void onSignal(int) { g_quit = 1; }

/// Adds "clear to end of line" before each newline so shorter lines erase the previous frame's.
std::string eraseLineEnds(const std::string &text) {
  std::string out;
  for (char c : text) out += c == '\n' ? std::string("\x1b[K\n") : std::string(1, c);
  return out;
}

int runGame(const Options &o) {
  Game g;
  std::fprintf(stderr, "hot_game: compiling %s ...\n", o.live.c_str());
  if (std::string err = g.start(o.live); !err.empty()) {
    std::fprintf(stderr, "hot_game: %s\n", err.c_str());
    return 1;
  }
  std::fprintf(stderr, "hot_game: running. Edit %s/world.cpp and save; Ctrl-C quits.\n",
               o.live.c_str());
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);

  const bool tty = ::isatty(STDOUT_FILENO);
  if (tty) std::fputs("\x1b[2J\x1b[?25l", stdout); // clear the screen, hide the cursor
  const auto period = std::chrono::microseconds(1000000 / o.fps);
  auto next = Clock::now();
  for (long n = 0; !g_quit && (o.frames == 0 || n < o.frames); ++n) {
    std::string frame = g.tick(1.0 / o.fps);
    if (tty) {
      // Home the cursor and draw over the last frame; the last reload event stays visible below
      // the frame (plain stderr lines would be overwritten by the next frame).
      std::string screen = "\x1b[H" + frame + "\n" + g.log.status();
      std::fputs((eraseLineEnds(screen) + "\x1b[J").c_str(), stdout);
    } else {
      if (n > 0) std::fputs("\n", stdout); // frames separated by an empty line
      std::fputs(frame.c_str(), stdout);
    }
    std::fflush(stdout);
    next += period;
    std::this_thread::sleep_until(next);
  }
  if (tty) std::fputs("\x1b[?25h", stdout); // show the cursor again
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Self-check mode: edit a temp copy of the live folder and verify every step.

/// A fresh temp folder holding a copy of the live code; removed on destruction.
class TempCopy {
public:
  explicit TempCopy(const std::string &source) {
    std::string tmpl = (fs::temp_directory_path() / "hot-game-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return;
    root_ = tmpl;
    std::error_code ec;
    fs::copy(source, root_ / "live", fs::copy_options::recursive, ec);
    if (ec) error_ = "cannot copy " + source + ": " + ec.message();
  }
  ~TempCopy() {
    std::error_code ec;
    if (!root_.empty()) fs::remove_all(root_, ec);
  }
  std::string live() const { return (root_ / "live").string(); }
  std::string error() const { return root_.empty() ? "cannot create a temp folder" : error_; }

private:
  fs::path root_;
  std::string error_;
};

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Saves like most editors: write a temp file next to it, then rename it over the original, so the
/// engine never sees a half-written file. (The temp name has no .cpp extension: not a unit.)
void saveFile(const std::string &path, const std::string &text) {
  std::string tmp = path + ".saving";
  std::ofstream(tmp, std::ios::binary | std::ios::trunc) << text;
  fs::rename(tmp, path);
}

struct CheckFailed {
  std::string why;
};
[[noreturn]] void fail(const std::string &why) { throw CheckFailed{why}; }

/// Replaces the one occurrence of `from` in `text`; fails if it is missing or not unique.
std::string replaceOnce(const std::string &text, const std::string &from, const std::string &to) {
  size_t at = text.find(from);
  if (at == std::string::npos || text.find(from, at + 1) != std::string::npos)
    fail("the live code must contain `" + from + "` exactly once (was world.cpp edited? "
         "the self-check edits a copy of it by search and replace)");
  return text.substr(0, at) + to + text.substr(at + from.size());
}

/// 1-based line number of the (first) occurrence of `what` in `text`.
unsigned lineOf(const std::string &text, const std::string &what) {
  size_t at = text.find(what);
  return 1 + static_cast<unsigned>(std::count(text.begin(), text.begin() + at, '\n'));
}

class SelfCheck {
public:
  explicit SelfCheck(Game &g) : g_(g) {}

  /// Ticks until `done(frame)` holds (60 s at most). Fails early if a reload fails, unless
  /// `failure_ok`. Returns the frame that satisfied `done`.
  std::string tickUntil(const std::string &what, const std::function<bool(const std::string &)> &done,
                        bool failure_ok = false) {
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
      std::string frame = tick();
      if (!failure_ok)
        for (const hot::ReloadEvent &e : newEvents())
          if (!e.success) fail("reload of " + e.unit + " failed while waiting for " + what + ":\n" + e.message);
      if (done(frame)) return frame;
      std::this_thread::sleep_for(std::chrono::milliseconds(10)); // leave CPU to the compiler
    }
    fail("timed out after 60 s waiting for " + what);
  }

  /// One tick, counting the frames drawn so the frame counter can be checked.
  std::string tick() {
    ++ticks_;
    return g_.tick(1.0 / 30);
  }
  long ticks() const { return ticks_; }

  /// Reload events not returned by a previous call.
  std::vector<hot::ReloadEvent> newEvents() {
    auto all = g_.log.events();
    std::vector<hot::ReloadEvent> fresh(all.begin() + static_cast<long>(seen_), all.end());
    seen_ = all.size();
    return fresh;
  }

  /// The ball's vertical speed after one update of a fresh World: tells the update rules apart.
  double probeRule() {
    game::World probe;
    g_.update(probe, 0.1);
    return probe.vy;
  }

private:
  Game &g_;
  long ticks_ = 0;
  size_t seen_ = 0;
};

bool contains(const std::string &s, const std::string &what) { return s.find(what) != std::string::npos; }

void step(const std::string &what) { std::printf("self-check: %s\n", what.c_str()); std::fflush(stdout); }

void showFrame(const std::string &frame) { std::printf("%s", frame.c_str()); std::fflush(stdout); }

void runSelfCheck(const Options &o) {
  TempCopy copy(o.live);
  if (!copy.error().empty()) fail(copy.error());
  const std::string unit = copy.live() + "/world.cpp";
  if (!fs::exists(unit)) fail("no world.cpp in " + o.live);
  step("watching a copy of the live code in " + copy.live());

  Game g;
  if (std::string err = g.start(copy.live()); !err.empty()) fail(err);
  SelfCheck c(g);
  c.newEvents(); // the first load

  // 1. The first version runs.
  const std::string v1 = readFile(unit);
  std::string frame;
  for (int i = 0; i < 10; ++i) frame = c.tick();
  if (!contains(frame, "hotengine v1")) fail("the first frame does not show 'hotengine v1':\n" + frame);
  showFrame(frame);
  step("v1 runs (banner 'hotengine v1', ball 'o')");

  // 2. Edit the renderer (banner text, ball character) and the update rule (gravity up).
  std::string v2 = replaceOnce(v1, "hotengine v1", "hotengine v2");
  v2 = replaceOnce(v2, "kBall = 'o'", "kBall = '@'");
  v2 = replaceOnce(v2, "kGravity = 30;", "kGravity = -30;");
  const double rule_before = c.probeRule();
  const long count_before = g.framesDrawn(), ticks_before = c.ticks();
  saveFile(unit, v2);
  step("edited the copy: new banner, ball '@', gravity pulls up; waiting for the reload");
  frame = c.tickUntil("the frame to show 'hotengine v2'",
                      [](const std::string &f) { return contains(f, "hotengine v2"); });
  showFrame(frame);
  if (!contains(frame, "@")) fail("the reloaded frame shows the new banner but not the new ball '@'");
  const double rule_after = c.probeRule();
  if (rule_after == rule_before)
    fail("update() did not change after the reload (probe vy " + std::to_string(rule_after) + ")");
  // frames_drawn is a global in world.cpp: it must keep counting across the reload.
  const long count_after = g.framesDrawn(), expected = count_before + (c.ticks() - ticks_before);
  if (count_after <= count_before || count_after != expected)
    fail("the frame counter in world.cpp did not survive the reload: " + std::to_string(count_before) +
         " before, " + std::to_string(count_after) + " after (expected " + std::to_string(expected) + ")");
  step("v2 runs: new banner and ball, new update rule (probe vy " + std::to_string(rule_before) +
       " -> " + std::to_string(rule_after) + "), frame counter kept counting (" +
       std::to_string(count_before) + " -> " + std::to_string(count_after) + ")");

  // 3. A syntax error: an error event with file:line:col; the old code keeps running.
  const std::string broken_from = "++frames_drawn;";
  const std::string broken = replaceOnce(v2, broken_from, "++frames_drawn");
  const unsigned broken_line = lineOf(v2, broken_from);
  saveFile(unit, broken);
  step("saved a syntax error (missing ';' on line " + std::to_string(broken_line) + "); waiting for the error");
  hot::ReloadEvent error;
  c.tickUntil("the compile error event", [&](const std::string &) {
    for (const hot::ReloadEvent &e : c.newEvents()) {
      if (e.success) fail("the broken version was accepted (v" + std::to_string(e.version) + ")");
      error = e;
      return true;
    }
    return false;
  }, /*failure_ok=*/true);
  if (error.code != hot::ErrorCode::CompileError)
    fail(std::string("expected a compile error, got: ") + hot::toString(error.code) + ": " + error.message);
  std::smatch m;
  if (!std::regex_search(error.message, m, std::regex(R"(world\.cpp:(\d+):(\d+): error)")))
    fail("the error message does not name world.cpp:line:col: " + error.message);
  if (std::stoul(m[1]) != broken_line)
    fail("the error names line " + m[1].str() + ", expected " + std::to_string(broken_line) + ": " + error.message);
  if (error.diagnostics.empty() || !contains(error.diagnostics[0].formatted, "^"))
    fail("the error has no clang-style diagnostic with a caret");
  for (int i = 0; i < 20; ++i) frame = c.tick();
  if (!contains(frame, "hotengine v2")) fail("the old version stopped running after the error:\n" + frame);
  step("error reported at world.cpp:" + m[1].str() + ":" + m[2].str() + "; v2 keeps running");

  // 4. Fix it (with one more visible change) and see it reload.
  const long count_fixed_before = g.framesDrawn();
  c.newEvents(); // only events of the fix matter from here
  saveFile(unit, replaceOnce(v2, "hotengine v2", "hotengine v3"));
  step("fixed the error (banner 'hotengine v3'); waiting for the reload");
  frame = c.tickUntil("the frame to show 'hotengine v3'",
                      [](const std::string &f) { return contains(f, "hotengine v3"); });
  showFrame(frame);
  if (g.framesDrawn() <= count_fixed_before) fail("the frame counter was reset by the fix");
  step("v3 runs after the fix");
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  if (!parseOptions(argc, argv, o)) return 2;
  if (!o.self_check) return runGame(o);
  try {
    runSelfCheck(o);
  } catch (const CheckFailed &f) {
    std::printf("self-check: FAIL: %s\n", f.why.c_str());
    return 1;
  }
  std::printf("self-check: PASS\n");
  return 0;
}
