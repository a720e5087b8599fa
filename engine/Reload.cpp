// The reload pipeline, as ordered steps. A transaction holds one or more units; every unit
// compiles and links before any stub moves, and a failure anywhere leaves every stub alone.
//
//   stage -> compileAll -> analyze -> decide (signatures, state layouts) -> rewriteAll
//         -> codegenAll -> linkAll (every symbol resolved) -> apply:
//              old unload hooks, bind new stubs, run new initializers, migrations,
//              redirect stubs, new load hooks, commit tables, retire old code.
#include "engine/EngineImpl.h"
#include "frontend/UnitCache.h"
#include "engine/CompileWatchdog.h"
#include "engine/LibraryHint.h"
#include "engine/Runtime.h"
#include "engine/Util.h"
#include "jit/CodeScanner.h"

#include "llvm/Demangle/Demangle.h"

#include <chrono>
#include <condition_variable>
#include <cxxabi.h>
#include <thread>
#include <fstream>
#include <sstream>

namespace hot {
using Clock = std::chrono::steady_clock;

using util::msSince;

namespace {
std::string location(const std::string &file, unsigned line, unsigned col) {
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}
std::string where(const std::string &file, unsigned line, unsigned col) {
  if (file.empty()) return "";
  return location(file, line, col) + ": ";
}
} // namespace

/// The one-definition rule across units, checked as a native link checks it: a strong
/// definition of `key` may come from one unit only. `owner` is the unit whose running version
/// defines it strongly (-1: none) and `first` where. A unit of this transaction replaces its own
/// running definitions, and a deleted unit's leftovers yield to a new definition.
Status HotEngine::Impl::checkOneDefinition(Transaction &tx, Staged &s, const std::string &key,
                                           const std::string &display, const std::string &here,
                                           int owner, const std::string &first) {
  auto [it, inserted] = tx.strong_defs.try_emplace(key, s.unit, here);
  Unit *other = nullptr;
  std::string other_where;
  if (!inserted && it->second.first != s.unit) {
    other = it->second.first;
    other_where = it->second.second;
  } else if (owner >= 0 && owner != int(s.unit->id)) {
    Unit *o = unitById(unsigned(owner));
    bool staged = std::any_of(tx.units.begin(), tx.units.end(),
                              [&](const auto &t) { return t->unit == o; });
    if (o && !o->deleted && !staged) {
      other = o;
      other_where = first;
    }
  }
  if (!other) return Status();
  tx.blocked_by = other;
  return Status(ErrorCode::LinkError,
                here + ": error: multiple definition of '" + display + "'; first defined in " +
                    other_where + ". Keep one definition (or make the others static or inline)");
}

Unit *HotEngine::Impl::unitById(unsigned id) const {
  for (auto &[path, u] : units_)
    if (u->id == id) return u.get();
  return nullptr;
}

/// Answers the rewrite's questions from the engine tables plus the transaction in flight.
class Oracle : public jit::SymbolOracle {
public:
  Oracle(HotEngine::Impl &e, Transaction &tx) : e_(e), tx_(tx) {}
  bool isReloadable(const std::string &symbol) const override {
    auto it = e_.symbols_.find(symbol);
    if (it == e_.symbols_.end()) return false;
    return it->second->owner >= 0 || tx_defines(symbol);
  }
  bool hasData(const std::string &symbol) const override {
    return e_.constants_.count(symbol) || tx_constants.count(symbol);
  }
  std::string dataSymbol(const std::string &key) const override {
    if (auto it = tx_.new_state.find(key); it != tx_.new_state.end()) return it->second.symbol;
    if (auto it = e_.state_.find(key); it != e_.state_.end()) return it->second.symbol;
    return key;
  }
  std::set<std::string> tx_constants;

private:
  bool tx_defines(const std::string &symbol) const {
    for (auto &s : tx_.units)
      if (s->transform)
        for (auto &c : s->transform->functions())
          if (c.symbol == symbol) return true;
    return false;
  }
  HotEngine::Impl &e_;
  Transaction &tx_;
};

std::unique_ptr<Transaction> HotEngine::Impl::stage(const std::vector<Unit *> &units) {
  auto tx = std::make_unique<Transaction>();
  tx->id = next_tx_++;
  for (Unit *u : units) {
    auto s = std::make_unique<Staged>();
    s->unit = u;
    std::string why;
    if (!util::readFile(u->path, s->source, &why)) {
      message(Severity::Warning, u->path + ": " + why + (u->current() ? "; the running version is kept" : "; not loaded"));
      continue;
    }
    if (s->source.find('\0') != std::string::npos) { // a binary or corrupt file, not source
      message(Severity::Warning, u->path + ": contains NUL bytes: not a source file" +
                                     (u->current() ? "; the running version is kept" : "; not loaded"));
      continue;
    }
    s->hash = util::hashText(s->source);
    s->tier = 0;
    s->opt_level = config_.tiering.enabled ? config_.tiering.tier0_opt : config_.opt_level;
    if (config_.function_patches) {
      std::lock_guard<std::mutex> lock(mu_);
      if (Version *v = u->current(); v && v->outline) {
        s->base_version = v->number;
        s->base = v->outline;
        for (auto &[sym, addr] : v->bodies) s->base_bodies.insert(sym);
        if (config_.reuse_inline_code && !v->shared_code.empty()) {
          auto names = std::make_shared<std::set<std::string>>();
          for (auto &[name, code] : v->shared_code) names->insert(names->end(), name);
          s->reusable = std::move(names);
        }
      }
    }
    tx->units.push_back(std::move(s));
  }
  return tx;
}

/// A failed compile as a Status: its first error, located, and every diagnostic.
static Status compileFailure(const Staged &s) {
  std::string msg = s.unit->path + ": compile failed";
  for (auto &d : s.compiled.diagnostics)
    if (d.severity == Severity::Error) {
      msg = where(d.file, d.line, d.column) + "error: " + d.message;
      break;
    }
  return Status(ErrorCode::CompileError, msg, s.compiled.diagnostics);
}

/// A function-level recompile can be applied only if every skipped function the new code
/// refers to still has its body in the running version (a function that version never
/// emitted, such as an unused inline one, has no code to keep).
bool HotEngine::Impl::patchUsable(const Staged &s) const {
  for (const auto &[name, local] : s.compiled.skipped) {
    const llvm::Function *f = s.compiled.module->getFunction(name);
    if (!f) continue; // not referenced
    std::string symbol = jit::UnitTransform::stubSymbol(s.unit->id, name, local);
    if (!s.base_bodies.count(symbol)) return false;
  }
  return true;
}

/// Compiles every staged unit that has no result yet (handleChanges() may have compiled some).
/// A cancelled compile's errors are the consequence, not the cause: say why it stopped.
void HotEngine::Impl::noteCancelled(Staged &s, bool over_budget) {
  std::string why =
      over_budget
          ? "compiling took longer than compile_budget_ms (" +
                std::to_string(config_.compile_budget_ms) +
                " ms): cancelled, the running version stays. Raise compile_budget_ms for a "
                "unit this heavy, or split it, and save again"
          : "not compiled: the engine is stopping";
  std::vector<Diagnostic> kept;
  for (Diagnostic &d : s.compiled.diagnostics)
    if (d.severity == Severity::Warning) kept.push_back(std::move(d));
  Diagnostic d{s.unit->path, 0, 0, Severity::Error, why, ""};
  d.formatted = fe::formatDiagnostic(d);
  kept.push_back(std::move(d));
  s.compiled.diagnostics = std::move(kept);
}

fe::CompileJob HotEngine::Impl::compileJob(const Staged &s) const {
  fe::CompileJob job;
  if (s.tier == 0) job.base = s.base;
  if (s.tier == 0) job.reusable = s.reusable;
  job.path = s.unit->path;
  job.contents = s.source;
  job.args = compileArgs(*s.unit);
  if (s.tier > 0 && config_.tiering.native_cpu) job.args.push_back("-march=native");
  job.opt_level = s.opt_level;
  job.track_system_headers = config_.track_system_headers;
  job.use_header_cache = config_.header_cache;
  job.cache_dir = config_.cache_dir;
  job.cache_units = true;
  job.cache_max_bytes = std::uint64_t(std::max(1u, config_.cache_max_mb)) << 20;
  job.share_system_headers = true;
  job.lazy_module = true; // a replayed rewrite needs no IR (makeTransform)
  // Nor does a warm start keep it: the unit's record and objects are its code. Writing the
  // IR cost a cold start more than anything else the cache stores; a replay that cannot be
  // used compiles the unit again (compileIrAgain) and keeps its IR from then on. A tier-up
  // keeps it: a later start reads that compile back at another version than its record's
  // (startsHot), and it is compiled in the background, not while the program waits.
  job.cache_ir = s.tier > 0;
  return job;
}

/// A unit loading for the first time whose tier-1 compile of this very text is in the cache
/// was hot in an earlier run (only a tier-up stores one): it starts at tier 1, read back, and
/// is not profiled again. Otherwise `s` is left as it was, at tier 0.
bool HotEngine::Impl::startsHot(Staged &s, fe::Frontend &frontend) {
  if (!config_.tiering.enabled || config_.cache_dir.empty() || s.tier != 0 ||
      !s.unit->history.empty())
    return false;
  // Tier 1 compiled like tier 0: its entry is the tier-0 compile's, not a sign of heat.
  if (config_.tiering.tier1_opt == config_.tiering.tier0_opt && !config_.tiering.native_cpu)
    return false;
  Staged probe;
  probe.unit = s.unit;
  probe.source = s.source;
  probe.tier = 1;
  probe.opt_level = config_.tiering.tier1_opt;
  fe::CompileJob job = compileJob(probe);
  job.cache_only = true;
  fe::CompileResult r = frontend.compile(job);
  if (!r.ok()) return false;
  s.compiled = std::move(r);
  s.tier = 1;
  s.opt_level = probe.opt_level;
  s.phases.frontend = s.compiled.frontend_ms;
  return true;
}

void HotEngine::Impl::compileAll(Transaction &tx) {
  std::vector<Staged *> todo;
  for (auto &s : tx.units)
    if (!s->compile_done) todo.push_back(s.get());
  std::atomic<unsigned> done{0};
  unsigned total = unsigned(todo.size());
  eng::CompileWatchdog watchdog(config_.compile_budget_ms, [this] { return stopping(); });
  parallelFor(todo.size(), [&](size_t i, size_t worker) {
    Staged &s = *todo[i];
    if (stopping()) return; // the host is exiting: compile nothing more
    if (Listener *to = sink(); to && total > 1) to->onCompiling(s.unit->path, done, total);
    auto start = Clock::now();
    if (startsHot(s, *frontends_[worker])) {
      s.compile_ms = msSince(start);
      s.compile_done = true;
      unsigned n = ++done;
      if (Listener *to = sink(); to && total > 1) to->onProgress(n, total);
      return;
    }
    fe::CompileJob job = compileJob(s);
    std::shared_ptr<eng::CompileWatchdog::Watched> watched = watchdog.watch();
    job.cancel = &watched->cancel;
    s.compiled = frontends_[worker]->compile(job);
    s.phases.frontend = s.compiled.frontend_ms;
    s.phases.header_cache = s.compiled.header_cache_ms;
    if (s.compiled.ok() && s.compiled.patch && !patchUsable(s)) {
      job.base = nullptr;
      s.compiled = frontends_[worker]->compile(job);
      s.phases.frontend += s.compiled.frontend_ms;
      s.phases.header_cache += s.compiled.header_cache_ms;
    }
    watchdog.done(watched);
    s.compile_ms = msSince(start);
    if (!s.compiled.ok() && watched->cancel) noteCancelled(s, watched->over_budget);
    s.compile_done = true;
    unsigned n = ++done;
    if (Listener *to = sink(); to && total > 1) to->onProgress(n, total);
  });
  for (Staged *s : todo) {
    if (!s->compile_done) { // skipped by stopping(): fails the transaction, changes nothing
      s->compiled.diagnostics.push_back({s->unit->path, 0, 0, Severity::Error,
                                         "not compiled: the engine is stopping", ""});
      s->compile_done = true;
      continue;
    }
    s->unit->attempted_hash = s->hash;
    if (!s->compiled.dependencies.empty() || s->compiled.ok())
      s->unit->deps = s->compiled.dependencies; // tracking survives a failed compile
    watchHeaders(s->compiled.dependencies);
  }
}

/// The options and flags that decide the rewritten code beyond the module itself.
static std::string recordOptions(const jit::TransformOptions &o, int opt_level, bool native) {
  std::string out = std::to_string(o.unit_id) + ':' + std::to_string(o.version) + ':' +
                    (o.count_calls ? "c" : "-") + std::to_string(opt_level) + (native ? "N" : "n");
  for (const std::string &d : o.local_declarations) out += '\0' + d;
  return out;
}

/// A unit read back without its IR whose record and objects cannot be used (evicted, or an
/// answer changed): compiled from its text again, on the engine thread (every worker is done),
/// and stored with its IR this time, so a replay refused again costs only the backend.
Status HotEngine::Impl::compileIrAgain(Staged &s, const jit::TransformOptions &opts) {
  fe::CompileJob job = compileJob(s);
  job.cache_read = false;
  job.cache_ir = true;
  fe::CompileResult r = frontends_[0]->compile(job);
  // Counted as compiled, not read back: "nothing compiled" must stay true to its word.
  --fe::detail::unitCacheCounters().hits;
  ++fe::detail::unitCacheCounters().misses;
  s.phases.frontend += r.frontend_ms;
  s.compile_ms += r.frontend_ms;
  if (!r.ok()) {
    s.compiled = std::move(r);
    return compileFailure(s);
  }
  s.compiled = std::move(r);
  if (!s.record_key.empty()) { // the entry, hence the module's identity, changed
    bool native = s.tier > 0 && config_.tiering.native_cpu;
    s.record_key = fe::detail::recordKey(s.compiled.cache_key, recordOptions(opts, s.opt_level, native));
  }
  return Status();
}

/// A transform of the unit's module (parsed now if it was read back as bitcode, compiled again
/// if it was read back without IR), analyzed.
Status HotEngine::Impl::transformModule(Staged &s, const jit::TransformOptions &opts) {
  if (auto err = fe::materializeModule(s.compiled))
    return Status(ErrorCode::Internal, s.unit->path + ": the cached code of this unit does not "
                                                      "load (" + llvm::toString(std::move(err)) +
                                                      "); run `hot cache clear` and start again");
  if (!s.compiled.module)
    if (Status st = compileIrAgain(s, opts); !st.ok()) return st;
  s.transform = std::make_unique<jit::UnitTransform>(*s.compiled.module, s.compiled, opts);
  if (auto err = s.transform->analyze())
    return Status(ErrorCode::Internal, llvm::toString(std::move(err)));
  return Status();
}

/// A unit whose module an earlier run rewrote with the same options is replayed from that
/// run's record and object (no IR parsed) when both are still cached; any other unit gets a
/// transform of its module. Records are kept only for units the unit cache identifies.
Status HotEngine::Impl::makeTransform(Staged &s, jit::TransformOptions opts) {
  bool native = s.tier > 0 && config_.tiering.native_cpu;
  opts.record = !config_.cache_dir.empty() && !s.compiled.cache_key.empty() && !s.compiled.patch;
  if (opts.record) {
    s.record_key = fe::detail::recordKey(s.compiled.cache_key, recordOptions(opts, s.opt_level, native));
    if (auto rec = loadRecord(s.record_key)) {
      s.code_obj = fe::detail::loadObject(config_.cache_dir, rec->code_object_key);
      if (s.code_obj) {
        s.transform = std::make_unique<jit::UnitTransform>(*rec, s.compiled, opts);
        return Status();
      }
    }
  }
  return transformModule(s, opts);
}

std::optional<jit::TransformRecord> HotEngine::Impl::loadRecord(const std::string &key) {
  auto buf = fe::detail::loadObject(config_.cache_dir, key);
  if (!buf) return std::nullopt;
  return jit::TransformRecord::parse(buf->getBuffer().str());
}

/// A replay the engine's answers do not match: the unit is transformed from its module, with
/// the data decisions already made (the same candidates, so matched by key).
Status HotEngine::Impl::stopReplaying(Staged &s) {
  std::map<std::string, std::pair<std::string, bool>> decided;
  for (const jit::DataCandidate &d : s.transform->data()) decided[d.key] = {d.symbol, d.is_new};
  jit::TransformOptions opts = s.transform->options();
  s.code_obj.reset();
  if (Status st = transformModule(s, opts); !st.ok()) return st;
  for (jit::DataCandidate &d : s.transform->data())
    if (auto it = decided.find(d.key); it != decided.end())
      std::tie(d.symbol, d.is_new) = it->second;
  return Status();
}

Status HotEngine::Impl::analyze(Transaction &tx) {
  for (auto &s : tx.units) {
    if (!s->compiled.ok()) {
      tx.culprit = s->unit;
      return compileFailure(*s);
    }
    s->version.number = s->unit->next_version;
    jit::TransformOptions opts{s->unit->id, s->version.number,
                               config_.tiering.enabled && s->tier == 0, {}};
    for (const auto &[name, local] : s->compiled.skipped)
      if (local) opts.local_declarations.push_back(name);
    if (Status st = makeTransform(*s, opts); !st.ok()) return st;
  }
  for (auto &s : tx.units) {
    tx.culprit = s->unit;
    if (Status st = decideFunctions(tx, *s); !st.ok()) return st;
    if (Status st = decideData(tx, *s); !st.ok()) return st;
  }
  tx.culprit = nullptr;
  return Status();
}

/// A function that keeps its stub must keep its type: callers compiled against the old type
/// would pass arguments with the wrong ABI. New symbols get their stub now.
Status HotEngine::Impl::decideFunctions(Transaction &tx, Staged &s) {
  for (const jit::FunctionCandidate &c : s.transform->functions()) {
    auto it = symbols_.find(c.symbol);
    if (c.info) s.version.lines[c.symbol] = c.info->line;
    if (c.strong) {
      std::string here = c.info ? location(c.info->file, c.info->line, c.info->column)
                                : location(s.unit->path, 0, 0);
      std::string display = c.info ? c.info->display : llvm::demangle(c.mangled);
      const SymbolRecord *rec = it == symbols_.end() ? nullptr : it->second.get();
      if (Status st = checkOneDefinition(tx, s, c.symbol, display, here,
                                         rec ? rec->strong_owner : -1,
                                         rec ? rec->strong_where : "");
          !st.ok())
        return st;
      s.version.strong.insert(c.symbol);
      s.strong_where[c.symbol] = here;
    }
    if (it != symbols_.end()) {
      SymbolRecord &rec = *it->second;
      bool changed = c.info && !rec.type_encoding.empty() && !c.info->type_encoding.empty() &&
                     rec.type_encoding != c.info->type_encoding && rec.owner >= 0;
      if (changed)
        return Status(ErrorCode::SignatureChanged,
                      where(c.info->file, c.info->line, c.info->column) + "error: function '" +
                          rec.display + "' changed its type to '" + c.info->display +
                          "' but kept its symbol '" + c.symbol +
                          "'; callers compiled against the old type would be called with the "
                          "wrong ABI. Rename it (or change its parameters) instead");
      continue;
    }
    auto idx = stubs_->allocate();
    if (!idx) return Status(ErrorCode::Internal, llvm::toString(idx.takeError()));
    auto rec = std::make_unique<SymbolRecord>();
    rec->symbol = c.symbol;
    rec->stub = *idx;
    rec->cell = std::make_unique<detail::SymbolCell>();
    rec->cell->slot = stubs_->slot(*idx);
    rec->cell->stub = stubs_->stub(*idx);
    if (c.info) {
      rec->qualified = c.info->qualified_name;
      rec->display = c.info->display;
      rec->type_encoding = c.info->type_encoding;
      rec->file = c.info->file;
      rec->line = c.info->line;
      rec->column = c.info->column;
      rec->is_extern_c = c.info->is_extern_c;
      if (c.info->is_member) rec->member_of = c.info->member_of;
    } else {
      rec->display = llvm::demangle(c.mangled);
    }
    rec->is_user = c.is_user;
    std::map<std::string, void *> defs = {
        {c.symbol, stubs_->stub(*idx)},
        {jit::UnitTransform::slotName(c.symbol), stubs_->slot(*idx)},
        {jit::UnitTransform::counterName(c.symbol), stubs_->counter(*idx)}};
    if (auto err = jit_->defineAbsolute(defs))
      return Status(ErrorCode::Internal, llvm::toString(std::move(err)));
    symbols_[c.symbol] = std::move(rec);
  }
  return Status();
}

/// Kept data must fit the new code. A changed layout is refused unless the unit migrates it.
Status HotEngine::Impl::decideData(Transaction &tx, Staged &s) {
  for (jit::DataCandidate &d : s.transform->data()) {
    if (d.strong) {
      auto it = state_.find(d.key);
      const StateEntry *old = it == state_.end() ? nullptr : &it->second;
      std::string here = location(d.file.empty() ? s.unit->path : d.file, d.line, d.column);
      if (Status st = checkOneDefinition(tx, s, d.key, d.display, here,
                                         old ? old->strong_owner : -1,
                                         old ? old->strong_where : "");
          !st.ok())
        return st;
      s.strong_where[d.key] = here;
    }
    if (d.kind == jit::DataKind::ReinitConst) {
      d.symbol = d.key + ".v" + std::to_string(s.unit->id) + "." + std::to_string(s.version.number);
      d.is_new = true;
      tx.new_state[d.key] = StateEntry{d.key, d.symbol, d.fingerprint, d.display, d.cpp_type,
                                       d.file, d.line, d.column, 1, d.size, d.kind};
      continue;
    }
    const StateEntry *old = nullptr;
    if (auto it = tx.new_state.find(d.key); it != tx.new_state.end()) old = &it->second;
    else if (auto it2 = state_.find(d.key); it2 != state_.end()) old = &it2->second;
    if (!old) {
      d.symbol = d.key;
      d.is_new = true;
      tx.new_state[d.key] = StateEntry{d.key, d.symbol, d.fingerprint, d.display, d.cpp_type,
                                       d.file, d.line, d.column, 1, d.size, d.kind};
      continue;
    }
    if (old->fingerprint == d.fingerprint) {
      d.symbol = old->symbol;
      d.is_new = false; // defined already (or by another unit of this transaction)
      continue;
    }
    std::string hook = "migrate:" + d.simple_name;
    if (d.kind == jit::DataKind::Vtable || !s.transform->hasHook(hook)) {
      std::string what = d.kind == jit::DataKind::Vtable
                             ? "'" + d.display + "' changed shape (virtual functions added, "
                                                 "removed or reordered, or a base changed)"
                             : "global '" + d.display + "' changed layout: was '" +
                                   old->cpp_type + "' (" + std::to_string(old->size) +
                                   " bytes), now '" + d.cpp_type + "' (" +
                                   std::to_string(d.size) + " bytes)";
      return Status(ErrorCode::LayoutChanged,
                    where(d.file, d.line, d.column) + "error: " + what +
                        "; objects made by the running version would be misread. " +
                        (d.kind == jit::DataKind::Vtable
                             ? "Restart to apply this change"
                             : "Add HOT_MIGRATE(" + d.simple_name +
                                   ") to the unit to carry the old value over (or reset it)"));
    }
    StateEntry next = *old;
    next.generation = old->generation + 1;
    next.symbol = d.key + ".L" + std::to_string(next.generation);
    next.fingerprint = d.fingerprint;
    next.cpp_type = d.cpp_type;
    next.size = d.size;
    d.symbol = next.symbol;
    d.is_new = true;
    s.migrations.push_back({hook, old->symbol, old->size});
    tx.new_state[d.key] = next;
  }
  return Status();
}

Status HotEngine::Impl::rewriteAll(Transaction &tx) {
  Oracle oracle(*this, tx);
  for (auto &s : tx.units) {
    auto start = Clock::now();
    if (s->transform->replaying() && s->transform->replay(oracle)) {
      s->replayed = true;
      ++fe::detail::unitCacheCounters().replayed;
      if (!s->transform->replayedDataObject().empty())
        s->data_obj = llvm::MemoryBuffer::getMemBufferCopy(s->transform->replayedDataObject(),
                                                           "hot.data");
      for (auto &c : s->transform->newConstants) oracle.tx_constants.insert(c);
      s->phases.transform = msSince(start);
      continue;
    }
    if (s->transform->replaying()) {
      ++fe::detail::unitCacheCounters().replays_refused;
      if (Status st = stopReplaying(*s); !st.ok()) return st;
    }
    auto dm = s->transform->rewrite(oracle);
    s->phases.transform = msSince(start);
    s->compile_ms += s->phases.transform;
    if (!dm) return Status(ErrorCode::Internal, llvm::toString(dm.takeError()));
    s->data = std::move(*dm);
    for (auto &c : s->transform->newConstants) oracle.tx_constants.insert(c);
    reuseSharedCode(*s);
  }
  return Status();
}

/// A body-only recompile declares, instead of defining, every inline function and template
/// instantiation its base version already has: no declaration changed, so by the one-definition
/// rule they are the same code, and neither code generation nor linking repeats them.
void HotEngine::Impl::reuseSharedCode(Staged &s) {
  if (!config_.reuse_inline_code || !s.compiled.bodies_only) return;
  const Version *base = nullptr;
  for (const Version &v : s.unit->history)
    if (v.number == s.base_version && v.jd) base = &v;
  if (!base) return;
  for (llvm::Function &f : *s.compiled.module) {
    // Declarations too: the frontend did not instantiate the templates the base has.
    bool odr = f.hasLinkOnceODRLinkage() || f.hasWeakODRLinkage();
    if (!f.isDeclaration() && !odr) continue;
    auto it = base->shared_code.find(f.getName().str());
    if (it == base->shared_code.end()) continue;
    if (!f.isDeclaration()) {
      f.deleteBody(); // now an external declaration
      f.setComdat(nullptr);
    }
    s.reused[it->first] = it->second.first;
    // Lent on, so the next body edit reuses them too. Only what this version uses: lending
    // everything would keep every older version's code mapped for good.
    s.version.shared_code.insert(*it);
  }
}

/// Keeps what this rewrite consulted and produced next to its object (`object_key`), so the
/// next start replays it. Before linking: the objects are still here.
void HotEngine::Impl::storeRecord(Staged &s, const std::string &object_key) {
  jit::TransformRecord *rec = s.transform->record();
  if (!rec || s.record_key.empty() || object_key.empty() || !s.code_obj) return;
  if (s.data && !s.data_obj) return; // its data did not compile: nothing to replay
  rec->code_object_key = object_key;
  if (s.data_obj) rec->data_object = s.data_obj->getBuffer().str();
  std::string bytes = rec->serialize();
  fe::detail::storeObject(config_.cache_dir, s.record_key,
                          *llvm::MemoryBuffer::getMemBuffer(bytes, "", false),
                          std::uint64_t(std::max(1u, config_.cache_max_mb)) << 20);
}

void HotEngine::Impl::codegenAll(Transaction &tx) {
  parallelFor(tx.units.size(), [&](size_t i, size_t) {
    Staged &s = *tx.units[i];
    auto start = Clock::now();
    if (s.replayed) return; // objects read back with the record
    bool native = s.tier > 0 && config_.tiering.native_cpu;
    // An earlier run may have compiled this very module (cache_dir): its object is reused.
    // Not a function-level patch: no later start loads one, so it would only crowd out units.
    std::string key;
    jit::TransformRecord *rec = s.transform->record();
    if (rec && !s.record_key.empty()) {
      // The module's identity and options (the record's key) and what its rewrite was told
      // and made (the record) decide the rewritten module: no need to hash it.
      key = "obj" + s.record_key.substr(3) + "-" + rec->digest();
    } else if (!config_.cache_dir.empty() && !s.compiled.patch) {
      fe::detail::canonicalizeDeclarations(*s.compiled.module);
      key = fe::detail::objectKey(*s.compiled.module, s.opt_level, native);
    }
    if (!key.empty()) s.code_obj = fe::detail::loadObject(config_.cache_dir, key);
    if (!s.code_obj) {
      if (auto err = jit::UnitTransform::verifyCode(*s.compiled.module)) {
        tx.status = Status(ErrorCode::Internal, llvm::toString(std::move(err)));
        return;
      }
      fe::optimizeModule(*s.compiled.module, s.opt_level);
      s.phases.optimize = msSince(start);
      auto obj = fe::emitObject(*s.compiled.module, s.opt_level, native);
      if (obj) s.code_obj = std::move(*obj);
      else tx.status = Status(ErrorCode::Internal, llvm::toString(obj.takeError()));
      if (s.code_obj && !key.empty())
        fe::detail::storeObject(config_.cache_dir, key, *s.code_obj,
                                std::uint64_t(std::max(1u, config_.cache_max_mb)) << 20);
    }
    if (s.data) {
      auto dobj = fe::emitObject(*s.data, 0, false);
      if (dobj) s.data_obj = std::move(*dobj);
      else tx.status = Status(ErrorCode::Internal, llvm::toString(dobj.takeError()));
    }
    storeRecord(s, key);
    double ms = msSince(start);
    s.phases.codegen = ms - s.phases.optimize;
    s.compile_ms += ms;
  });
}

/// Turns ORC's "Symbols not found: [ _Z3barv ]" into a located, demangled message.
static Status linkError(const Staged &s, std::string text, const std::set<std::string> &foreign) {
  // A specific error (e.g. an archive member out of reach) is followed by ORC's list of every
  // symbol that could then not be materialized: only the specific one is worth reading.
  size_t failed = text.find("\nFailed to materialize symbols:");
  std::string msg = failed != std::string::npos && failed > 0 ? text.substr(0, failed) : text;
  // Every list the session reported (units link in parallel: another failing unit's may
  // come first), less the symbols only other failing units lack.
  std::string list;
  std::set<std::string> seen;
  int n = 0;
  for (size_t open = text.find("Symbols not found: ["); open != std::string::npos;
       open = text.find("Symbols not found: [", open + 1)) {
    size_t close = text.find(']', open);
    std::istringstream names(text.substr(open + 20, close - open - 20));
    for (std::string name; names >> name;) {
      if (!name.empty() && name.back() == ',') name.pop_back(); // "[ a, b ]"
      if (name.size() > 1 && name.front() == '"') name = name.substr(1, name.size() - 2);
      if (foreign.count(name) || !seen.insert(name).second) continue;
      list += (list.empty() ? "'" : ", '") + llvm::demangle(name) + "'";
      if (n++ < 5) list += eng::libraryHint(name); // " (defined by ...: add -l z)" or ""
    }
  }
  if (!list.empty()) {
    std::string first = list.substr(1, list.find('\'', 1) - 1);
    std::string base = first.substr(0, first.find('('));
    if (auto p = base.rfind("::"); p != std::string::npos) base = base.substr(p + 2);
    auto [line, col] = util::findIdentifier(s.source, base);
    msg = where(s.unit->path, line, col) + "error: unresolved symbol " + list +
          ": no unit, loaded library or host function defines it; the running version is kept";
  }
  if (msg.size() > 2000) msg = msg.substr(0, 2000) + "... (truncated)";
  return Status(ErrorCode::LinkError, msg);
}

/// Symbols that other units of the transaction whose link failed need and `s` does not: a
/// missing one is theirs (the session reports every unit's missing symbols in one stream).
static std::set<std::string> foreignMissing(const Transaction &tx, const Staged &s) {
  std::set<std::string> out;
  for (const auto &other : tx.units)
    if (other.get() != &s && !other->lookup_error.empty())
      for (const std::string &sym : other->transform->externals)
        if (!s.transform->externals.count(sym)) out.insert(sym);
  return out;
}

/// Links in three passes so that no unit depends on the order of the transaction: every new
/// persistent data object first (a vtable whose key function is in a later unit, an `extern`
/// global, a static member, typeinfo; units may use each other's data in a cycle), then every
/// code object, and only then are symbols resolved (which is when JITLink materializes).
Status HotEngine::Impl::linkAll(Transaction &tx) {
  (void)jit_->takeSessionErrors(); // stale ones are not this transaction's
  for (auto &sp : tx.units) {
    Staged &s = *sp;
    tx.culprit = s.unit;
    auto start = Clock::now();
    if (s.data_obj) {
      auto rt = jit_->addStateObject(std::move(s.data_obj));
      if (!rt) return Status(ErrorCode::LinkError, llvm::toString(rt.takeError()));
      s.data_tracker = *rt;
    }
    auto jd = jit_->addVersion(jit::JitStack::versionName(s.unit->path, s.version.number),
                               std::move(s.code_obj), s.reused);
    if (!jd) return Status(ErrorCode::LinkError, llvm::toString(jd.takeError()));
    s.jd = *jd;
    s.link_ms = msSince(start);
  }
  // ORC links each unit's object at its first lookup: units are linked in parallel (most of a
  // warm start of many units is linking). Their objects reach each other only through
  // hot.stubs and hot.state, added above. With debugger registration, one at a time
  // (JitStack::registersWithDebugger()).
  if (jit_->registersWithDebugger())
    for (auto &sp : tx.units) lookUp(*sp);
  else
    parallelFor(tx.units.size(), [&](size_t i, size_t) { lookUp(*tx.units[i]); });
  jit_->finishLinking(); // archive members' initializers: here, once every unit is linked
  for (auto &sp : tx.units) {
    tx.culprit = sp->unit;
    if (Status st = resolve(tx, *sp); !st.ok()) return st;
  }
  tx.culprit = nullptr;
  return Status();
}

/// Links one unit: looks up every body, initializer and hook (on any thread).
void HotEngine::Impl::lookUp(Staged &s) {
  auto start = Clock::now();
  std::vector<std::string> names;
  for (auto &c : s.transform->functions()) names.push_back(c.body);
  for (auto *n : {&s.transform->initFunction, &s.transform->onLoad, &s.transform->onUnload})
    if (!n->empty()) names.push_back(*n);
  for (auto &[var, body] : s.transform->migrate) names.push_back(body);
  auto addrs = jit_->linkOnly(*s.jd, names);
  if (addrs) s.addrs = std::move(*addrs);
  else s.lookup_error = llvm::toString(addrs.takeError());
  s.link_ms += msSince(start);
}

/// Records what lookUp() found for one linked unit.
Status HotEngine::Impl::resolve(const Transaction &tx, Staged &s) {
  auto start = Clock::now();
  if (!s.lookup_error.empty())
    return linkError(s, jit_->takeSessionErrors() + s.lookup_error, foreignMissing(tx, s));
  auto *addrs = &s.addrs;
  for (auto &c : s.transform->functions()) s.version.bodies[c.symbol] = (*addrs)[c.body];
  for (auto &[name, addr] : jit_->weakFunctions(*s.jd)) s.version.shared_code[name] = {addr, s.jd};
  if (s.compiled.patch)
    if (Status st = borrowBodies(s); !st.ok()) return st;
  auto get = [&](const std::string &n) { return n.empty() ? nullptr : (*addrs)[n]; };
  s.init = get(s.transform->initFunction);
  s.version.on_load = get(s.transform->onLoad);
  s.version.on_unload = get(s.transform->onUnload);
  for (auto &m : s.migrations) {
    m.hook = get(s.transform->migrate[m.hook_kind.substr(strlen("migrate:"))]);
    auto old = jit_->lookupState({m.old_symbol});
    if (!old) return Status(ErrorCode::LinkError, llvm::toString(old.takeError()));
    m.old = (*old)[m.old_symbol];
  }
  s.link_ms += msSince(start);
  return Status();
}

/// A function-level recompile keeps the other bodies of the version it was compiled against
/// (all but those the edit renamed or removed).
Status HotEngine::Impl::borrowBodies(Staged &s) {
  auto &h = s.unit->history;
  auto base = std::find_if(h.begin(), h.end(),
                           [&](const Version &v) { return v.number == s.base_version; });
  if (base == h.end() || !base->jd)
    return Status(ErrorCode::Internal, s.unit->path + ": the version this edit was compiled "
                                                      "against is gone; save again to recompile");
  std::set<std::string> replaced; // renamed or removed by the edit: not kept
  for (const auto &[name, local] : s.compiled.replaced)
    replaced.insert(jit::UnitTransform::stubSymbol(s.unit->id, name, local));
  for (auto &[sym, addr] : base->bodies) {
    if (s.version.bodies.count(sym) || replaced.count(sym)) continue;
    s.version.bodies[sym] = addr;
    if (base->strong.count(sym)) s.version.strong.insert(sym);
    auto from = base->borrowed.find(sym);
    s.version.borrowed[sym] = from == base->borrowed.end() ? base->jd : from->second;
  }
  return Status();
}

void HotEngine::Impl::discard(Transaction &tx) {
  for (auto &s : tx.units) {
    // An abandoned initializer still runs this code and uses this data: leave them mapped.
    if (s->jd && !tx.abandoned) llvm::consumeError(jit_->removeVersion(*s->jd));
    if (s->data_tracker && !tx.abandoned) llvm::consumeError(s->data_tracker->remove());
    if (tx.abandoned) s->unit->next_version = s->version.number + 1; // its JITDylib stays
    s->jd = nullptr;
    s->data_tracker = nullptr;
    s->unit->failed = true;
    // A unit that was fine on its own is retried with the next transaction.
    s->unit->retry = tx.culprit && tx.culprit != s->unit;
    s->unit->blocked_by = s->unit == tx.culprit && tx.blocked_by ? tx.blocked_by->id : 0;
  }
}

namespace {
using VoidFn = void (*)();
using MigrateFn = void (*)(const void *, unsigned long);

/// Runs a JIT function that may throw; a C++ exception becomes a Status.
// UBSan reports binding the reference of `catch (abi::__forced_unwind &)` (an exception with
// no object) as a null reference; that is how libstdc++ documents catching it.
__attribute__((no_sanitize("undefined"))) Status callJit(void *fn, const std::string &what) {
  try {
    reinterpret_cast<VoidFn>(fn)();
  } catch (abi::__forced_unwind &) {
    throw; // pthread_exit() or cancellation: must go on (swallowing it aborts the process)
  } catch (const std::exception &e) {
    return Status(ErrorCode::InitializerFailed, what + " threw: " + e.what());
  } catch (...) {
    return Status(ErrorCode::InitializerFailed, what + " threw an exception");
  }
  return Status();
}
/// Where a unit's initializer or hook runs: a thread of its own, so that one which never
/// returns, calls pthread_exit() or waits for the engine cannot take the engine with it.
struct UserCall {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Status status;
  bool faulted = false; ///< A fault, abort() or exit() ended it: `fault` says which.
  eng::Fault fault;
};

/// The body of that thread. Captures only the shared UserCall: an abandoned call may outlive
/// the engine.
void runOnItsThread(std::shared_ptr<UserCall> call, void *fn, std::string what) {
  struct Finish { // also when pthread_exit() unwinds this thread
    UserCall &c;
    Status st = Status(ErrorCode::InitializerFailed, "");
    bool faulted = false;
    eng::Fault fault;
    ~Finish() {
      std::lock_guard<std::mutex> lock(c.mu);
      c.status = st;
      c.faulted = faulted;
      c.fault = fault;
      c.done = true;
      c.cv.notify_all();
    }
  } finish{*call};
  finish.st = Status(ErrorCode::InitializerFailed, what + " called pthread_exit()");
  Status st;
  finish.faulted = !eng::catchFaults([&] { st = callJit(fn, what); }, finish.fault, true);
  finish.st = finish.faulted ? Status(ErrorCode::Crashed, what + eng::describe(finish.fault)) : st;
}

/// Waits for `call`, warning every 5 s; false past `timeout_ms` (0: no limit).
bool waitFor(UserCall &call, const std::string &what, unsigned timeout_ms,
             const std::function<void(const std::string &)> &warn) {
  auto start = Clock::now();
  std::unique_lock<std::mutex> lock(call.mu);
  double said_ms = 0;
  for (;;) {
    unsigned step = timeout_ms ? std::min(5000u, timeout_ms) : 5000u;
    if (call.cv.wait_for(lock, std::chrono::milliseconds(step), [&] { return call.done; }))
      return true;
    double ms = msSince(start);
    if (timeout_ms && ms >= timeout_ms) return false;
    if (ms - said_ms >= 5000) {
      said_ms = ms;
      warn(what + " has run for " + std::to_string(int(ms / 1000)) + " s");
    }
  }
}
} // namespace

/// Runs `fn` (an initializer or hook of version `v`) and waits for it with mu_ released (it may
/// call into the engine, and hot call and lookups go on meanwhile), saying every 5 s that it
/// still runs. Past Config::init_timeout_ms it is abandoned: it keeps running on its thread,
/// tx.abandoned is set and the caller must neither apply nor free its version. A fault,
/// abort() or exit() in it fails the call; in the first load (nothing runs yet: the program
/// starts as it would natively) the process ends with the native status after the message.
Status HotEngine::Impl::runUserCode(void *fn, const std::string &what, Transaction &tx,
                                    const Version &v, std::unique_lock<std::mutex> &engine_lock) {
  auto call = std::make_shared<UserCall>();
  std::thread(runOnItsThread, call, fn, what).detach();
  engine_lock.unlock();
  bool returned = waitFor(*call, what, config_.init_timeout_ms,
                          [this](const std::string &text) { message(Severity::Warning, text); });
  engine_lock.lock();
  if (!returned) {
    tx.abandoned = true;
    code_abandoned_ = true;
    return Status(ErrorCode::InitializerFailed,
                  what + " did not return within " + std::to_string(config_.init_timeout_ms) +
                      " ms: abandoned (it goes on running on its own thread); the change is "
                      "not applied. Fix it and save again");
  }
  std::lock_guard<std::mutex> call_lock(call->mu);
  Status st = call->status;
  if (!call->faulted) return st;
  std::string text = st.message() + faultSite(call->fault, v);
  std::string trace = backtrace(call->fault, &v);
  if (!tx.first_load)
    return Status(ErrorCode::Crashed,
                  text + ": the change is not applied. Fix it and save again" + trace);
  message(Severity::Error,
          text + ": the program ends (as it would natively: it ran at start-up)" + trace);
  engine_lock.unlock();
  eng::endAsNative(call->fault);
}

/// The only step that changes what running code sees. Called with mu_ held (`lock`); released
/// while the program's initializers and hooks run. The engine thread runs one transaction at
/// a time, so nothing else changes the transaction's units meanwhile; a rollback or a fault
/// on another thread may still move their stubs, and this transaction's commit then wins.
Status HotEngine::Impl::apply(Transaction &tx, std::unique_lock<std::mutex> &lock) {
  for (auto &s : tx.units)
    if (Version *old = s->unit->current(); old && old->on_unload)
      if (Status st = runUserCode(old->on_unload, s->unit->path + ": hot_on_unload", tx, *old, lock);
          !st.ok())
        message(Severity::Warning, st.message());
  if (tx.abandoned) return Status(ErrorCode::InitializerFailed, "a hot_on_unload hook was abandoned");
  // Functions that never had a body get it first, so initializers can call them.
  std::vector<unsigned> bound;
  for (auto &s : tx.units)
    for (auto &[sym, addr] : s->version.bodies)
      if (SymbolRecord &rec = *symbols_[sym]; rec.owner < 0 && stubs_->target(rec.stub) == rt::unboundTarget()) {
        stubs_->redirect(rec.stub, addr);
        bound.push_back(rec.stub);
      }
  for (auto &s : tx.units) {
    if (!s->init) continue;
    if (Status st = runUserCode(s->init, s->unit->path + ": the static initializer", tx,
                                s->version, lock);
        !st.ok()) {
      tx.culprit = s->unit;
      for (unsigned i : bound) stubs_->redirect(i, rt::unboundTarget());
      return st;
    }
  }
  for (auto &s : tx.units)
    for (auto &m : s->migrations)
      if (m.hook) reinterpret_cast<MigrateFn>(m.hook)(m.old, m.old_size);
  for (auto &s : tx.units)
    for (auto &[sym, addr] : s->version.bodies) {
      SymbolRecord &rec = *symbols_[sym];
      if (s->tier == 0) *stubs_->counter(rec.stub) = 0; // profile this version from zero
      stubs_->redirect(rec.stub, addr);
      rec.owner = int(s->unit->id);
      rec.owner_version = s->version.number;
      rec.cell->current.store(true, std::memory_order_release);
    }
  std::vector<Unit *> loaded;
  for (auto &s : tx.units)
    if (s->version.on_load) loaded.push_back(s->unit);
  commit(tx);
  // After the commit: a hook sees the new version in the tables (and may call into the engine).
  for (Unit *u : loaded)
    if (Version *now = u->current(); now && now->on_load)
      if (Status st = runUserCode(now->on_load, u->path + ": hot_on_load", tx, *now, lock);
          !st.ok())
        message(Severity::Warning, st.message());
  noteRunningBodies(tx);
  return Status();
}

/// A replaced function that a thread is inside (a server's main() blocked in listen(), a
/// thread's loop) runs its old body until it returns: say so, or the edit looks lost. Only
/// bodies the transaction replaced count (a function-level recompile keeps the others).
void HotEngine::Impl::noteRunningBodies(Transaction &tx) {
  std::vector<std::vector<jit::CodeRange>> sets;
  std::vector<std::string> notes;
  for (auto &s : tx.units) {
    const auto &h = s->unit->history;
    if (h.size() < 2 || s->tier > 0) continue;
    const Version &now = h.back(), &prev = h[h.size() - 2];
    for (auto &[sym, addr] : prev.bodies) {
      auto it = now.bodies.find(sym);
      if (it == now.bodies.end() || it->second == addr || !symbols_[sym]->is_user) continue;
      jit::CodeRange range = jit_->bodyRange(addr);
      if (range.second == 0) continue;
      sets.push_back({range});
      notes.push_back(symbols_[sym]->display + " is running version " +
                      std::to_string(prev.number) + " of " + s->unit->path +
                      " on a thread: the new body takes effect at its next call");
    }
  }
  // A scan that recently went unanswered (a thread blocks the signal) would only say "maybe".
  if (sets.empty() || std::chrono::steady_clock::now() < next_scan_) return;
  bool answered = true;
  std::vector<bool> inside = jit::codeInUse(sets, 200, &answered);
  if (!answered) return;
  for (size_t i = 0; i < inside.size(); ++i)
    if (inside[i]) message(Severity::Note, notes[i]);
}

void HotEngine::Impl::commit(Transaction &tx) {
  for (auto &[key, entry] : tx.new_state) state_[key] = entry;
  for (auto &sp : tx.units) {
    Staged &s = *sp;
    Unit &u = *s.unit;
    for (auto &c : s.transform->newConstants) constants_.insert(c);
    std::set<std::string> keys;
    for (auto &d : s.transform->data()) keys.insert(d.key);
    if (s.compiled.patch) // statics of the skipped functions live on with their code
      keys.insert(u.data_keys.begin(), u.data_keys.end());
    for (auto &k : u.data_keys)
      if (!keys.count(k) && state_.count(k))
        message(Severity::Warning, u.path + ": '" + state_[k].display +
                                       "' is no longer defined; its storage is kept unchanged");
    u.data_keys = std::move(keys);
    recordStrongOwners(s);
    if (Version *old = u.current())
      for (auto &[sym, addr] : old->bodies)
        if (!s.version.bodies.count(sym) && symbols_[sym]->owner == int(u.id)) {
          symbols_[sym]->cell->current.store(false, std::memory_order_release);
          if (symbols_[sym]->is_user)
            message(Severity::Warning, u.path + ": '" + symbols_[sym]->display +
                                           "' was removed or changed its parameters; calls "
                                           "through its old name keep reaching its last body" +
                                           callersOf(sym, u));
        }
    s.version.calls = s.transform->calls;
    if (s.compiled.patch) // the borrowed bodies still make their calls
      for (const Version &v : u.history)
        if (v.number == s.base_version) s.version.calls.insert(v.calls.begin(), v.calls.end());
    s.version.hash = s.hash;
    s.version.source = s.source;
    s.version.tier = s.tier;
    s.version.jd = s.jd;
    s.version.outline = s.compiled.outline;
    s.version.loaded_at_ms = util::nowMs();
    holdCode(s.version);
    s.jd = nullptr;
    s.data_tracker = nullptr;
    u.history.push_back(std::move(s.version));
    u.next_version = u.history.back().number + 1;
    u.failed = false;
    u.retry = false;
    u.dormant = false;
    u.blocked_by = 0;
    u.tier = s.tier;
    retireOld(u);
  }
}

/// "; still called by b.cpp, c.cpp" for the units (but `except`) whose running code uses
/// `symbol`, or "".
std::string HotEngine::Impl::callersOf(const std::string &symbol, const Unit &except) const {
  std::string list;
  for (auto &[path, u] : units_) {
    if (u.get() == &except || u->history.empty()) continue;
    if (u->history.back().calls.count(symbol)) list += (list.empty() ? "" : ", ") + path;
  }
  return list.empty() ? "" : "; still called by " + list;
}

/// Who defines what strongly, for the next one-definition check: the unit's new version
/// replaces its running one (a definition it dropped is free for another unit).
void HotEngine::Impl::recordStrongOwners(Staged &s) {
  int id = int(s.unit->id);
  if (Version *old = s.unit->current())
    for (const std::string &sym : old->strong)
      if (auto it = symbols_.find(sym); it != symbols_.end() && it->second->strong_owner == id)
        it->second->strong_owner = -1;
  for (auto &[key, entry] : state_)
    if (entry.strong_owner == id && !s.compiled.patch) entry.strong_owner = -1;
  for (const std::string &sym : s.version.strong)
    if (auto it = symbols_.find(sym); it != symbols_.end()) {
      it->second->strong_owner = id;
      if (auto w = s.strong_where.find(sym); w != s.strong_where.end())
        it->second->strong_where = w->second;
    }
  for (auto &d : s.transform->data())
    if (d.strong)
      if (auto it = state_.find(d.key); it != state_.end()) {
        it->second.strong_owner = id;
        it->second.strong_where = s.strong_where[d.key];
      }
}

/// One event per unit. A failed transaction is blamed on its culprit once: the other units
/// say which unit they wait for instead of repeating its error.
void HotEngine::Impl::report(Transaction &tx, const Status &status) {
  Listener *to = sink();
  if (!to) return;
  for (auto &s : tx.units) {
    if (s->tier_up && status.ok()) { // a tier change is not an edit: its own event
      to->onTierChange({s->unit->path, s->hot_functions, 0, s->tier, s->compile_ms + s->link_ms});
      continue;
    }
    ReloadEvent e;
    e.unit = s->unit->path;
    e.version = s->unit->current() ? s->unit->current()->number : 0;
    e.success = status.ok();
    e.code = status.code();
    e.message = status.message();
    e.diagnostics = s->compiled.diagnostics;
    bool blamed = !tx.culprit || tx.culprit == s->unit;
    if (!status.ok() && !blamed && s->compile_done && !s->compiled.ok()) {
      Status own = compileFailure(*s); // broken too: its own error, not "waiting"
      e.code = own.code();
      e.message = own.message();
      blamed = true;
    }
    if (!status.ok() && !blamed && tx.report_culprit_only) continue;
    if (!status.ok() && !blamed) {
      e.waiting_for = tx.culprit->path;
      e.message = "not applied: waiting for " + tx.culprit->path;
    }
    if (!status.ok() && blamed && e.diagnostics.empty()) e.diagnostics = status.diagnostics();
    e.compile_ms = s->compile_ms;
    e.link_ms = s->link_ms;
    e.phases = s->phases;
    e.phases.link = s->link_ms;
    e.transaction = tx.id;
    e.tier = s->tier;
    e.partial = s->compiled.patch;
    e.reused_functions = unsigned(s->reused.size());
    e.from_cache = s->compiled.from_cache;
    to->onReload(e);
  }
}

/// Runs every step; on failure nothing moved and the running versions stay.
Status HotEngine::Impl::runTransaction(std::unique_ptr<Transaction> tx, bool apply_now) {
  if (tx->units.empty()) return Status();
  compileAll(*tx);
  Status st;
  {
    std::lock_guard<std::mutex> lock(mu_);
    st = analyze(*tx);
    if (st.ok()) st = rewriteAll(*tx);
  }
  if (st.ok()) {
    codegenAll(*tx);
    st = tx->status;
  }
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (st.ok()) st = linkAll(*tx);
    if (st.ok() && apply_now) st = apply(*tx, lock);
    if (!st.ok()) discard(*tx);
  }
  if (!st.ok() || apply_now) {
    report(*tx, st);
    return st;
  }
  // Hand the linked transaction to update() and wait until it has been applied, so the next
  // transaction is decided against committed tables.
  std::unique_lock<std::mutex> lock(pending_mu_);
  pending_ = std::move(tx);
  pending_cv_.notify_all();
  pending_cv_.wait(lock, [&] { return (!pending_ && !applying_pending_) || stop_; });
  return Status();
}
} // namespace hot
