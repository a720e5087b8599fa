// In-process clang: driver-derived cc1 flags -> CompilerInvocation -> IR module + metadata.
#include "frontend/ReuseInstantiations.h"
#include "frontend/Frontend.h"
#include "frontend/UnitCache.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>
#include <tuple>
#include <utility>

#include "clang/Basic/DiagnosticIDs.h"
#include "clang/CodeGen/CodeGenAction.h"
#include "clang/CodeGen/ModuleBuilder.h"
#include "clang/Driver/Compilation.h"
#include "clang/Driver/Driver.h"
#include "clang/Driver/Job.h"
#include "clang/Driver/Tool.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/CompilerInvocation.h"
#include "clang/Frontend/MultiplexConsumer.h"
#include "clang/Frontend/Utils.h"
#include "clang/Lex/PreprocessorOptions.h"
#include "frontend/FrontendInternal.h"
#include "frontend/SafeFileSystem.h"
#include "frontend/HeaderCache.h"
#include "frontend/Outline.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TimeProfiler.h"
#include "llvm/Support/VirtualFileSystem.h"
#include "llvm/Support/xxhash.h"
#include "llvm/TargetParser/Host.h"

namespace hot::fe {
namespace {

/// Driver output for one argv: cc1 arguments (without "-cc1") plus what the driver said.
struct Cc1Command {
  std::vector<std::string> args;
  std::vector<Diagnostic> diagnostics;
  bool ok = false;
};

Diagnostic makeError(std::string message) {
  Diagnostic d;
  d.severity = Severity::Error;
  d.message = std::move(message);
  d.formatted = formatDiagnostic(d);
  return d;
}

/// `clang++ <args> -O<n> -fPIC -c <path>` as the real driver would see it.
std::vector<std::string> driverArgv(const std::string &clangxx, const CompileJob &job) {
  std::vector<std::string> argv{clangxx};
  bool has_std = false, has_lang = false;
  for (const std::string &a : job.args) {
    has_std |= llvm::StringRef(a).starts_with("-std=") || llvm::StringRef(a).starts_with("--std");
    has_lang |= a == "-x" || llvm::StringRef(a).starts_with("-x");
    argv.push_back(a);
  }
  if (!has_std) argv.push_back("-std=c++20");
  // Our opt level comes last so it wins over any -O in args (the driver keeps the last one).
  argv.push_back("-O" + std::to_string(std::clamp(job.opt_level, 0, 3)));
  argv.push_back("-fPIC");
  argv.push_back("-c");
  // An unusual extension (.inl, .h) would otherwise become a PCH or linker job.
  if (!has_lang) argv.insert(argv.end(), {"-x", "c++"});
  argv.push_back(job.path);
  return argv;
}

/// Runs clang's driver (no subprocess: BuildCompilation only plans jobs) and takes the cc1 job.
Cc1Command runDriver(const std::vector<std::string> &argv) {
  Cc1Command out;
  clang::DiagnosticOptions opts;
  opts.ShowColors = false;
  detail::CollectingDiagConsumer consumer(opts, out.diagnostics, "clang++");
  clang::DiagnosticsEngine diags(clang::DiagnosticIDs::create(), opts, &consumer, false);
  clang::driver::Driver driver(argv[0], llvm::sys::getDefaultTargetTriple(), diags, "hotengine");
  driver.setCheckInputsExist(false); // the main file may exist only in memory
  std::vector<const char *> cargv;
  for (const std::string &a : argv) cargv.push_back(a.c_str());
  std::unique_ptr<clang::driver::Compilation> comp(driver.BuildCompilation(cargv));
  if (!comp || diags.hasErrorOccurred()) {
    if (!diags.hasErrorOccurred()) out.diagnostics.push_back(makeError("clang driver failed"));
    return out;
  }
  const clang::driver::JobList &jobs = comp->getJobs();
  if (jobs.size() != 1 || !llvm::StringRef(jobs.begin()->getCreator().getName()).starts_with("clang")) {
    out.diagnostics.push_back(makeError("expected exactly one clang -cc1 job from the driver flags"));
    return out;
  }
  const llvm::opt::ArgStringList &args = jobs.begin()->getArguments();
  for (const char *a : args)
    if (llvm::StringRef(a) != "-cc1") out.args.push_back(a);
  out.ok = true;
  return out;
}

/// Project headers (and system ones on request) that exist; never missing includes.
class DepCollector : public clang::DependencyCollector {
public:
  explicit DepCollector(bool system) : system_(system) {}
  bool needSystemDependencies() override { return system_; }
  bool sawDependency(llvm::StringRef file, bool from_module, bool is_system, bool is_module_file,
                     bool is_missing) override {
    if (is_missing) return false;
    return DependencyCollector::sawDependency(file, from_module, is_system, is_module_file, false);
  }

private:
  bool system_;
};

using detail::normalizePath;

/// The prefix's files first (recorded when the cache was built, in include order), then what
/// this compile included itself.
std::vector<std::string> normalizedDependencies(const DepCollector &deps, const CompileJob &job,
                                                const detail::CachedPreamble *pre) {
  std::vector<std::string> out;
  std::set<std::string> seen{normalizePath(job.path)};
  if (pre)
    for (const auto &[path, system] : pre->dependencies)
      if ((!system || job.track_system_headers) && seen.insert(path).second) out.push_back(path);
  for (const std::string &d : deps.getDependencies()) {
    if (detail::isPreamblePath(d)) continue;
    std::string n = normalizePath(d);
    if (seen.insert(n).second) out.push_back(std::move(n));
  }
  return out;
}

/// Cuts a compile short once CompileJob::cancel is set. A fatal error makes clang instantiate
/// no more templates and generate no code; parsing stops at the next top-level declaration,
/// and the token watcher notices the flag inside one that is long (a namespace of the whole
/// file).
class Canceller {
public:
  explicit Canceller(const std::atomic<bool> *flag) : flag_(flag) {}
  /// True once cancelled (the fatal error is reported the first time).
  bool check(clang::DiagnosticsEngine &diags) {
    if (!flag_ || !flag_->load(std::memory_order_relaxed)) return false;
    if (!said_) {
      said_ = true;
      diags.Report(diags.getCustomDiagID(clang::DiagnosticsEngine::Fatal, "compile cancelled"));
    }
    return true;
  }
  void watchTokens(clang::Preprocessor &pp) {
    if (!flag_) return;
    pp.setTokenWatcher([this, &pp, n = 0u](const clang::Token &) mutable {
      if (++n % 1024 == 0) check(pp.getDiagnostics());
    });
  }
  bool said() const { return said_; }

private:
  const std::atomic<bool> *flag_;
  bool said_ = false;
};

/// Hands the Canceller every point where clang passes work on: top-level declarations (and,
/// at the end of the unit, each instantiated function body), implicit instantiations, inline
/// definitions.
class CancelConsumer : public clang::ASTConsumer {
public:
  CancelConsumer(Canceller &c, clang::DiagnosticsEngine &diags) : c_(c), diags_(diags) {}
  bool HandleTopLevelDecl(clang::DeclGroupRef) override { return !c_.check(diags_); }
  void HandleInlineFunctionDefinition(clang::FunctionDecl *) override { c_.check(diags_); }
  void HandleCXXImplicitFunctionInstantiation(clang::FunctionDecl *) override {
    c_.check(diags_);
  }

private:
  Canceller &c_;
  clang::DiagnosticsEngine &diags_;
};

/// EmitLLVMOnly that lets us inspect the module while the AST still exists: the base
/// ExecuteAction parses and codegens; EndSourceFile (which frees the AST) runs after us.
class HotCodeGenAction : public clang::EmitLLVMOnlyAction {
public:
  using Hook = std::function<void(clang::CompilerInstance &, clang::CodeGenerator &)>;
  HotCodeGenAction(llvm::LLVMContext *ctx, Hook hook, detail::SystemPrefix &prefix,
                   detail::OutlineRecorder &outline, Canceller &cancel,
                   std::shared_ptr<const std::set<std::string>> reusable)
      : EmitLLVMOnlyAction(ctx), hook_(std::move(hook)), prefix_(prefix), outline_(outline),
        cancel_(cancel), reusable_(std::move(reusable)) {}

protected:
  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance &ci,
                                                        llvm::StringRef file) override {
    // The outline's consumer first: it marks edited functions used before code generation
    // decides what to emit.
    std::vector<std::unique_ptr<clang::ASTConsumer>> both;
    both.push_back(std::make_unique<CancelConsumer>(cancel_, ci.getDiagnostics()));
    if (reusable_) both.push_back(std::make_unique<detail::InstantiationSkipper>(reusable_));
    both.push_back(outline_.consumer());
    both.push_back(EmitLLVMOnlyAction::CreateASTConsumer(ci, file));
    if (!both.back()) return nullptr;
    return std::make_unique<clang::MultiplexConsumer>(std::move(both));
  }
  bool BeginSourceFileAction(clang::CompilerInstance &ci) override {
    ci.getPreprocessor().addPPCallbacks(prefix_.recorder(ci.getPreprocessor()));
    cancel_.watchTokens(ci.getPreprocessor());
    return EmitLLVMOnlyAction::BeginSourceFileAction(ci);
  }
  void ExecuteAction() override {
    EmitLLVMOnlyAction::ExecuteAction();
    clang::CompilerInstance &ci = getCompilerInstance();
    prefix_.finish(ci.getPreprocessor());
    clang::CodeGenerator *gen = getCodeGenerator();
    if (ci.getDiagnostics().hasErrorOccurred() || !gen || !gen->GetModule()) return;
    hook_(ci, *gen);
  }

private:
  Hook hook_;
  detail::SystemPrefix &prefix_;
  detail::OutlineRecorder &outline_;
  Canceller &cancel_;
  std::shared_ptr<const std::set<std::string>> reusable_; ///< Null: instantiate everything.
};

/// The cc1 invocation, adjusted for in-memory, unoptimized, leak-free compilation.
std::shared_ptr<clang::CompilerInvocation> makeInvocation(const std::string &argv0,
                                                         const std::vector<std::string> &cc1,
                                                         const CompileJob &job,
                                                         std::vector<Diagnostic> &diags_out) {
  auto inv = std::make_shared<clang::CompilerInvocation>();
  clang::DiagnosticOptions opts;
  detail::CollectingDiagConsumer consumer(opts, diags_out);
  clang::DiagnosticsEngine diags(clang::DiagnosticIDs::create(), opts, &consumer, false);
  std::vector<const char *> args;
  for (const std::string &a : cc1) args.push_back(a.c_str());
  if (!clang::CompilerInvocation::CreateFromArgs(*inv, args, diags, argv0.c_str())) return nullptr;
  // The driver's -disable-free leaks the AST (~2.6 MB) and, via CodeGenOpts, the backend's
  // TargetMachine (BuryPointer keeps 10, then leaks) on every compile.
  inv->getFrontendOpts().DisableFree = false;
  inv->getCodeGenOpts().DisableFree = false;
  inv->getCodeGenOpts().DisableLLVMPasses = true;      // optimizeModule() runs the pipeline
  inv->getCodeGenOpts().ClearASTBeforeBackend = false; // symbol mapping needs the AST after codegen
  inv->getDiagnosticOpts().ShowColors = false;         // `formatted` is plain text
  // Compile exactly job.contents, whatever is on disk; the preprocessor owns the buffer.
  inv->getPreprocessorOpts().addRemappedFile(
      job.path, llvm::MemoryBuffer::getMemBufferCopy(job.contents, job.path).release());
  inv->getPreprocessorOpts().RetainRemappedFileBuffers = false;
  return inv;
}

bool hasError(const std::vector<Diagnostic> &diags) {
  for (const Diagnostic &d : diags)
    if (d.severity == Severity::Error) return true;
  return false;
}

/// A patch compile skips bodies: what only they used looks unused, and it is not.
void quietUnusedWarnings(clang::CompilerInvocation &inv) {
  for (const char *w : {"no-unused-function", "no-unneeded-internal-declaration",
                        "no-unused-variable", "no-unused-const-variable", "no-unused-private-field",
                        "no-unused-member-function", "no-unused-template"})
    inv.getDiagnosticOpts().Warnings.push_back(w);
}

/// Every project file this compile read (the prefix's as its cache read them: their text is
/// kept only if the file still has those bytes).
std::vector<Outline::File> projectFiles(const clang::SourceManager &sm,
                                        const detail::CachedPreamble *pre) {
  auto files = detail::readProjectFiles(sm);
  if (!pre) return files;
  for (const detail::FileStamp &f : pre->files) {
    if (!f.hashed || f.system) continue;
    Outline::File out{f.path, f.hash, {}, false};
    auto buf = detail::readFileSafely(f.path);
    if (buf && llvm::xxh3_64bits((*buf)->getBuffer()) == f.hash) {
      out.text = (*buf)->getBuffer().str();
      out.has_text = true;
    }
    files.push_back(std::move(out));
  }
  return files;
}

/// Parses and generates IR; fills `r` (module only when clang reported no error).
/// `pre`: the unit's cached prefix, loaded instead of parsing the headers again.
/// `plan`: bodies to skip (a patch compile against job.base), or null. Returns false if the
/// plan did not hold (compile again without it).
bool runInvocation(std::shared_ptr<clang::CompilerInvocation> inv, const CompileJob &job,
                   const detail::CachedPreamble *pre, CompileResult &r,
                   detail::SystemPrefix &prefix, const detail::PatchPlan *plan,
                   const std::string &key) {
  llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> fs = detail::safeFileSystem();
  if (plan) {
    inv->getFrontendOpts().SkipFunctionBodies = true; // asks the recorder body by body
    quietUnusedWarnings(*inv);
  }
  if (pre) {
    detail::applyPreamble(*pre, *inv, fs);
    // Clang reports nothing for headers it does not parse: replay what the build reported.
    r.diagnostics.insert(r.diagnostics.end(), pre->diagnostics.begin(), pre->diagnostics.end());
  }
  // Declared before the instance: it is not owned by it and must outlive it.
  detail::CollectingDiagConsumer consumer(inv->getDiagnosticOpts(), r.diagnostics);
  clang::CompilerInstance ci(inv);
  ci.createVirtualFileSystem(fs, &consumer);
  ci.createDiagnostics(&consumer, /*ShouldOwnClient=*/false);
  ci.setVerboseOutputStream(std::make_unique<llvm::raw_null_ostream>()); // no "1 error generated."
  auto deps = std::make_shared<DepCollector>(job.track_system_headers);
  ci.addDependencyCollector(deps);

  detail::OutlineRecorder outline(plan);
  auto afterCodegen = [&](clang::CompilerInstance &c, clang::CodeGenerator &gen) {
    llvm::TimeTraceScope scope("hot collectSymbols"); // no-op unless -ftime-trace style profiling
    detail::collectSymbols(c.getASTContext(), gen, *gen.GetModule(), r);
    r.outline = outline.finish(c.getASTContext(), job.contents, key,
                               projectFiles(c.getSourceManager(), pre));
    r.skipped = outline.skippedSymbols(c.getASTContext());
    r.patch = plan && outline.patched();
    if (r.patch) r.replaced = plan->replaced;
    r.bodies_only = r.patch && !plan->declarations && plan->headers.empty();
    r.bodies_changed = r.patch ? plan->changed + outline.emittedByHeaders() : 0;
    if (job.cache_units && !job.cache_dir.empty() && !r.patch)
      for (detail::ReadFile &f : detail::filesRead(c.getSourceManager(), pre))
        r.files_read.emplace_back(std::move(f.path), f.hash);
  };
  Canceller cancel(job.cancel);
  // Only a body-only plan may skip instantiations: declarations mean what they meant.
  bool bodies_only = plan && !plan->declarations && plan->headers.empty();
  HotCodeGenAction action(r.context.get(), afterCodegen, prefix, outline, cancel,
                          bodies_only ? job.reusable : nullptr);
  size_t first_own = r.diagnostics.size();
  bool ok = ci.ExecuteAction(action);
  if (cancel.said()) return true; // failed: no module, no second try
  if (pre && !pre->shared) detail::fixPreambleIncludeStacks(job.path, r.diagnostics, first_own);
  std::unique_ptr<llvm::Module> module = action.takeModule();
  r.dependencies = normalizedDependencies(*deps, job, pre); // as far as preprocessing got
  if (ok && module && !hasError(r.diagnostics)) r.module = std::move(module);
  return !r.module || outline.held();
}

} // namespace

struct Frontend::State {
  std::string clangxx;
  /// Driver results per argv: the driver probes the GCC installation on every call, and a
  /// unit is recompiled with the same flags again and again.
  std::map<std::string, Cc1Command> cc1_cache;

  /// The cc1 arguments name the main file, the -O level and every flag that shapes the AST:
  /// together they key the header cache (plus the cwd the driver resolved paths against).
  static std::string cacheKey(const Cc1Command &cc1) {
    llvm::SmallString<256> cwd;
    std::string key = llvm::sys::fs::current_path(cwd) ? std::string() : cwd.str().str();
    key += '\0';
    for (const std::string &a : cc1.args) key += a + '\0';
    return key;
  }

  const Cc1Command &cc1For(const std::vector<std::string> &argv) {
    // The driver resolves relative paths (and the debug compilation dir) against the cwd.
    llvm::SmallString<256> cwd;
    std::string key = llvm::sys::fs::current_path(cwd) ? std::string() : cwd.str().str();
    for (const std::string &a : argv) key += '\0' + a;
    auto it = cc1_cache.find(key);
    if (it != cc1_cache.end()) return it->second;
    if (cc1_cache.size() > 256) cc1_cache.clear(); // bound memory for long sessions
    return cc1_cache.emplace(key, runDriver(argv)).first->second;
  }
};

llvm::Expected<std::unique_ptr<Frontend>> Frontend::create(std::string clangxx) {
  if (!llvm::sys::fs::can_execute(clangxx))
    return llvm::createStringError("clang++ driver not found or not executable: '%s'", clangxx.c_str());
  detail::initNativeTarget();
  std::unique_ptr<Frontend> fe(new Frontend());
  fe->state_ = std::make_unique<State>();
  fe->state_->clangxx = std::move(clangxx);
  return fe;
}

Frontend::~Frontend() = default;

namespace {

/// The cc1 arguments without what names the main file: units with equal flags share a key.
std::string sharedKey(const std::string &unit_key, const std::vector<std::string> &cc1,
                      const std::string &path) {
  std::string key = unit_key.substr(0, unit_key.find('\0') + 1); // the cwd
  for (size_t i = 0; i < cc1.size(); ++i) {
    const std::string &a = cc1[i];
    if (a == "-main-file-name" || a == "-o" || a == "-dependency-file" || a == "-MT") {
      ++i;
      continue;
    }
    if (a != path) key += a + '\0';
  }
  return key;
}

/// The system prefix of this compile as a whole: the preamble's part first (a compile that
/// loads a preamble does not see the prefix's directives), then the compile's own.
std::vector<std::string> wholePrefix(const detail::CachedPreamble *pre,
                                     const detail::SystemPrefix &own) {
  if (!pre || pre->shared) return own.headers;
  std::vector<std::string> out = pre->system_prefix;
  if (pre->system_prefix_closed) return out;
  for (const std::string &h : own.headers)
    if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
  return out;
}

/// A first guess at a unit's system prefix from its text alone: the leading `#include <...>`
/// lines of the main file, up to the first line that is anything else (a quoted include, a
/// macro, a declaration). The compile that uses it checks it (see compile()).
std::vector<std::string> leadingSystemIncludes(llvm::StringRef text) {
  std::vector<std::string> out;
  bool in_comment = false;
  while (!text.empty()) {
    auto [line, rest] = text.split('\n');
    text = rest;
    line = line.trim();
    if (in_comment) {
      size_t end = line.find("*/");
      if (end == llvm::StringRef::npos) continue;
      in_comment = false;
      line = line.drop_front(end + 2).trim();
    }
    if (line.empty() || line.starts_with("//")) continue;
    if (line.starts_with("/*")) {
      in_comment = line.find("*/", 2) == llvm::StringRef::npos;
      if (in_comment) continue;
      line = line.drop_front(line.find("*/", 2) + 2).trim();
      if (line.empty()) continue;
    }
    if (!line.consume_front("#")) break;
    line = line.ltrim();
    if (line.consume_front("pragma") && line.trim() == "once") continue;
    if (!line.consume_front("include")) break;
    line = line.trim();
    if (!line.consume_front("<")) break;
    size_t close = line.find('>');
    if (close == llvm::StringRef::npos) break;
    std::string name = line.take_front(close).str();
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

bool covers(const std::vector<std::string> &all, const std::vector<std::string> &part) {
  for (const std::string &h : part)
    if (std::find(all.begin(), all.end(), h) == all.end()) return false;
  return true;
}

} // namespace

/// Header cache policy: the unit's own preamble while it is fresh (body edits). When it is
/// stale or missing and the unit's system prefix is known (from an earlier compile, or guessed
/// from its leading <...> includes with `share_system_headers`), the shared PCH of those
/// headers stands in (see SystemPrefix.cpp); otherwise the unit's preamble is built.
/// A first compile (no base) that can be read back from the cache, or stored in it.
static bool cacheable(const CompileJob &job) {
  return job.cache_units && !job.cache_dir.empty() && !job.base;
}

static void storeInCache(const CompileJob &job, const std::string &key, CompileResult &r) {
  if (!r.module || r.patch || r.from_cache || hasError(r.diagnostics)) return;
  std::vector<detail::ReadFile> files;
  for (const auto &[path, hash] : r.files_read) files.push_back({path, hash});
  detail::UnitCache(job.cache_dir).store(key, r, files, job.cache_max_bytes, job.cache_ir);
}

CompileResult Frontend::compile(const CompileJob &job) {
  auto start = std::chrono::steady_clock::now();
  std::string unit_key, cache_warning;
  std::vector<std::string> argv = driverArgv(state_->clangxx, job);
  if (cacheable(job)) {
    // Keyed by the driver's input, not its cc1 output: running the driver probes the GCC
    // installation, which costs a warm start more than reading the unit back. What the
    // installation provides is covered by the hashes of the headers the compile read.
    llvm::SmallString<256> cwd;
    std::string flags = llvm::sys::fs::current_path(cwd) ? std::string() : cwd.str().str();
    for (const std::string &a : argv) flags += '\0' + a;
    unit_key = detail::UnitCache::key(flags, job);
    auto hit = job.cache_read
                   ? detail::UnitCache(job.cache_dir).load(unit_key, cache_warning, job.lazy_module)
                   : std::nullopt;
    if (hit) {
      hit->frontend_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      return std::move(*hit);
    }
  }
  if (job.cache_only) return CompileResult{};
  CompileResult r = compileFromSource(job, argv);
  if (!cache_warning.empty()) {
    Diagnostic d{job.path, 0, 0, Severity::Warning, cache_warning, ""};
    d.formatted = formatDiagnostic(d);
    r.diagnostics.push_back(std::move(d));
  }
  if (!unit_key.empty()) storeInCache(job, unit_key, r);
  r.frontend_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return r;
}

CompileResult Frontend::compileFromSource(const CompileJob &job,
                                          const std::vector<std::string> &argv) {
  auto start = std::chrono::steady_clock::now();
  CompileResult r;
  r.context = std::make_unique<llvm::LLVMContext>();
  const Cc1Command &cc1 = state_->cc1For(argv);
  r.diagnostics = cc1.diagnostics;
  if (cc1.ok) {
    auto inv = makeInvocation(state_->clangxx, cc1.args, job, r.diagnostics);
    if (inv && !hasError(r.diagnostics)) {
      detail::PreambleLookup cached;
      std::string key = State::cacheKey(cc1);
      std::vector<std::string> known;
      std::optional<detail::PatchPlan> plan;
      if (job.base && job.base->key == key) plan = detail::planPatch(*job.base, job.contents);
      if (job.use_header_cache) {
        auto t0 = std::chrono::steady_clock::now();
        known = detail::knownSystemPrefix(key);
        if (known.empty() && job.share_system_headers) known = leadingSystemIncludes(job.contents);
        llvm::TimeTraceScope scope("hot findPreamble");
        // A header edit's plan needs this compile to parse the edited headers (what their
        // declarations declare decides which bodies compile): no new preamble of them.
        bool headers_edited = plan && !plan->headers.empty();
        cached = detail::findPreamble(key, *inv, job.path, job.contents, job.cache_dir,
                                      /*may_build=*/known.empty() && !headers_edited);
        if (!cached.preamble && !cached.known_failure && !known.empty()) {
          cached = detail::findSharedPch(sharedKey(key, cc1.args, job.path), known, *inv);
          if (!cached.preamble) // the shared build failed: the unit's own preamble, then
            cached = detail::findPreamble(key, *inv, job.path, job.contents, job.cache_dir);
        }
        r.header_cache = cached.use;
        r.header_cache_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      }
      const std::vector<Diagnostic> before = r.diagnostics;
      const detail::PatchPlan *planned = plan ? &*plan : nullptr;
      bool held = true; // the plan's assumptions survived the compile
      auto compileAgain = [&](const detail::CachedPreamble *pre, const detail::PatchPlan *with) {
        HeaderCacheUse use = r.header_cache;
        double cache_ms = r.header_cache_ms;
        r = CompileResult();
        r.context = std::make_unique<llvm::LLVMContext>();
        r.diagnostics = before;
        if (pre) std::tie(r.header_cache, r.header_cache_ms) = std::pair(use, cache_ms);
        detail::SystemPrefix again;
        auto fresh = makeInvocation(state_->clangxx, cc1.args, job, r.diagnostics);
        held = !fresh || runInvocation(fresh, job, pre, r, again, with, key);
        return again.headers;
      };
      detail::SystemPrefix prefix;
      held = runInvocation(inv, job, cached.preamble.get(), r, prefix, planned, key);
      std::vector<std::string> now = wholePrefix(cached.preamble.get(), prefix);
      const detail::CachedPreamble *used = cached.preamble.get();
      if (used && used->shared && !covers(now, known)) {
        // An edit put a #define or #pragma before a system include the PCH holds: what this
        // compile took from the PCH may mean something else now. Compile it from source.
        used = nullptr;
        now = compileAgain(nullptr, planned);
      }
      if (!held) {
        // The edit declared something new (an overload may now win where a skipped body
        // calls): compile every body.
        std::vector<std::string> headers = compileAgain(used, nullptr);
        if (!used) now = std::move(headers);
      }
      if (job.use_header_cache && r.module) detail::rememberSystemPrefix(key, std::move(now));
      if (cached.known_failure && r.module) detail::forgetPreambleFailure(key); // headers fixed
    }
  }
  if (!r.module) {
    r.functions.clear();
    r.globals.clear();
    r.outline.reset();
    r.skipped.clear();
    r.replaced.clear();
    r.patch = false;
    if (!hasError(r.diagnostics)) r.diagnostics.push_back(makeError("compilation failed"));
  }
  r.frontend_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return r;
}

} // namespace hot::fe
