// greeter: a host program whose greeting lives in live/greeter.cpp, compiled and hot-reloaded by
// hotengine. CMakeLists.txt marks live/ with hot_live_sources(), which provides HOT_CONFIG_PATH
// (the engine config generated from this target's include directories and definitions) and
// HOT_LIVE_DIR (the live folder).
//
//   greeter [--live DIR] [--name NAME] [--self-check]
//
// Without --self-check it prints the greeting, then again whenever a reload changes it (edit and
// save live/greeter.cpp), until Ctrl-C. --self-check copies the live folder to a temp dir, edits
// the copy and verifies the new greeting arrives; it prints "self-check: PASS" and exits 0, or
// "self-check: FAIL: <why>" and exits 1.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <hot/hot.h>

#include "greeter_config.h"

namespace fs = std::filesystem;

namespace {

/// Prints every reload to stderr and keeps the last failure (for error messages).
class Reporter : public hot::Listener {
public:
  void onReload(const hot::ReloadEvent &e) override {
    if (e.success) {
      std::fprintf(stderr, "[hot] %s: version %u (%.0f ms)\n", e.unit.c_str(), e.version,
                   e.compile_ms + e.link_ms);
    } else {
      std::fprintf(stderr, "[hot] %s: reload failed: %s\n", e.unit.c_str(), e.message.c_str());
      last_error = e.message;
    }
  }
  std::string last_error;
};

std::string readFile(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Saves like an editor: write next to the file, then rename over it (no half-written file).
bool saveFile(const fs::path &path, const std::string &text) {
  fs::path tmp = path;
  tmp += ".saving";
  if (!(std::ofstream(tmp, std::ios::binary | std::ios::trunc) << text)) return false;
  std::error_code ec;
  fs::rename(tmp, path, ec);
  return !ec;
}

int fail(const std::string &why) {
  std::printf("self-check: FAIL: %s\n", why.c_str());
  return 1;
}

/// Edits a copy of live/greeter.cpp and checks that the new greeting arrives at a safe point and
/// that the unit's state (its load counter) survived the reload.
int selfCheck(hot::HotEngine &engine, const Reporter &reporter, const fs::path &live,
              const std::string &name) {
  auto greet = engine.function<std::string(const std::string &)>("greeter::greet");
  auto loads = engine.function<int()>("greeter::loads");
  if (!greet.ok()) return fail(greet.status().message());
  if (!loads.ok()) return fail(loads.status().message());

  const std::string expected1 = "Hello, " + name + "!";
  if (std::string got = (*greet)(name); got != expected1)
    return fail("first greeting is \"" + got + "\", expected \"" + expected1 + "\"");
  if (int n = (*loads)(); n != 1) return fail("loads() is " + std::to_string(n) + " after the first load");
  std::printf("self-check: first load says \"%s\"\n", expected1.c_str());

  fs::path unit = live / "greeter.cpp";
  std::string text = readFile(unit);
  const std::string from = "std::string(GREETER_SALUTATION)";
  size_t at = text.find(from);
  if (at == std::string::npos) return fail(unit.string() + " does not contain " + from);
  text.replace(at, from.size(), "std::string(\"Howdy\")");
  if (!saveFile(unit, text)) return fail("cannot write " + unit.string());

  const std::string expected2 = "Howdy, " + name + "!";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string got;
  while ((got = (*greet)(name)) != expected2) {
    if (std::chrono::steady_clock::now() > deadline)
      return fail("no reload within 60 s (greeting still \"" + got + "\")" +
                  (reporter.last_error.empty() ? "" : ": " + reporter.last_error));
    engine.update();  // the safe point: finished reloads are applied here
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (int n = (*loads)(); n != 2) return fail("loads() is " + std::to_string(n) + " after one reload");
  std::printf("self-check: after the edit it says \"%s\" (version 2, state kept)\n", got.c_str());
  std::printf("self-check: PASS\n");
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  std::string live = HOT_LIVE_DIR, name = "CMake";
  bool self_check = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--live" && i + 1 < argc) live = argv[++i];
    else if (a == "--name" && i + 1 < argc) name = argv[++i];
    else if (a == "--self-check") self_check = true;
    else {
      std::fprintf(stderr, "usage: %s [--live DIR] [--name NAME] [--self-check]\n"
                           "  --live DIR    live code to compile and watch (default: %s)\n",
                   argv[0], HOT_LIVE_DIR);
      return 2;
    }
  }

  // The self-check edits files: it works on a temp copy, never on `live` itself.
  fs::path temp;
  if (self_check) {
    std::string tmpl = (fs::temp_directory_path() / "greeter-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return fail("cannot create a temp folder");
    temp = tmpl;
    std::error_code ec;
    fs::copy(live, temp / "live", fs::copy_options::recursive, ec);
    if (ec) return fail("cannot copy " + live + ": " + ec.message());
    live = (temp / "live").string();
  }
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      if (!dir.empty()) fs::remove_all(dir, ec);
    }
  } cleanup{temp};

  auto config = hot::Config::fromJsonFile(HOT_CONFIG_PATH);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().message().c_str());
    return 1;
  }
  Reporter reporter;  // declared before the engine: it must outlive it
  auto engine = hot::HotEngine::create(*config);
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().message().c_str());
    return 1;
  }
  (*engine)->setListener(&reporter);
  if (auto st = (*engine)->watch(live); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }

  int rc = 0;
  if (self_check) {
    rc = selfCheck(**engine, reporter, live, name);
  } else {
    auto greet = (*engine)->function<std::string(const std::string &)>("greeter::greet");
    if (!greet.ok()) {
      std::fprintf(stderr, "%s\n", greet.status().message().c_str());
      return 1;
    }
    std::printf("%s   (edit %s/greeter.cpp and save; Ctrl-C quits)\n", (*greet)(name).c_str(),
                live.c_str());
    std::fflush(stdout);
    for (;;) {
      if ((*engine)->update() > 0) {
        std::printf("%s\n", (*greet)(name).c_str());
        std::fflush(stdout);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return rc;
}
