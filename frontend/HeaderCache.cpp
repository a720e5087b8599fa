// The header cache: one precompiled preamble per (unit, cc1 flags, #include prefix), kept in
// memory (optionally also in a cache_dir) and shared by every Frontend of the process.
//
// Measured (unit with <vector> <string> <unordered_map> <algorithm> <iostream> <memory>
// <functional>, -O0, 2-core machine under load, thread CPU ms, medians of 10 body edits;
// tests/header_cache_timing_test.cpp): no cache ~1000-1250 -> cached ~80-115 for a unit with a
// few std calls; ~1100-1230 -> ~275-300 for a template-heavy one (vector/sort/unordered_map/
// unique_ptr over a struct of the unit). What remains is Sema instantiating templates for the
// unit's own code (about 55-65%), IR generation, and the O0 backend, mostly for linkonce_odr
// std:: bodies. clang++ -ftime-report on the heavy unit (CPU ms): no PCH 1554, plain PCH 550,
// PCH with -fpch-instantiate-templates 490, plus -fpch-codegen 342 (that needs the PCH's own
// object linked once into the JIT: not done here).
//
// Why clang's PrecompiledPreamble (what clangd uses) and not our own prefix PCH (the #include
// lines copied into a synthetic header, GeneratePCHAction, then -include-pch from memory):
//  - Either is one PCH of the same headers, loaded lazily; the difference is semantics.
//  - A preamble covers the main file's own prefix and the compile skips those bytes, so the
//    prefix may hold anything clang accepts there: #define before #include, headers without
//    include guards, X-macro includes, #if around includes. A prefix PCH plus -include-pch
//    re-reads the #include lines of the main file and breaks on unguarded headers.
//  - Diagnostics stay as without a cache: "In file included from main.cpp:3:" names the unit,
//    not a synthetic prefix header, and lines in the main file are counted in the real buffer.
//  The price: a preamble belongs to one main file (its include locations point into it), so
//  units with identical prefixes do not share one; each unit builds its own once (the first
//  compile costs about a third more CPU than an uncached one).
//  Templates the headers leave pending are instantiated into the preamble
//  (LangOptions::PCHInstantiateTemplates, i.e. -fpch-instantiate-templates: ~10-20% less).
//
// Staleness: PrecompiledPreamble::CanReuse compares sizes and mtimes at one-second resolution,
// which misses an edit that keeps the size within the same second. We record every file the
// prefix read with size, nanosecond mtime and inode, plus for project (non-system) files a
// hash of the exact bytes clang parsed, and check all of it before every reuse (~1 ms). A file
// edited while the cache was being built is caught by the hash and the entry is not kept.
// Not detected (as in clangd): a new header that would now shadow one found later in the
// include path, and a __has_include target appearing. Flags are part of the key.
#include "frontend/HeaderCache.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "clang/Basic/Version.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/CompilerInvocation.h"
#include "clang/Frontend/Utils.h"
#include "clang/Lex/PreprocessorOptions.h"
#include "clang/Serialization/PCHContainerOperations.h"
#include "frontend/FrontendInternal.h"
#include "frontend/SafeFileSystem.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/VirtualFileSystem.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

namespace hot::fe::detail {

std::string normalizePath(llvm::StringRef path) {
  llvm::SmallString<256> p(path);
  llvm::sys::fs::make_absolute(p);
  llvm::sys::path::remove_dots(p, /*remove_dot_dot=*/true);
  return p.str().str();
}

namespace {

constexpr llvm::StringLiteral kPchDir = "/__hot_header_cache__";
constexpr llvm::StringLiteral kPchPath = "/__hot_header_cache__/preamble.pch";

bool hasError(const std::vector<Diagnostic> &diags) {
  for (const Diagnostic &d : diags)
    if (d.severity == Severity::Error) return true;
  return false;
}

int64_t mtimeNs(const llvm::sys::fs::file_status &st) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             st.getLastModificationTime().time_since_epoch())
      .count();
}

} // namespace

std::optional<uint64_t> hashFile(const std::string &path) {
  auto buf = readFileSafely(path, /*is_text=*/false, /*null_terminated=*/false);
  if (!buf) return std::nullopt;
  return llvm::xxh3_64bits((*buf)->getBuffer());
}

bool stampsUnchanged(const std::vector<FileStamp> &files) {
  for (const FileStamp &f : files) {
    llvm::sys::fs::file_status st;
    if (llvm::sys::fs::status(f.path, st)) return false; // gone
    if (st.getSize() != f.size || mtimeNs(st) != f.mtime_ns ||
        st.getUniqueID() != llvm::sys::fs::UniqueID(f.device, f.inode))
      return false;
    if (f.hashed && hashFile(f.path) != f.hash) return false;
  }
  return true;
}

bool stampFile(llvm::StringRef name, bool system, FileStamp &f) {
  // By the name clang opened (made absolute, "x/../" kept: through a symlinked directory it
  // may be another file than the normalized dependency path).
  llvm::SmallString<256> opened(name);
  llvm::sys::fs::make_absolute(opened);
  llvm::sys::fs::file_status st;
  if (llvm::sys::fs::status(opened, st)) return false;
  f.path = opened.str().str();
  f.system = system;
  f.size = st.getSize();
  f.mtime_ns = mtimeNs(st);
  f.device = st.getUniqueID().getDevice();
  f.inode = st.getUniqueID().getFile();
  return true;
}

std::vector<FileStamp> stampSystemFiles(const std::vector<std::string> &names, bool &complete) {
  std::vector<FileStamp> out;
  for (const std::string &name : names) {
    FileStamp f;
    if (stampFile(name, /*system=*/true, f))
      out.push_back(std::move(f));
    else
      complete = false;
  }
  return out;
}

namespace {

/// Every file the prefix entered (system headers too), in order, with its kind.
class RecordingCollector : public clang::DependencyCollector {
public:
  bool needSystemDependencies() override { return true; }
  bool sawDependency(llvm::StringRef file, bool from_module, bool is_system, bool is_module_file,
                     bool is_missing) override {
    if (is_missing || is_module_file) return false;
    if (!DependencyCollector::sawDependency(file, from_module, is_system, false, false)) return false;
    system_[file] = is_system;
    return true;
  }
  bool isSystem(llvm::StringRef file) const {
    auto it = system_.find(file);
    return it != system_.end() && it->second;
  }

private:
  llvm::StringMap<bool> system_;
};

/// Hooks into the preamble build: attaches the collector, then stamps what was read.
class BuildCallbacks : public clang::PreambleCallbacks {
public:
  explicit BuildCallbacks(std::string main) : main_(std::move(main)) {}
  void BeforeExecute(clang::CompilerInstance &ci) override {
    collector_->attachToPreprocessor(ci.getPreprocessor());
    ci.getPreprocessor().addPPCallbacks(system_prefix.recorder(ci.getPreprocessor()));
  }
  void AfterExecute(clang::CompilerInstance &ci) override {
    system_prefix.finish(ci.getPreprocessor());
    for (const std::string &name : collector_->getDependencies()) {
      std::string path = normalizePath(name);
      if (path == main_) continue;
      bool system = collector_->isSystem(name);
      dependencies.emplace_back(path, system);
      FileStamp f;
      if (!stampFile(name, system, f)) {
        stable = false;
        continue;
      }
      if (!system) {
        // Hash what clang parsed, not what is on disk now: a file edited during the build
        // then fails the check instead of hiding behind a fresh stamp.
        auto fe = ci.getFileManager().getOptionalFileRef(name);
        auto buf = fe ? ci.getSourceManager().getMemoryBufferForFileOrNone(*fe) : std::nullopt;
        if (!buf) {
          stable = false;
          continue;
        }
        f.hashed = true;
        f.hash = llvm::xxh3_64bits(buf->getBuffer());
        if (hashFile(f.path) != f.hash || buf->getBufferSize() != f.size) stable = false;
      }
      files.push_back(std::move(f));
    }
  }

  std::vector<FileStamp> files;
  std::vector<std::pair<std::string, bool>> dependencies;
  SystemPrefix system_prefix;
  bool stable = true; ///< Every file still matches what clang read.

private:
  std::string main_;
  std::shared_ptr<RecordingCollector> collector_ = std::make_shared<RecordingCollector>();
};

/// A prefix that did not compile on its own: not retried until it or a file it read changes
/// (or a compile of the unit succeeds, see forgetPreambleFailure).
struct Failure {
  std::string prefix;
  std::vector<FileStamp> files;
};

struct Slot {
  explicit Slot(std::string k) : key(std::move(k)) {}
  const std::string key;
  std::mutex build_mu; ///< One lookup/build per key at a time; other keys run in parallel.
  // Guarded by Cache::mu_:
  std::shared_ptr<const CachedPreamble> entry;
  uint64_t last_use = 0;
  // Guarded by build_mu:
  std::optional<Failure> failure;
};

class Cache {
public:
  std::shared_ptr<Slot> slot(const std::string &key) {
    std::lock_guard<std::mutex> lock(mu_);
    std::shared_ptr<Slot> &s = slots_[key];
    if (!s) s = std::make_shared<Slot>(key);
    return s;
  }
  std::shared_ptr<const CachedPreamble> current(Slot &s) {
    std::lock_guard<std::mutex> lock(mu_);
    return s.entry;
  }
  void touch(Slot &s) {
    std::lock_guard<std::mutex> lock(mu_);
    s.last_use = ++clock_;
  }
  void publish(Slot &s, std::shared_ptr<const CachedPreamble> e) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = slots_.find(s.key);
    if (it == slots_.end() || it->second.get() != &s) return; // cleared meanwhile: keep nothing
    if (s.entry) total_ -= s.entry->bytes();
    s.entry = std::move(e);
    if (s.entry) total_ += s.entry->bytes();
    s.last_use = ++clock_;
    evictLocked(&s);
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto &[key, s] : slots_) s->entry.reset();
    slots_.clear();
    total_ = 0;
  }
  void setBudget(size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    budget_ = bytes;
    evictLocked(nullptr);
  }

private:
  /// Drops least recently used entries (never `keep`) until under budget.
  void evictLocked(Slot *keep) {
    while (total_ > budget_) {
      Slot *victim = nullptr;
      for (auto &[key, s] : slots_)
        if (s.get() != keep && s->entry && (!victim || s->last_use < victim->last_use))
          victim = s.get();
      if (!victim) return;
      total_ -= victim->entry->bytes();
      victim->entry.reset(); // compiles still using it keep it alive
    }
  }

  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Slot>> slots_;
  size_t budget_ = size_t(1) << 30;
  size_t total_ = 0;
  uint64_t clock_ = 0;
};

Cache &cache() {
  static Cache *c = new Cache(); // never destroyed: compiles may run during static destruction
  return *c;
}

// --- on-disk copies -------------------------------------------------------------------------

constexpr llvm::StringLiteral kMagic = "HOTPREAMBLE2\n";

class Writer {
public:
  explicit Writer(llvm::raw_ostream &os) : os_(os) {}
  void u64(uint64_t v) { os_.write(reinterpret_cast<const char *>(&v), sizeof v); }
  void str(llvm::StringRef s) {
    u64(s.size());
    os_ << s;
  }

private:
  llvm::raw_ostream &os_;
};

class Reader {
public:
  explicit Reader(llvm::StringRef data) : rest_(data) {}
  bool u64(uint64_t &v) {
    if (rest_.size() < sizeof v) return ok_ = false;
    std::memcpy(&v, rest_.data(), sizeof v);
    rest_ = rest_.drop_front(sizeof v);
    return true;
  }
  bool ref(llvm::StringRef &s) {
    uint64_t n = 0;
    if (!u64(n) || rest_.size() < n) return ok_ = false;
    s = rest_.take_front(n);
    rest_ = rest_.drop_front(n);
    return true;
  }
  bool str(std::string &s) {
    llvm::StringRef r;
    if (!ref(r)) return false;
    s = r.str();
    return true;
  }
  template <typename T> bool num(T &v) {
    uint64_t x = 0;
    if (!u64(x)) return false;
    v = static_cast<T>(x);
    return true;
  }
  bool ok() const { return ok_; }

private:
  llvm::StringRef rest_;
  bool ok_ = true;
};

std::string diskPath(const std::string &dir, const std::string &key) {
  uint64_t h = llvm::xxh3_64bits(clang::getClangFullVersion() + '\0' + key);
  llvm::SmallString<256> p(dir);
  llvm::sys::path::append(p, "preamble-" + llvm::utohexstr(h, /*LowerCase=*/true, 16) + ".bin");
  return p.str().str();
}

/// Bounds the directory: oldest-written preamble files go first (one file per unit and flag
/// set, about 10 MB each for the common standard headers).
constexpr uint64_t kDiskBudget = uint64_t(2) << 30;

void prune(const std::string &dir, const std::string &keep) {
  struct Entry {
    std::string path;
    uint64_t size;
    llvm::sys::TimePoint<> mtime;
  };
  std::vector<Entry> files;
  uint64_t total = 0;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (!name.starts_with("preamble-") || !name.ends_with(".bin")) continue;
    llvm::sys::fs::file_status st;
    if (llvm::sys::fs::status(it->path(), st)) continue;
    files.push_back({it->path(), st.getSize(), st.getLastModificationTime()});
    total += st.getSize();
  }
  if (total <= kDiskBudget) return;
  std::sort(files.begin(), files.end(), [](const Entry &a, const Entry &b) { return a.mtime < b.mtime; });
  for (const Entry &f : files) {
    if (total <= kDiskBudget) break;
    if (f.path == keep || llvm::sys::fs::remove(f.path)) continue;
    total -= f.size;
  }
}

void save(const std::string &dir, const std::string &key, const CachedPreamble &p) {
  if (llvm::sys::fs::create_directories(dir)) return;
  std::string final_path = diskPath(dir, key);
  int fd = -1;
  llvm::SmallString<256> tmp;
  if (llvm::sys::fs::createUniqueFile(final_path + "-%%%%%%%%.tmp", fd, tmp)) return;
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    Writer w(os);
    os << kMagic;
    w.str(clang::getClangFullVersion());
    w.str(key);
    w.str(p.prefix);
    w.u64(p.bounds.Size);
    w.u64(p.bounds.PreambleEndsAtStartOfLine);
    w.u64(p.files.size());
    for (const FileStamp &f : p.files) {
      w.str(f.path);
      w.u64(f.size);
      w.u64(static_cast<uint64_t>(f.mtime_ns));
      w.u64(f.device);
      w.u64(f.inode);
      w.u64(f.system);
      w.u64(f.hashed);
      w.u64(f.hash);
    }
    w.u64(p.diagnostics.size());
    for (const Diagnostic &d : p.diagnostics) {
      w.str(d.file);
      w.u64(d.line);
      w.u64(d.column);
      w.u64(static_cast<uint64_t>(d.severity));
      w.str(d.message);
      w.str(d.formatted);
    }
    w.u64(p.dependencies.size());
    for (const auto &[path, system] : p.dependencies) {
      w.str(path);
      w.u64(system);
    }
    w.str(p.pch);
    os.close();
    if (os.has_error()) {
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      return;
    }
  }
  // Atomic replace: a reader (maybe another process) sees the old file or the new one.
  if (llvm::sys::fs::rename(tmp, final_path)) llvm::sys::fs::remove(tmp);
  prune(dir, final_path);
}

std::shared_ptr<CachedPreamble> load(const std::string &dir, const std::string &key,
                                     llvm::StringRef prefix, clang::PreambleBounds bounds) {
  auto buf = llvm::MemoryBuffer::getFile(diskPath(dir, key), /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false, /*IsVolatile=*/true);
  if (!buf) return nullptr;
  llvm::StringRef data = (*buf)->getBuffer();
  if (!data.consume_front(kMagic)) return nullptr;
  Reader r(data);
  auto p = std::make_shared<CachedPreamble>();
  std::string version, stored_key;
  uint64_t size = 0, eol = 0, n = 0;
  if (!r.str(version) || version != clang::getClangFullVersion()) return nullptr;
  if (!r.str(stored_key) || stored_key != key) return nullptr; // hash collision
  if (!r.str(p->prefix) || p->prefix != prefix) return nullptr;
  if (!r.u64(size) || !r.u64(eol) || size != bounds.Size || bool(eol) != bounds.PreambleEndsAtStartOfLine)
    return nullptr;
  p->bounds = bounds;
  if (!r.u64(n)) return nullptr;
  p->files.resize(n);
  for (FileStamp &f : p->files)
    r.str(f.path) && r.u64(f.size) && r.num(f.mtime_ns) && r.u64(f.device) && r.u64(f.inode) &&
        r.num(f.system) && r.num(f.hashed) && r.u64(f.hash);
  if (!r.u64(n)) return nullptr;
  p->diagnostics.resize(n);
  for (Diagnostic &d : p->diagnostics)
    r.str(d.file) && r.num(d.line) && r.num(d.column) && r.num(d.severity) && r.str(d.message) &&
        r.str(d.formatted);
  if (!r.u64(n)) return nullptr;
  p->dependencies.resize(n);
  for (auto &[path, system] : p->dependencies) r.str(path) && r.num(system);
  if (!r.ref(p->pch) || !r.ok()) return nullptr;
  p->loaded = std::move(*buf);
  return p;
}

// --- building -------------------------------------------------------------------------------

struct Built {
  std::shared_ptr<CachedPreamble> preamble; ///< Null on failure.
  bool stable = false;                      ///< Worth keeping: nothing changed while building.
  std::vector<FileStamp> files;             ///< On failure: what the failed build read.
};

Built build(const clang::CompilerInvocation &inv, llvm::StringRef path, llvm::StringRef contents,
            clang::PreambleBounds bounds) {
  Built out;
  auto binv = std::make_shared<clang::CompilerInvocation>(inv);
  // The unit's invocation remaps the main file to a buffer its compile will own; the build
  // remaps it to the prefix itself.
  binv->getPreprocessorOpts().clearRemappedFiles();
  binv->getLangOpts().PCHInstantiateTemplates = true; // benign: the compile need not match

  std::vector<Diagnostic> diags;
  CollectingDiagConsumer consumer(binv->getDiagnosticOpts(), diags);
  llvm::IntrusiveRefCntPtr<clang::DiagnosticsEngine> engine(new clang::DiagnosticsEngine(
      clang::DiagnosticIDs::create(), binv->getDiagnosticOpts(), &consumer, false));
  auto main = llvm::MemoryBuffer::getMemBuffer(contents, path, /*RequiresNullTerminator=*/false);
  BuildCallbacks callbacks(normalizePath(path));
  llvm::ErrorOr<clang::PrecompiledPreamble> pp = clang::PrecompiledPreamble::Build(
      *binv, main.get(), bounds, engine, detail::safeFileSystem(),
      std::make_shared<clang::PCHContainerOperations>(), /*StoreInMemory=*/true,
      /*StoragePath=*/"", callbacks);
  out.files = callbacks.files;
  if (!pp || hasError(diags)) return out;

  auto p = std::make_shared<CachedPreamble>();
  p->prefix = contents.take_front(bounds.Size).str();
  p->bounds = bounds;
  p->built.emplace(std::move(*pp));
  // The PCH bytes live in the preamble's storage; read them back through the overlay it sets up.
  clang::CompilerInvocation scratch;
  scratch.getFrontendOpts().Inputs.emplace_back(path, clang::InputKind(clang::Language::CXX));
  auto empty = llvm::MemoryBuffer::getMemBuffer("", path);
  llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> fs(new llvm::vfs::InMemoryFileSystem());
  p->built->AddImplicitPreamble(scratch, fs, empty.get());
  auto pch = fs->getBufferForFile(scratch.getPreprocessorOpts().ImplicitPCHInclude);
  if (!pch) return out;
  // A view of the preamble's own buffer, which `built` keeps alive and never moves.
  p->pch = (*pch)->getBuffer();
  p->files = std::move(callbacks.files);
  p->dependencies = std::move(callbacks.dependencies);
  p->system_prefix = callbacks.system_prefix.headers;
  p->system_prefix_closed = callbacks.system_prefix.closed;
  p->diagnostics = std::move(diags);
  out.stable = callbacks.stable;
  out.preamble = std::move(p);
  return out;
}

} // namespace

PreambleLookup findPreamble(const std::string &key, const clang::CompilerInvocation &inv,
                            llvm::StringRef path, llvm::StringRef contents,
                            const std::string &cache_dir, bool may_build) {
  PreambleLookup out;
  clang::PreambleBounds bounds = clang::ComputePreambleBounds(
      inv.getLangOpts(), llvm::MemoryBufferRef(contents, path), /*MaxLines=*/0);
  if (bounds.Size == 0) return out; // nothing before the first declaration
  llvm::StringRef prefix = contents.take_front(bounds.Size);
  auto matches = [&](const CachedPreamble &p) {
    return p.prefix == prefix && p.bounds.PreambleEndsAtStartOfLine == bounds.PreambleEndsAtStartOfLine;
  };

  Cache &c = cache();
  std::shared_ptr<Slot> slot = c.slot(key);
  std::lock_guard<std::mutex> building(slot->build_mu);
  if (std::shared_ptr<const CachedPreamble> cur = c.current(*slot)) {
    if (matches(*cur) && stampsUnchanged(cur->files)) {
      c.touch(*slot);
      out.preamble = std::move(cur);
      out.use = HeaderCacheUse::Reused;
      return out;
    }
    c.publish(*slot, nullptr); // stale: never handed out again
  }
  if (slot->failure && slot->failure->prefix == prefix && stampsUnchanged(slot->failure->files)) {
    out.known_failure = true; // would fail the same way: compile without a cache
    return out;
  }
  slot->failure.reset();

  if (!cache_dir.empty()) {
    if (std::shared_ptr<CachedPreamble> disk = load(cache_dir, key, prefix, bounds);
        disk && stampsUnchanged(disk->files)) {
      c.publish(*slot, disk);
      out.preamble = std::move(disk);
      out.use = HeaderCacheUse::Loaded;
      return out;
    }
  }

  if (!may_build) return out;
  Built b = build(inv, path, contents, bounds);
  if (!b.preamble) {
    slot->failure = Failure{prefix.str(), std::move(b.files)};
    return out;
  }
  if (b.stable) {
    c.publish(*slot, b.preamble);
    if (!cache_dir.empty()) save(cache_dir, key, *b.preamble);
  }
  // Even when not kept, it is exactly what clang read for this compile: use it once.
  out.preamble = std::move(b.preamble);
  out.use = HeaderCacheUse::Built;
  return out;
}

void forgetPreambleFailure(const std::string &key) {
  std::shared_ptr<Slot> slot = cache().slot(key);
  std::lock_guard<std::mutex> building(slot->build_mu);
  slot->failure.reset();
}

void applyPreamble(const CachedPreamble &p, clang::CompilerInvocation &inv,
                   llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> &fs) {
  clang::PreprocessorOptions &ppo = inv.getPreprocessorOpts();
  // findPreamble()/findSharedPch() validated every input with a finer check than clang's own.
  ppo.DisablePCHOrModuleValidation = clang::DisableValidationForModuleKind::PCH;
  llvm::IntrusiveRefCntPtr<llvm::vfs::InMemoryFileSystem> mem(new llvm::vfs::InMemoryFileSystem());
  if (p.shared) {
    // -include-pch: clang includes the PCH's header by name first, so serve that too.
    ppo.ImplicitPCHInclude = p.pch_path;
    mem->addFile(p.header_path, 0, llvm::MemoryBuffer::getMemBuffer(p.header_text, p.header_path));
  } else {
    // What PrecompiledPreamble::AddImplicitPreamble does, for memory- and disk-backed entries.
    ppo.PrecompiledPreambleBytes = {p.bounds.Size, p.bounds.PreambleEndsAtStartOfLine};
    ppo.UsePredefines = false; // the preamble carries them
    ppo.ImplicitPCHInclude = kPchPath.str();
  }
  mem->addFile(ppo.ImplicitPCHInclude, 0,
               llvm::MemoryBuffer::getMemBuffer(p.pch, ppo.ImplicitPCHInclude, false));
  llvm::IntrusiveRefCntPtr<llvm::vfs::OverlayFileSystem> overlay(new llvm::vfs::OverlayFileSystem(fs));
  overlay->pushOverlay(mem);
  fs = overlay;
}

void fixPreambleIncludeStacks(const std::string &main_path, std::vector<Diagnostic> &diagnostics,
                              size_t from) {
  // The main file never includes itself, so two adjacent lines naming it come only from the
  // preamble's import location.
  const std::string line = "In file included from " + main_path + ":";
  const std::string spurious = line + "1:\n" + line;
  for (size_t i = from; i < diagnostics.size(); ++i) {
    std::string &f = diagnostics[i].formatted;
    for (size_t at = f.find(spurious); at != std::string::npos; at = f.find(spurious, at))
      f.erase(at, line.size() + 3);
  }
}

bool isPreamblePath(llvm::StringRef path) { return path.starts_with(kPchDir); }

} // namespace hot::fe::detail

namespace hot::fe {

void clearHeaderCache() {
  detail::cache().clear();
  detail::clearSharedPchs();
}

void setHeaderCacheBudget(size_t bytes) { detail::cache().setBudget(bytes); }

} // namespace hot::fe
