// HotEngine: the public face, the engine thread, lookups and history.
#include "engine/BuildLinkLibraries.h"
#include "engine/EngineImpl.h"
#include "frontend/UnitCache.h"
#include "engine/LibraryHint.h"
#include "engine/Runtime.h"
#include "engine/Util.h"
#include "jit/CodeScanner.h"

#include "llvm/Demangle/Demangle.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <atomic>
#include <filesystem>
#include <unistd.h>
#include <set>

namespace hot {
namespace fs = std::filesystem;

// ---- HotEngine: forwards to Impl ------------------------------------------------------------

HotEngine::HotEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

/// How long destroying an engine waits for its thread (a compile in progress cannot be cut
/// short; a unit's initializer may never return).
constexpr unsigned kStopWaitMs = 2000;

HotEngine::~HotEngine() {
  // The host must be able to exit (`hot run` when main returns) whatever the engine thread is
  // doing: past the wait the engine is left to the process exit, still mapped, since that
  // thread may be using it.
  if (!impl_->stop(kStopWaitMs)) (void)impl_.release();
}

Result<std::unique_ptr<HotEngine>> HotEngine::create(Config config) {
  auto impl = std::make_unique<Impl>(std::move(config));
  if (Status st = impl->init(); !st.ok()) return st;
  return std::unique_ptr<HotEngine>(new HotEngine(std::move(impl)));
}

void HotEngine::setListener(Listener *l) { impl_->listener = l; }
Status HotEngine::watch(const std::string &dir) { return impl_->watch(dir); }
Status HotEngine::load(const std::vector<std::string> &files) { return impl_->load(files); }
int HotEngine::update() { return impl_->update(); }
bool HotEngine::waitIdle(unsigned timeout_ms) { return impl_->waitIdle(timeout_ms); }
Result<void *> HotEngine::address(std::string_view name) { return impl_->address(name); }
Status HotEngine::rollback(const std::string &unit) { return impl_->rollback(unit); }
std::vector<UnitInfo> HotEngine::units() const { return impl_->units(); }
Result<std::vector<FunctionPlace>> HotEngine::locate(std::string_view name) {
  return impl_->functionPlaces(name);
}
std::vector<VersionInfo> HotEngine::history(const std::string &unit) const {
  return impl_->history(unit);
}
EngineStats HotEngine::stats() const { return impl_->stats(); }
Result<int> HotEngine::runMain(const std::vector<std::string> &args) {
  return impl_->runMain(args);
}
Status HotEngine::guarded(const std::function<void()> &fn) { return impl_->guarded(fn); }
Status HotEngine::supervise(const std::function<void()> &fn) { return impl_->guarded(fn, true); }
Result<std::string> HotEngine::callByName(std::string_view name,
                                          const std::vector<std::string> &args) {
  return impl_->callByName(name, args);
}
Result<const detail::SymbolCell *> HotEngine::lookupCell(std::string_view name,
                                                         const char *encoding) {
  return impl_->lookupCell(name, encoding);
}

// ---- Impl: setup and teardown ---------------------------------------------------------------

Status HotEngine::Impl::init() {
  creator_pid_ = ::getpid();
  auto stubs = jit::StubTable::create(rt::unboundTarget());
  if (!stubs) return Status(ErrorCode::Internal, llvm::toString(stubs.takeError()));
  stubs_ = std::move(*stubs);
  jit::JitStackOptions jit_options;
  jit_options.perf_map = config_.perf_map;
  jit_options.debugger = config_.debug_info && config_.register_with_debugger;
  auto jit = jit::JitStack::create(rt::runtimeSymbols(), jit_options); // and __dso_handle
  if (!jit) return Status(ErrorCode::Internal, llvm::toString(jit.takeError()));
  jit_ = std::move(*jit);
  dso_handle_ = jit_->dsoHandle();
  unsigned threads = config_.compile_threads ? config_.compile_threads
                                             : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < threads; ++i) {
    auto fe = fe::Frontend::create();
    if (!fe) return Status(ErrorCode::Internal, llvm::toString(fe.takeError()));
    frontends_.push_back(std::move(*fe));
  }
  if (config_.crash_report)
    crash_reporter_ = eng::CrashReporter::start([this](const eng::Fault &f) { return fatalReport(f); });
  eng::addLibrarySearchDirs(config_.library_dirs); // unresolved symbols name their library
  for (const std::string &lib : config_.libraries)
    if (Status st = loadLibrary(lib); !st.ok()) return st;
  reportUnusableSettings();
  if (!config_.compile_commands.empty()) {
    auto db = eng::CompileDatabase::load(config_.compile_commands);
    if (!db.ok()) return db.status();
    database_ = std::make_unique<eng::CompileDatabase>(std::move(db.value()));
  }
  return Status();
}

/// Where a native link looks for -lNAME after the -L dirs.
static const std::vector<std::string> &systemLibraryDirs() {
  static const std::vector<std::string> dirs = {"/usr/local/lib", "/lib/x86_64-linux-gnu",
                                                "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"};
  return dirs;
}

/// Loads a shared library, following it if it is a linker script.
Status HotEngine::Impl::loadSharedLibrary(const std::string &path) {
  std::vector<std::string> inputs = util::linkerScriptInputs(path);
  if (inputs.empty()) {
    if (llvm::Error err = jit_->loadLibrary(path))
      return Status(ErrorCode::LinkError, llvm::toString(std::move(err)));
    return Status();
  }
  for (const std::string &in : inputs)
    if (llvm::Error err = jit_->loadLibrary(in))
      return Status(ErrorCode::LinkError, path + " (a linker script) names " + in + ": " +
                                              llvm::toString(std::move(err)));
  return Status();
}

/// Settings that would otherwise be ignored without a word.
void HotEngine::Impl::reportUnusableSettings() {
  for (const std::string &f : config_.flags)
    if (f.rfind("-fplugin", 0) == 0 || f == "-load" || f.rfind("-Xclang", 0) == 0)
      message(Severity::Warning, "flag '" + f + "': compiler plugins and -Xclang options are "
                                 "not run by hotengine's in-process compiler; it is ignored");
  if (config_.cache_dir.empty()) return;
  std::error_code ec;
  fs::create_directories(config_.cache_dir, ec);
  std::string probe = config_.cache_dir + "/.hot-write-test";
  FILE *f = ec ? nullptr : std::fopen(probe.c_str(), "w");
  if (f) {
    std::fclose(f);
    fs::remove(probe, ec);
    return;
  }
  message(Severity::Warning, "cache_dir '" + config_.cache_dir + "' cannot be written (" +
                                 (ec ? ec.message() : std::string(std::strerror(errno))) +
                                 "): header caches stay in memory");
  config_.cache_dir.clear();
}

/// Since glibc 2.34 these live in libc itself (Debian 12 ships no libpthread.so to open): a
/// native link accepts -lpthread and so does the engine. libm is a real library and opened.
static bool builtIntoLibc(const std::string &name) {
  static const std::set<std::string> in_libc = {"pthread", "dl", "rt", "util", "anl", "c",
                                                "resolv"};
  return in_libc.count(name) != 0;
}

/// "-lfoo" / "foo" is searched in library_dirs then the system ("-l:libfoo.so.1" names the
/// file); a path is loaded as is. A library loaded already (the same file, by any name) is not
/// loaded again: `already` says so.
Status HotEngine::Impl::loadLibrary(const std::string &lib, bool *already) {
  std::string name = lib.rfind("-l", 0) == 0 ? lib.substr(2) : lib;
  std::vector<std::string> candidates;
  if (name.find('/') != std::string::npos) candidates.push_back(name);
  else if (name.size() > 1 && name[0] == ':') { // -l:FILE, as ld reads it
    for (auto &dir : config_.library_dirs) candidates.push_back(dir + "/" + name.substr(1));
    for (auto &dir : systemLibraryDirs()) candidates.push_back(dir + "/" + name.substr(1));
    candidates.push_back(name.substr(1));
  } else {
    for (auto &dir : config_.library_dirs) {
      candidates.push_back(dir + "/lib" + name + ".so");
      candidates.push_back(dir + "/lib" + name + ".a");
    }
    for (auto &dir : systemLibraryDirs()) candidates.push_back(dir + "/lib" + name + ".so");
    candidates.push_back("lib" + name + ".so"); // the dynamic loader's own search path
  }
  std::string errors;
  for (auto &c : candidates) {
    bool archive = c.size() > 2 && c.substr(c.size() - 2) == ".a";
    bool path = c.find('/') != std::string::npos;
    if (path && !fs::exists(c)) continue;
    std::error_code ec;
    std::string key = path ? fs::canonical(c, ec).string() : c;
    if (key.empty()) key = c;
    if (loaded_libraries_.count(key)) {
      if (already) *already = true;
      return Status();
    }
    if (archive) {
      llvm::Error err = jit_->addArchive(c);
      if (!err) return loaded_libraries_.insert(key), Status();
      errors += "\n  " + llvm::toString(std::move(err));
      continue;
    }
    Status st = loadSharedLibrary(c);
    if (st.ok()) return loaded_libraries_.insert(key), st;
    errors += "\n  " + st.message();
  }
  if (builtIntoLibc(name)) return Status(); // nothing to load: the C library has it
  return Status(ErrorCode::LinkError, "cannot load library '" + lib + "'" +
                                          (errors.empty() ? ": not found" : ":" + errors));
}

/// The library dlopen could not find for another one ("libbar.so.1: cannot open shared object
/// file"), or "".
static std::string missingDependency(const std::string &error) {
  std::size_t at = error.find(": cannot open shared object file");
  if (at == std::string::npos) return "";
  std::size_t start = error.find_last_of(" '\n", at - 1);
  std::string dep = error.substr(start == std::string::npos ? 0 : start + 1,
                                 at - (start == std::string::npos ? 0 : start + 1));
  return dep.find('/') == std::string::npos ? dep : "";
}

/// Where compile_commands.json sits in a CMake build folder: the libraries that the build
/// links into the executable these units make up are loaded as `-l` would load them
/// (engine/BuildLinkLibraries.h), once, before the first load. One note says what was taken.
void HotEngine::Impl::loadBuildLibraries(const std::vector<std::string> &units) {
  if (!database_ || !config_.build_libraries || build_libraries_done_) return;
  build_libraries_done_ = true;
  eng::BuildLibraries plan = eng::planBuildLibraries(*database_, units);
  for (const std::string &n : plan.notes) message(Severity::Note, n);
  if (plan.target.empty()) return;
  for (const std::string &d : plan.library_dirs)
    if (std::find(config_.library_dirs.begin(), config_.library_dirs.end(), d) ==
        config_.library_dirs.end())
      config_.library_dirs.push_back(d);
  eng::addLibrarySearchDirs(plan.library_dirs);
  std::vector<std::string> search = plan.library_dirs;
  search.insert(search.end(), plan.rpath.begin(), plan.rpath.end());
  for (const std::string &d : systemLibraryDirs()) search.push_back(d);
  auto find = [&](const std::string &file) -> std::string {
    std::error_code ec;
    for (const std::string &d : search)
      if (fs::is_regular_file(d + "/" + file, ec)) return d + "/" + file;
    return "";
  };
  std::string loaded, had, failed;
  auto add = [](std::string &list, const std::string &item) {
    list += (list.empty() ? "" : ", ") + item;
  };
  for (const eng::LinkInput &in : plan.load) {
    bool named = in.kind == eng::LinkInput::Kind::Name;
    if (named && builtIntoLibc(in.value)) continue; // -lpthread, -ldl...: nothing to load
    std::string shown = named ? "-l " + in.value : eng::shortPath(in.value, plan.build_dir);
    std::string spec = named ? "-l" + in.value : in.value;
    if (named && in.prefer_static) // -Wl,-Bstatic -lfoo: libfoo.a
      if (std::string a = find("lib" + in.value + ".a"); !a.empty()) spec = a;
    bool already = false;
    Status st = loadLibrary(spec, &already);
    // A library that needs another which only the executable's rpath would find: load that
    // one first, by path, and try again.
    for (int tries = 0; !st.ok() && tries < 8; ++tries) {
      std::string dep = missingDependency(st.message()), path = dep.empty() ? "" : find(dep);
      if (path.empty() || !loadLibrary(path).ok()) break;
      st = loadLibrary(spec, &already);
    }
    if (!st.ok()) {
      add(failed, shown);
      message(Severity::Warning, "library " + shown + " of target '" + plan.target + "' (" +
                                     plan.origin + ") was not loaded: " + st.message());
      continue;
    }
    bool archive = spec.size() > 2 && spec.compare(spec.size() - 2, 2, ".a") == 0;
    add(already ? had : loaded,
        shown + (in.whole_archive && archive && !already
                     ? " (--whole-archive: its members are still linked only when used)"
                     : ""));
  }
  std::string text = "link libraries of target '" + plan.target + "' from " + plan.origin + ": ";
  std::string parts;
  if (!loaded.empty()) parts += "loaded " + loaded;
  if (!had.empty()) parts += (parts.empty() ? "" : "; ") + ("already loaded " + had);
  if (!failed.empty()) parts += (parts.empty() ? "" : "; ") + ("not loaded " + failed);
  std::string units_list;
  for (const std::string &u : plan.already_units) add(units_list, u);
  if (!units_list.empty())
    parts += (parts.empty() ? "" : "; ") + ("built from units, not loaded: " + units_list);
  if (parts.empty()) parts = "nothing to load";
  text += parts;
  if (!plan.others.empty()) {
    std::string others;
    for (const std::string &o : plan.others) add(others, "'" + o + "'");
    text += " (chosen over " + others + ": " + plan.why + ")";
  }
  message(Severity::Note, text);
}

/// Asks the engine thread to stop and waits up to `wait_ms` for it. On timeout the static
/// destructors of the program still run (their output is the program's), and false says that
/// the engine must not be freed.
bool HotEngine::Impl::stop(unsigned wait_ms) {
  // A forked child has a copy of the engine but not its thread: nothing to wait for, and
  // nothing of the parent's to free.
  if (::getpid() != creator_pid_) {
    rt::runDestructors(dso_handle_);
    return false;
  }
  std::unique_lock<std::mutex> lock(pending_mu_);
  stop_ = true;
  pending_cv_.notify_all();
  if (watcher_) watcher_->wake();
  bool done = !worker_.joinable() ||
              pending_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                                   [&] { return worker_done_; });
  lock.unlock();
  if (done && worker_.joinable()) worker_.join();
  if (done && !code_abandoned_) return true;
  if (done) { // the engine thread ended, but an abandoned initializer still runs JIT code
    message(Severity::Warning, "an abandoned initializer is still running: the engine's code "
                               "stays mapped until the process exits");
    rt::runDestructors(dso_handle_);
    return false;
  }
  message(Severity::Warning, "the engine thread is still busy (a compile, or a unit's "
                             "initializer that has not returned): exiting without it");
  worker_.detach();
  rt::runDestructors(dso_handle_);
  return false;
}

HotEngine::Impl::~Impl() {
  // stop() has ended the engine thread. Static destructors run while every version's code is
  // still mapped, newest first.
  crash_reporter_.reset(); // its reports read the tables below
  rt::runDestructors(dso_handle_);
  pending_.reset(); // a linked transaction never applied holds trackers of the session
  jit_.reset();
}

// ---- loading and watching -------------------------------------------------------------------

// Where JIT units find <hot/unit.h>: $HOT_INCLUDE_DIR, else the source tree's host-api/include
// (build tree / add_subdirectory), else the install prefix's include dir.
static std::string apiIncludeArg() {
  if (const char *env = std::getenv("HOT_INCLUDE_DIR"); env && *env) return std::string("-I") + env;
#ifdef HOT_INSTALL_INCLUDE_DIR
  std::error_code ec;
  if (!fs::exists(HOT_API_INCLUDE_DIR "/hot/unit.h", ec)) return "-I" HOT_INSTALL_INCLUDE_DIR;
#endif
  return "-I" HOT_API_INCLUDE_DIR;
}

/// A ".c" file is C (as for gcc and clang; ".C" is C++).
static bool isCUnit(const std::string &path) { return fs::path(path).extension() == ".c"; }

std::vector<std::string> HotEngine::Impl::compileArgs(const Unit &u) const {
  bool c = isCUnit(u.path);
  // A unit listed in the compile database is compiled with its own build flags; the engine
  // still chooses optimization (the tier) and debug info.
  if (const eng::CompileCommand *cmd = database_ ? database_->find(u.path) : nullptr) {
    std::vector<std::string> args = cmd->args;
    if (c) args.insert(args.begin(), {"-x", "c"});
    bool has_std = std::any_of(args.begin(), args.end(),
                               [](const std::string &a) { return a.rfind("-std=", 0) == 0; });
    if (c && !has_std) args.push_back("-std=" + config_.c_std);
    args.push_back(config_.debug_info ? "-g" : "-g0");
    args.push_back(apiIncludeArg());
    return args;
  }
  std::vector<std::string> args = c ? std::vector<std::string>{"-x", "c", "-std=" + config_.c_std}
                                    : std::vector<std::string>{"-std=" + config_.std};
  for (auto &d : config_.include_dirs) args.push_back("-I" + util::absolutePath(d));
  for (auto &d : config_.defines) args.push_back("-D" + d);
  args.push_back(config_.debug_info ? "-g" : "-g0");
  for (auto &f : config_.flags) args.push_back(f);
  // Units may include <hot/unit.h> (lifecycle and migration hooks) without configuring it.
  args.push_back(apiIncludeArg());
  return args;
}

/// A unit's id scopes its local symbols' names and keys its cached rewrite: derived from its
/// path, so that adding or removing a unit changes no other unit's code (with a counter every
/// unit found after it would get another id, and miss the cache). The next free one on a clash.
unsigned HotEngine::Impl::stableUnitId(const std::string &path) {
  constexpr unsigned kRange = 1u << 30; // positive as an int (owners are ints, -1 = none)
  unsigned id = unsigned(llvm::xxh3_64bits(path) % kRange) + 1;
  while (!unit_ids_.insert(id).second) id = id % kRange + 1;
  return id;
}

Unit &HotEngine::Impl::unitFor(const std::string &path) {
  auto &slot = units_[path];
  if (!slot) {
    slot = std::make_unique<Unit>();
    slot->id = stableUnitId(path);
    slot->path = path;
    // A unit that is a symlink changes when its target does: inotify reports the target.
    std::error_code ec;
    std::string real = fs::canonical(path, ec).string();
    if (!ec && real != path) {
      slot->real_path = real;
      watchFolderOf(real);
    }
  }
  return *slot;
}

bool HotEngine::Impl::isUnitFile(const std::string &path) const {
  std::string ext = fs::path(path).extension().string();
  if (std::find(config_.extensions.begin(), config_.extensions.end(), ext) ==
      config_.extensions.end())
    return false;
  for (auto &x : config_.exclude)
    if (!x.empty() && path.find(x) != std::string::npos) return false;
  return true;
}

/// Every C++ unit the compile database lists (CMake's own PCH units excluded).
std::vector<std::string> HotEngine::Impl::databaseUnits() const {
  std::vector<std::string> out;
  if (!database_) return out;
  for (const std::string &f : database_->files())
    if (isUnitFile(f) && f.find("/CMakeFiles/") == std::string::npos) out.push_back(f);
  return out;
}

/// Every unit file under `root` (sorted). Entries that cannot be read (a symlink loop, a
/// dangling link, no permission) are skipped with a warning instead of ending the scan.
std::vector<std::string> HotEngine::Impl::scanUnits(const std::string &root) {
  std::vector<std::string> files;
  std::error_code ec;
  auto opts = fs::directory_options::skip_permission_denied;
  for (auto it = fs::recursive_directory_iterator(root, opts, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    std::string path = it->path().string();
    if (!isUnitFile(path)) continue;
    std::error_code st_ec;
    fs::file_status st = fs::status(it->path(), st_ec);
    if (st_ec) {
      message(Severity::Warning, path + ": skipped: " + util::pathProblem(path));
      continue;
    }
    if (fs::is_regular_file(st)) files.push_back(path);
  }
  if (ec) message(Severity::Warning, root + ": not every folder could be read: " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

/// Loads every input (files, and every unit under each folder) as ONE transaction, so units
/// may use each other's data in any order. The folders are watched before anything compiles:
/// a save made during the first load is seen and applied after it.
Status HotEngine::Impl::load(const std::vector<std::string> &given) {
  std::vector<std::string> files, roots;
  if (given.empty()) files = databaseUnits();
  for (const std::string &in : given) {
    std::string path = util::absolutePath(in);
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> found = scanUnits(path);
      if (found.empty()) return Status(ErrorCode::NotFound, path + ": no C++ or C units");
      files.insert(files.end(), found.begin(), found.end());
      roots.push_back(path);
    } else if (fs::is_regular_file(path, ec)) {
      files.push_back(path);
      roots.push_back(fs::path(path).parent_path().string());
    } else {
      return Status(ErrorCode::IoError, path + ": " + util::pathProblem(path));
    }
  }
  if (files.empty()) return Status(ErrorCode::NotFound, "no units to load");
  if (database_)
    for (const std::string &note : database_->notes()) message(Severity::Note, note);
  loadBuildLibraries(files);
  for (auto &f : database_ && given.empty() ? files : std::vector<std::string>{})
    roots.push_back(fs::path(f).parent_path().string());
  for (const std::string &root : roots)
    if (Status w = addRoot(root); !w.ok()) return w;
  std::vector<Unit *> units;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto &f : files) {
      Unit &u = unitFor(util::absolutePath(f));
      if (std::find(units.begin(), units.end(), &u) == units.end()) units.push_back(&u);
    }
  }
  if (Status st = firstLoad(std::move(units)); !st.ok()) return st;
  if (!worker_.joinable()) worker_ = std::thread([this] { workerLoop(); });
  return Status();
}

/// All or nothing, unless start_with_errors: then the unit a failure is blamed on is left out
/// (its error was reported) and the rest is loaded again, until what is left loads. The units
/// left out are dormant: they load with the edit that fixes them (see unitsFor()).
Status HotEngine::Impl::firstLoad(std::vector<Unit *> units) {
  Status first;
  while (!units.empty()) {
    std::unique_ptr<Transaction> tx = stage(units);
    tx->report_culprit_only = config_.start_with_errors;
    tx->first_load = true;
    Status st = runTransaction(std::move(tx), /*apply_now=*/true);
    if (st.ok()) break;
    if (!config_.start_with_errors) return st;
    if (first.ok()) first = st;
    std::lock_guard<std::mutex> lock(mu_);
    auto culprit = [](Unit *u) { return u->failed && !u->retry; };
    if (std::none_of(units.begin(), units.end(), culprit)) return st; // nothing to leave out
    for (Unit *u : units)
      if (culprit(u)) u->dormant = true;
    std::erase_if(units, culprit);
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::string left_out;
  for (auto &[path, u] : units_) {
    u->retry = false; // the units that loaded were not waiting for anyone
    if (u->dormant) left_out += (left_out.empty() ? "" : ", ") + path;
  }
  if (units.empty()) return first;
  if (!left_out.empty())
    message(Severity::Warning, "started without " + left_out +
                                   " (see the errors above): each loads once an edit fixes it");
  return Status();
}

Status HotEngine::Impl::watch(const std::string &dir) {
  std::string root = util::absolutePath(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return Status(ErrorCode::IoError, root + ": not a directory");
  return load({root});
}

/// Watches `dir` and its tree: new unit files there become units.
Status HotEngine::Impl::addRoot(const std::string &dir) {
  if (!watcher_) {
    auto w = eng::Watcher::create();
    if (!w) return Status(ErrorCode::IoError, llvm::toString(w.takeError()));
    watcher_ = std::move(*w);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (std::find(watched_dirs_.begin(), watched_dirs_.end(), dir) != watched_dirs_.end())
    return Status();
  if (auto err = watcher_->addTree(dir))
    return Status(ErrorCode::IoError, llvm::toString(std::move(err)));
  watched_dirs_.push_back(dir);
  return Status();
}

bool HotEngine::Impl::underRoot(const std::string &path) const {
  for (const std::string &d : watched_dirs_)
    if (path.size() > d.size() && path.compare(0, d.size(), d) == 0 && path[d.size()] == '/')
      return true;
  return false;
}

/// Project headers live anywhere (-I dirs, a sibling folder): the folder of each one outside
/// the watched trees is watched too, so editing it reloads its includers. System headers are
/// not dependencies unless track_system_headers is set.
void HotEngine::Impl::watchHeaders(const std::vector<std::string> &deps) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string &dep : deps) watchFolderOf(dep);
}

/// Watches the folder of `file` unless a watched tree covers it. Called with mu_.
void HotEngine::Impl::watchFolderOf(const std::string &file) {
  if (!watcher_ || underRoot(file)) return;
  std::string dir = fs::path(file).parent_path().string();
  if (!header_dirs_.insert(dir).second) return;
  if (auto err = watcher_->addDir(dir))
    message(Severity::Warning, file + ": edits will not be seen: " + llvm::toString(std::move(err)));
}

// ---- the engine thread ----------------------------------------------------------------------

void HotEngine::Impl::workerLoop() {
  struct Done { // however the loop ends, stop() learns that it did
    Impl &e;
    ~Done() {
      std::lock_guard<std::mutex> lock(e.pending_mu_);
      e.worker_done_ = true;
      e.pending_cv_.notify_all();
    }
  } done{*this};
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(pending_mu_);
      if (stop_) return;
    }
    // Only writes still in progress are waited for: handleChanges() overlaps the quiet period
    // with the compile.
    auto changes = watcher_->wait(config_.tiering.enabled ? 20 : 200, config_.debounce_ms,
                                  /*until_closed=*/true);
    for (const std::string &notice : watcher_->takeNotices()) message(Severity::Warning, notice);
    if (changes.empty()) {
      if (config_.tiering.enabled) checkTiers();
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(pending_mu_);
      if (stop_) return;
      busy_ = true;
    }
    handleChanges(changes);
    std::lock_guard<std::mutex> lock(pending_mu_);
    busy_ = false;
    pending_cv_.notify_all();
  }
}

/// Maps file changes to the units to recompile: a unit itself, or every unit including a
/// changed header.
std::vector<Unit *> HotEngine::Impl::unitsFor(const std::vector<eng::FileChange> &changes) {
  std::vector<Unit *> todo;
  auto add = [&](Unit *u) {
    if (std::find(todo.begin(), todo.end(), u) == todo.end()) todo.push_back(u);
  };
  std::lock_guard<std::mutex> lock(mu_);
  for (const eng::FileChange &c : changes) {
    auto it = units_.find(c.path);
    if (c.kind == eng::FileChange::Kind::Deleted) {
      if (it != units_.end()) {
        it->second->deleted = true;
        message(Severity::Warning, c.path + ": deleted; its last version keeps running");
      }
      continue;
    }
    if (it != units_.end()) {
      it->second->deleted = false;
      std::string text;
      bool same = util::readFile(c.path, text) &&
                  util::hashText(text) == it->second->attempted_hash;
      if (!same || it->second->retry) add(it->second.get()); // else saved without a change
    } else if (isUnitFile(c.path) && underRoot(c.path)) {
      add(&unitFor(c.path)); // a new file in a watched folder
      message(Severity::Note, c.path + ": new unit");
    }
    for (auto &[path, u] : units_) {
      if (std::find(u->deps.begin(), u->deps.end(), c.path) != u->deps.end()) add(u.get());
      if (u->real_path == c.path) add(u.get()); // the target of a symlinked unit
    }
  }
  // Units that failed only because a partner failed go again with the next transaction, and
  // so does a unit that defined what a unit of this transaction defines.
  if (!todo.empty())
    for (auto &[path, u] : units_)
      if (u->retry) add(u.get());
  for (size_t i = 0; i < todo.size(); ++i)
    for (auto &[path, u] : units_)
      if (u->blocked_by == todo[i]->id) add(u.get());
  // Units left out of a first load (start_with_errors) may need each other: an edit of one
  // tries them all.
  if (std::any_of(todo.begin(), todo.end(), [](Unit *u) { return u->dormant; }))
    for (auto &[path, u] : units_)
      if (u->dormant) add(u.get());
  return todo;
}

/// Adds `more` units to a staged transaction. A unit already staged is staged again: its file
/// or a header it includes changed since (the newest content wins; the older compile is dropped).
void HotEngine::Impl::restage(Transaction &tx, const std::vector<Unit *> &more) {
  std::unique_ptr<Transaction> fresh = stage(more);
  for (auto &s : fresh->units) {
    auto same_unit = [&](const std::unique_ptr<Staged> &t) { return t->unit == s->unit; };
    auto it = std::find_if(tx.units.begin(), tx.units.end(), same_unit);
    if (it == tx.units.end())
      tx.units.push_back(std::move(s));
    else
      *it = std::move(s);
  }
  std::sort(tx.units.begin(), tx.units.end(),
            [](const auto &a, const auto &b) { return a->unit->path < b->unit->path; });
}

/// One transaction for a burst of saves. Compiling starts at the first event: the debounce
/// window runs while the compile does, so it adds no fixed sleep. Saves that arrive before the
/// window closes join the transaction (a newer save of a staged file replaces its compile),
/// and everything is applied together.
void HotEngine::Impl::handleChanges(const std::vector<eng::FileChange> &changes) {
  std::vector<Unit *> todo = unitsFor(changes);
  if (todo.empty()) return;
  std::sort(todo.begin(), todo.end(), [](Unit *a, Unit *b) { return a->path < b->path; });
  std::unique_ptr<Transaction> tx = stage(todo);
  auto last_event = std::chrono::steady_clock::now();
  for (;;) {
    compileAll(*tx);
    double waited = util::msSince(last_event);
    unsigned rest = waited >= config_.debounce_ms ? 0 : unsigned(config_.debounce_ms - waited);
    std::vector<eng::FileChange> more = watcher_->settle(rest, config_.debounce_ms);
    if (more.empty()) break;
    last_event = std::chrono::steady_clock::now();
    restage(*tx, unitsFor(more));
  }
  (void)runTransaction(std::move(tx), config_.apply_in_background);
}

int HotEngine::Impl::update() {
  std::unique_ptr<Transaction> tx;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    tx = std::move(pending_);
    applying_pending_ = tx != nullptr; // the engine thread waits for the end of apply()
  }
  int changed = 0;
  if (tx) {
    Status st;
    {
      std::unique_lock<std::mutex> lock(mu_);
      st = apply(*tx, lock);
      if (!st.ok()) discard(*tx);
    }
    report(*tx, st);
    changed = st.ok() ? int(tx->units.size()) : 0;
    std::lock_guard<std::mutex> lock(pending_mu_);
    applying_pending_ = false;
    pending_cv_.notify_all();
  }
  std::lock_guard<std::mutex> lock(mu_);
  retirePending();
  return changed;
}

bool HotEngine::Impl::waitIdle(unsigned timeout_ms) {
  std::unique_lock<std::mutex> lock(pending_mu_);
  return pending_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    return !busy_ && (!pending_ || !config_.apply_in_background);
  });
}

// ---- lookups --------------------------------------------------------------------------------

/// Accepts a mangled or extern "C" name, or a qualified C++ name ("game::update").
std::vector<SymbolRecord *> HotEngine::Impl::findSymbols(std::string_view name) {
  std::vector<SymbolRecord *> found;
  auto live = [](const SymbolRecord &r) { return r.owner >= 0 && r.cell->current.load(); };
  if (auto it = symbols_.find(std::string(name)); it != symbols_.end() && live(*it->second))
    return {it->second.get()};
  for (auto &[sym, rec] : symbols_)
    if (live(*rec) && rec->qualified == name) found.push_back(rec.get());
  return found;
}

Result<const detail::SymbolCell *> HotEngine::Impl::lookupCell(std::string_view name,
                                                               const char *encoding) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = findSymbols(name);
  if (found.empty())
    return Status(ErrorCode::NotFound, "no reloadable function named '" + std::string(name) + "'");
  std::string have;
  for (SymbolRecord *rec : found) {
    if (rec->type_encoding == encoding) return rec->cell.get();
    have += "\n  " + rec->display + " (" + rec->file + ":" + std::to_string(rec->line) + ")";
  }
  return Status(ErrorCode::SignatureChanged,
                "function '" + std::string(name) + "' exists but not with the requested type '" +
                    llvm::demangle(std::string("_Z") + encoding) + "'; found:" + have);
}

/// The bodies of `rec` in `u`'s mapped versions, each once: a body a function-level recompile
/// kept is listed under the version that compiled it.
static void addPlaces(const SymbolRecord &rec, const Unit &u, const jit::JitStack &jit,
                     std::vector<FunctionPlace> &out) {
  void *running = nullptr;
  for (const Version &v : u.history)
    if (v.number == rec.owner_version)
      if (auto it = v.bodies.find(rec.symbol); it != v.bodies.end()) running = it->second;
  std::set<void *> seen;
  for (const Version &v : u.history) {
    auto body = v.bodies.find(rec.symbol);
    if (!v.jd || body == v.bodies.end() || !seen.insert(body->second).second) continue;
    FunctionPlace p;
    p.name = rec.display.empty() ? rec.symbol : rec.display;
    p.symbol = rec.symbol;
    p.unit = u.path;
    p.version = v.number;
    p.tier = v.tier;
    p.running = body->second == running;
    std::tie(p.begin, p.end) = jit.bodyRange(body->second);
    if (!p.begin) p.begin = p.end = reinterpret_cast<std::uintptr_t>(body->second);
    p.file = rec.file;
    auto line = v.lines.find(rec.symbol);
    p.line = line == v.lines.end() ? rec.line : line->second;
    out.push_back(std::move(p));
  }
}

Result<std::vector<FunctionPlace>> HotEngine::Impl::functionPlaces(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FunctionPlace> out;
  for (SymbolRecord *rec : findSymbols(name))
    if (const Unit *u = unitById(unsigned(rec->owner))) addPlaces(*rec, *u, *jit_, out);
  if (out.empty())
    return Status(ErrorCode::NotFound, "no reloadable function named '" + std::string(name) + "'");
  return out;
}

Result<void *> HotEngine::Impl::address(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto found = findSymbols(name);
  if (found.empty())
    return Status(ErrorCode::NotFound, "no reloadable function named '" + std::string(name) + "'");
  return stubs_->stub(found.front()->stub);
}

std::vector<UnitInfo> HotEngine::Impl::units() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<UnitInfo> out;
  for (auto &[path, u] : units_) {
    UnitInfo info;
    info.path = path;
    info.version = u->history.empty() ? 0 : u->history.back().number;
    info.tier = u->tier;
    info.failed = u->failed;
    info.dependencies = u->deps;
    out.push_back(std::move(info));
  }
  return out;
}

EngineStats HotEngine::Impl::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  EngineStats st;
  st.units = units_.size();
  st.retiring = retiring_.size();
  // Code held by a history (its own versions, or bodies they borrowed), plus retiring code.
  st.live_versions = jd_refs_.size() + retiring_.size();
  st.stubs = stubs_->size();
  st.state_entries = state_.size();
  for (auto &r : jit_->codeRanges(nullptr)) st.code_bytes += r.second - r.first;
  const auto &cache = fe::detail::unitCacheCounters();
  st.cache_hits = cache.hits;
  st.cache_misses = cache.misses;
  st.cache_corrupt = cache.corrupt;
  st.cache_replayed = cache.replayed;
  st.cache_replays_refused = cache.replays_refused;
  st.cache_bytes_read = cache.bytes_read;
  st.cache_bytes_written = cache.bytes_written;
  return st;
}

std::vector<VersionInfo> HotEngine::Impl::history(const std::string &unit) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<VersionInfo> out;
  auto it = units_.find(util::absolutePath(unit));
  if (it == units_.end()) return out;
  for (auto &v : it->second->history)
    out.push_back({v.number, v.hash, v.loaded_at_ms, v.tier, v.jd != nullptr});
  return out;
}

Result<int> HotEngine::Impl::runMain(const std::vector<std::string> &args) {
  void *slot_target = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = symbols_.find("main");
    if (it == symbols_.end() || it->second->owner < 0)
      return Status(ErrorCode::NotFound, "no loaded unit defines 'int main(...)'");
    slot_target = stubs_->stub(it->second->stub);
  }
  std::vector<std::string> storage = args.empty() ? std::vector<std::string>{"hot"} : args;
  std::vector<char *> argv;
  for (auto &a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto main_fn = reinterpret_cast<int (*)(int, char **)>(slot_target);
  return main_fn(int(storage.size()), argv.data());
}

// ---- versions -------------------------------------------------------------------------------

/// Versions beyond the configured history leave the history (no rollback to them) and wait in
/// retiring_ until no thread can be running them. A version that a stub still points into
/// (a function later versions removed) stays in the history.
void HotEngine::Impl::retireOld(Unit &u) {
  size_t keep = std::max(1u, config_.history);
  for (size_t i = 0; i + 1 < u.history.size() && u.history.size() > keep;) {
    Version &v = u.history[i];
    bool pinned = std::any_of(symbols_.begin(), symbols_.end(), [&](auto &kv) {
      return kv.second->owner == int(u.id) && kv.second->owner_version == v.number;
    });
    if (pinned) {
      ++i;
      continue;
    }
    releaseCode(v);
    u.history.erase(u.history.begin() + long(i));
  }
  retirePending();
}

/// Every JITDylib whose code `v` runs: its own and those it borrowed bodies from.
static std::set<llvm::orc::JITDylib *> codeOf(const Version &v) {
  std::set<llvm::orc::JITDylib *> out;
  if (v.jd) out.insert(v.jd);
  for (auto &[sym, jd] : v.borrowed) out.insert(jd);
  for (auto &[name, code] : v.shared_code) out.insert(code.second);
  return out;
}

void HotEngine::Impl::holdCode(const Version &v) {
  for (llvm::orc::JITDylib *jd : codeOf(v)) ++jd_refs_[jd];
}

/// `v` leaves its history: code no remaining version runs waits for retirement.
void HotEngine::Impl::releaseCode(const Version &v) {
  for (llvm::orc::JITDylib *jd : codeOf(v)) {
    auto it = jd_refs_.find(jd);
    if (it != jd_refs_.end() && --it->second > 0) continue;
    if (it != jd_refs_.end()) jd_refs_.erase(it);
    retiring_.push_back(jd);
  }
}

/// Frees the retiring versions no thread is inside (see jit/CodeScanner.h), all decided by one
/// scan. Called with mu_ (after each commit and at each update()). A thread that does not
/// answer the scan's signal (it blocks the signal, or a sanitizer defers it) would make every
/// reload wait for it: after such a scan the next one waits a second, and the versions stay
/// mapped meanwhile (the safe answer).
void HotEngine::Impl::retirePending() {
  auto now = std::chrono::steady_clock::now();
  if (retiring_.empty() || now < next_scan_) return;
  // A host may call update() in a tight loop, and a version often stays referenced for a
  // while (a stale value in a live stack frame): scan at most every 10 ms, not every call.
  next_scan_ = now + std::chrono::milliseconds(10);
  std::vector<std::vector<jit::CodeRange>> sets;
  for (llvm::orc::JITDylib *jd : retiring_) sets.push_back(jit_->codeRanges(jd));
  bool answered = true;
  std::vector<bool> used = jit::codeInUse(sets, 200, &answered);
  if (!answered) next_scan_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  std::vector<llvm::orc::JITDylib *> kept;
  for (size_t i = 0; i < retiring_.size(); ++i) {
    if (used[i])
      kept.push_back(retiring_[i]);
    else
      llvm::consumeError(jit_->removeVersion(*retiring_[i]));
  }
  retiring_ = std::move(kept);
}

Status HotEngine::Impl::rollback(const std::string &path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = units_.find(util::absolutePath(path));
  if (it == units_.end()) return Status(ErrorCode::NotFound, path + ": not a loaded unit");
  return rollbackLocked(*it->second);
}

/// Points the unit's stubs back at its previous version; the abandoned version stays mapped
/// (a thread may be inside it) just below the running one in the history.
Status HotEngine::Impl::rollbackLocked(Unit &u) {
  const std::string &path = u.path;
  if (u.history.size() < 2)
    return Status(ErrorCode::NotFound, path + ": no previous version to return to");
  Version &prev = u.history[u.history.size() - 2];
  for (auto &[sym, addr] : prev.bodies) {
    SymbolRecord &rec = *symbols_[sym];
    stubs_->redirect(rec.stub, addr);
    rec.owner = int(u.id);
    rec.owner_version = prev.number;
  }
  Version current = std::move(u.history.back());
  u.history.pop_back();
  // The rolled-back-from version stays mapped (a thread may be in it) until retired.
  u.history.insert(u.history.end() - 1, std::move(current));
  u.tier = u.history.back().tier;
  return Status();
}

void HotEngine::Impl::message(Severity s, const std::string &text) {
  if (Listener *to = sink()) to->onMessage(s, text);
}

} // namespace hot
