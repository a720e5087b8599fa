#include "jit/JitStack.h"
#include "jit/DebuggerRegistration.h"

#include <set>

#include "llvm/Demangle/Demangle.h"
#include "llvm/ExecutionEngine/JITLink/JITLink.h"
#include "llvm/ExecutionEngine/JITLink/x86_64.h"
#include "llvm/ExecutionEngine/Orc/AbsoluteSymbols.h"
#include "llvm/ExecutionEngine/Orc/Debugging/ELFDebugObjectPlugin.h"
#include "llvm/ExecutionEngine/Orc/EHFrameRegistrationPlugin.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <mutex>

using namespace llvm;
using namespace llvm::orc;

namespace hot::jit {


/// Records the executable ranges of every linked graph by JITDylib, so that a faulting or
/// sampled program counter can be attributed to a unit version.
class JitStack::RangePlugin : public ObjectLinkingLayer::Plugin {
public:
  void modifyPassConfig(MaterializationResponsibility &MR, jitlink::LinkGraph &,
                        jitlink::PassConfiguration &config) override {
    JITDylib *jd = &MR.getTargetJITDylib();
    // Calls within a section need no relocation, so pruning drops the names of internal
    // functions (lambdas, static helpers) nothing else refers to: note them before it.
    auto names = std::make_shared<std::vector<PendingName>>();
    config.PrePrunePasses.push_back([names](jitlink::LinkGraph &g) {
      for (jitlink::Symbol *sym : g.defined_symbols())
        if (sym->hasName() && sym->getSize() && sym->isCallable())
          names->push_back({&sym->getBlock(), sym->getOffset(), sym->getSize(), (*sym->getName()).str()});
      return Error::success();
    });
    config.PostAllocationPasses.push_back([this, jd, names](jitlink::LinkGraph &g) {
      record(*jd, g, *names);
      return Error::success();
    });
  }
  Error notifyFailed(MaterializationResponsibility &) override { return Error::success(); }
  Error notifyRemovingResources(JITDylib &, ResourceKey) override { return Error::success(); }
  void notifyTransferringResources(JITDylib &, ResourceKey, ResourceKey) override {}

  void forget(JITDylib &jd) {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(ranges_, [&](const Range &r) { return r.jd == &jd; });
    std::erase_if(bodies_, [&](const auto &kv) { return kv.second.jd == &jd; });
    std::erase_if(functions_, [&](const auto &kv) { return kv.second.jd == &jd; });
    weak_.erase(&jd);
  }
  std::map<std::string, void *> weak(JITDylib &jd) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = weak_.find(&jd);
    return it == weak_.end() ? std::map<std::string, void *>{} : it->second;
  }
  std::string functionAt(std::uintptr_t pc) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = functions_.upper_bound(pc);
    if (it == functions_.begin()) return "";
    --it;
    return pc < it->first + it->second.size ? it->second.name : "";
  }
  std::pair<std::uintptr_t, std::uintptr_t> body(std::uintptr_t addr) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = bodies_.find(addr);
    if (it == bodies_.end()) return {0, 0};
    return {addr, addr + it->second.size};
  }
  JITDylib *owner(std::uintptr_t pc) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const Range &r : ranges_)
      if (pc >= r.begin && pc < r.end) return r.jd;
    return nullptr;
  }
  std::vector<std::pair<std::uintptr_t, std::uintptr_t>> of(JITDylib *jd) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::pair<std::uintptr_t, std::uintptr_t>> out;
    for (const Range &r : ranges_)
      if (!jd || r.jd == jd) out.push_back({r.begin, r.end});
    return out;
  }
  std::size_t bytes(JITDylib &jd) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::size_t n = 0;
    for (const Range &r : ranges_)
      if (r.jd == &jd) n += r.end - r.begin;
    return n;
  }

private:
  struct Range {
    JITDylib *jd;
    std::uintptr_t begin, end;
  };
  struct Body {
    JITDylib *jd;
    std::uint64_t size;
  };
  struct Function {
    JITDylib *jd;
    std::uint64_t size;
    std::string name;
  };
  struct PendingName {
    jitlink::Block *block;
    std::uint64_t offset, size;
    std::string name;
  };
  void record(JITDylib &jd, jitlink::LinkGraph &g, const std::vector<PendingName> &names) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto &sec : g.sections()) {
      if ((sec.getMemProt() & MemProt::Exec) == MemProt::None || sec.blocks().empty()) continue;
      jitlink::SectionRange r(sec);
      ranges_.push_back({&jd, r.getStart().getValue(), r.getEnd().getValue()});
    }
    for (jitlink::Symbol *sym : g.defined_symbols()) {
      if (!sym->hasName() || !sym->getSize()) continue;
      llvm::StringRef name = *sym->getName();
      if (name.starts_with("__hot_body.")) bodies_[sym->getAddress().getValue()] = {&jd, sym->getSize()};
      else if (sym->isCallable() && sym->getLinkage() == jitlink::Linkage::Weak &&
               sym->getScope() != jitlink::Scope::Local && !name.starts_with("__hot"))
        weak_[&jd][name.str()] = sym->getAddress().toPtr<void *>();
    }
    std::set<const jitlink::Block *> kept(g.blocks().begin(), g.blocks().end());
    for (const PendingName &n : names)
      if (kept.count(n.block))
        functions_[n.block->getAddress().getValue() + n.offset] = {&jd, n.size, n.name};
    if (perf_map) writePerfMap(jd, names, kept);
  }

public:
  struct FileCloser {
    void operator()(std::FILE *f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, FileCloser> perf_map; ///< Null unless Config::perf_map.

private:
  /// "<hex start> <hex size> <name> [<unit> v<N>]" per function, as perf reads it; a version's
  /// name tells versions apart (the same function at several addresses over time).
  void writePerfMap(JITDylib &jd, const std::vector<PendingName> &names,
                    const std::set<const jitlink::Block *> &kept) {
    std::string where, file, number;
    if (splitVersionName(jd.getName(), file, number)) where = " [" + file + " v" + number + "]";
    for (const PendingName &n : names) {
      if (!kept.count(n.block)) continue;
      llvm::StringRef name(n.name);
      name.consume_front("__hot_body.");
      if (name.starts_with("__hot.")) name = name.drop_front(6).split('.').second; // unit-scoped
      std::string shown = llvm::demangle(name.str());
      std::fprintf(perf_map.get(), "%lx %lx %s%s\n",
                   static_cast<unsigned long>(n.block->getAddress().getValue() + n.offset),
                   static_cast<unsigned long>(n.size), shown.c_str(), where.c_str());
    }
    std::fflush(perf_map.get());
  }
  mutable std::mutex mu_;
  std::vector<Range> ranges_;
  std::map<std::uintptr_t, Body> bodies_; // function body start -> its JITDylib and size
  std::map<std::uintptr_t, Function> functions_; // every named function, internal ones too
  std::map<JITDylib *, std::map<std::string, void *>> weak_; // linkonce/weak functions
};

/// Native objects from static archives: keeps their static initializers (`.init_array`, which
/// nothing references, so JITLink would prune them) and records the functions, in priority
/// order, for JitStack to call once the lookup that linked them has returned (ORC's platform,
/// which would run them, is off).
class JitStack::ArchivePlugin : public ObjectLinkingLayer::Plugin {
public:
  void addArchive(const std::string &path) {
    std::lock_guard<std::mutex> lock(mu_);
    archives_.push_back(path);
  }
  void modifyPassConfig(MaterializationResponsibility &, jitlink::LinkGraph &g,
                        jitlink::PassConfiguration &config) override {
    if (!fromArchive(g.getName())) return;
    config.PrePrunePasses.push_back([](jitlink::LinkGraph &g) {
      for (auto &sec : g.sections())
        if (priority(sec.getName()) >= 0)
          for (auto *b : sec.blocks()) g.addAnonymousSymbol(*b, 0, b->getSize(), false, true);
      addressThroughGot(g);
      return Error::success();
    });
    config.PreFixupPasses.push_back([](jitlink::LinkGraph &g) { return checkReach(g); });
    config.PostFixupPasses.push_back([this](jitlink::LinkGraph &g) {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto &sec : g.sections()) {
        int prio = priority(sec.getName());
        if (prio < 0) continue;
        for (auto *b : sec.blocks()) {
          if (b->isZeroFill()) continue;
          auto content = b->getContent();
          for (size_t at = 0; at + sizeof(void *) <= content.size(); at += sizeof(void *)) {
            std::uintptr_t fn = 0;
            std::memcpy(&fn, content.data() + at, sizeof fn);
            if (fn && fn != ~std::uintptr_t(0)) pending_.push_back({prio, seq_++, fn});
          }
        }
      }
      return Error::success();
    });
  }
  Error notifyFailed(MaterializationResponsibility &) override { return Error::success(); }
  Error notifyRemovingResources(JITDylib &, ResourceKey) override { return Error::success(); }
  void notifyTransferringResources(JITDylib &, ResourceKey, ResourceKey) override {}

  /// The initializers recorded since the last call, in the order to run them.
  std::vector<std::uintptr_t> take() {
    std::lock_guard<std::mutex> lock(mu_);
    std::stable_sort(pending_.begin(), pending_.end(), [](const Init &a, const Init &b) {
      return a.priority != b.priority ? a.priority < b.priority : a.seq < b.seq;
    });
    std::vector<std::uintptr_t> out;
    for (const Init &i : pending_) out.push_back(i.fn);
    pending_.clear();
    return out;
  }

private:
  static bool pcRelative32(jitlink::Edge::Kind k) {
    return k == jitlink::x86_64::Delta32 || k == jitlink::x86_64::PCRel32;
  }
  /// Code compiled without -fPIC (-fPIE, GCC's default here, or -fno-pic) takes the address of
  /// an external symbol with `lea sym(%rip), %reg`, trusting the linker to place it (or a copy
  /// of it) nearby; the JIT's memory may be gigabytes from the host's. Such an `lea` becomes
  /// `mov sym@GOTPCREL(%rip), %reg`, what -fPIC would have emitted (JITLink turns it back into
  /// the `lea` when the target is in reach).
  static void addressThroughGot(jitlink::LinkGraph &g) {
    for (auto *b : g.blocks()) {
      if (b->isZeroFill()) continue;
      for (auto &e : b->edges()) {
        if (!pcRelative32(e.getKind()) || !e.getTarget().isExternal() || e.getOffset() < 3)
          continue;
        const char *c = b->getContent().data() + e.getOffset();
        auto rex = static_cast<unsigned char>(c[-3]), op = static_cast<unsigned char>(c[-2]),
             modrm = static_cast<unsigned char>(c[-1]);
        if ((rex & 0xF8) != 0x48 || op != 0x8d || (modrm & 0xC7) != 0x05) continue;
        b->getMutableContent(g)[e.getOffset() - 2] = static_cast<char>(0x8b); // lea -> mov
        if (e.getKind() == jitlink::x86_64::Delta32) // the GOT load's fixup counts the 4 itself
          e.setAddend(e.getAddend() + 4);
        e.setKind(jitlink::x86_64::RequestGOTAndTransformToPCRel32GOTLoadREXRelaxable);
      }
    }
  }
  /// What is still PC-relative to something out of reach (a load of an external variable's
  /// value, a typeinfo in an exception table) is said plainly instead of as a fixup error.
  static Error checkReach(jitlink::LinkGraph &g) {
    for (auto *b : g.blocks())
      for (auto &e : b->edges()) {
        if (!pcRelative32(e.getKind()) || e.getTarget().isDefined()) continue;
        std::int64_t d = std::int64_t(e.getTarget().getAddress().getValue()) + e.getAddend() -
                         std::int64_t((b->getAddress() + e.getOffset()).getValue()) -
                         (e.getKind() == jitlink::x86_64::PCRel32 ? 4 : 0);
        if (d >= INT32_MIN && d <= INT32_MAX) continue;
        std::string name = e.getTarget().hasName() ? std::string(*e.getTarget().getName()) : "?";
        return createStringError(
            "%s: '%s' is addressed PC-relative (the object was compiled without -fPIC) and lies "
            "out of the JIT's reach; build the library with -fPIC (CMake: "
            "POSITION_INDEPENDENT_CODE ON) or load its sources as units",
            g.getName().c_str(), llvm::demangle(name).c_str());
      }
    return Error::success();
  }
  struct Init {
    int priority;
    std::uint64_t seq;
    std::uintptr_t fn;
  };
  /// ".init_array" -> 65535, ".init_array.00101" -> 101, anything else -> -1.
  static int priority(StringRef name) {
    if (name == ".init_array") return 65535;
    if (!name.consume_front(".init_array.")) return -1;
    unsigned p = 0;
    return name.getAsInteger(10, p) ? 65535 : int(p);
  }
  /// Member buffers of an archive are named "<archive>[<index>](<member>)".
  bool fromArchive(const std::string &graph) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string &a : archives_)
      if (graph.size() > a.size() && graph.compare(0, a.size(), a) == 0 && graph[a.size()] == '[')
        return true;
    return false;
  }
  std::mutex mu_;
  std::vector<std::string> archives_;
  std::vector<Init> pending_;
  std::uint64_t seq_ = 0;
};

static void initTargetsOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    InitializeNativeTarget();
    InitializeNativeTargetAsmPrinter();
    InitializeNativeTargetAsmParser();
  });
}

static SymbolMap toSymbolMap(ExecutionSession &es, const std::map<std::string, void *> &syms) {
  SymbolMap map;
  for (auto &[name, addr] : syms)
    map[es.intern(name)] = {ExecutorAddr::fromPtr(addr), JITSymbolFlags::Exported};
  return map;
}

std::string JitStack::versionName(const std::string &unit, unsigned number) {
  return unit + "@v" + std::to_string(number);
}

bool JitStack::splitVersionName(StringRef name, std::string &file_name, std::string &number) {
  auto [unit, digits] = name.rsplit("@v");
  if (digits.empty() || digits.find_first_not_of("0123456789") != StringRef::npos) return false;
  file_name = sys::path::filename(unit).str();
  number = digits.str();
  return true;
}

std::string JitStack::perfMapPath() { return "/tmp/perf-" + std::to_string(::getpid()) + ".map"; }

/// The GDB JIT interface plugin. ORC finds its registration function among the in-process
/// executor's bootstrap symbols (libLLVM defines __jit_debug_register_code and the
/// descriptor gdb and lldb watch).
static Expected<std::unique_ptr<ObjectLinkingLayer::Plugin>>
debuggerPlugin(ExecutionSession &es) {
  Error err = Error::success();
  auto plugin = std::make_unique<ELFDebugObjectPlugin>(es, /*RequireDebugSections=*/true,
                                                      /*AutoRegisterCode=*/true, err);
  if (err) return std::move(err);
  return std::unique_ptr<ObjectLinkingLayer::Plugin>(std::move(plugin));
}

Expected<std::unique_ptr<JitStack>> JitStack::create(const std::map<std::string, void *> &runtime,
                                                     JitStackOptions options) {
  const bool perf_map = options.perf_map;
  initTargetsOnce();
  std::unique_ptr<JitStack> stack(new JitStack());
  auto ranges = std::make_shared<RangePlugin>();
  if (perf_map) {
    // Appended to, never truncated: a forked child or a second engine writes the same file.
    ranges->perf_map.reset(std::fopen(perfMapPath().c_str(), "a"));
    if (!ranges->perf_map)
      return make_error<StringError>("cannot write " + perfMapPath() + ": " + std::strerror(errno),
                                     inconvertibleErrorCode());
  }
  stack->ranges_ = ranges;
  stack->debugger_ = options.debugger;
  auto archives = std::make_shared<ArchivePlugin>();
  stack->archives_ = archives;
  auto jit = LLJITBuilder()
                 // We run initializers and own destructors ourselves (see engine/Reload.cpp):
                 // ORC's generic platform would re-run them per JITDylib and free code before
                 // running atexit handlers.
                 .setPlatformSetUp(setUpInactivePlatform)
                 .setObjectLinkingLayerCreator(
                     [ranges, archives, options](ExecutionSession &es)
                         -> Expected<std::unique_ptr<ObjectLayer>> {
                       auto layer = std::make_unique<ObjectLinkingLayer>(es);
                       layer->addPlugin(ranges);
                       layer->addPlugin(archives);
                       if (options.debugger) {
                         auto debug = debuggerPlugin(es);
                         if (!debug) return debug.takeError();
                         layer->addPlugin(std::move(*debug));
                       }
                       // Without it no JIT frame can be unwound: every throw terminates.
                       auto eh = EHFrameRegistrationPlugin::Create(es);
                       if (!eh) return eh.takeError();
                       layer->addPlugin(std::move(*eh));
                       return std::unique_ptr<ObjectLayer>(std::move(layer));
                     })
                 .create();
  if (!jit) return jit.takeError();
  stack->jit_ = std::move(*jit);
  auto &es = stack->jit_->getExecutionSession();
  // ORC reports some failures (e.g. missing symbols) here rather than in the failing lookup's
  // error; keep them so the caller can show them with the failure they caused.
  JitStack *self = stack.get();
  es.setErrorReporter([self](Error err) {
    std::lock_guard<std::mutex> lock(self->errors_mu_);
    self->errors_ += toString(std::move(err)) + "\n";
  });
  auto stubs = es.createJITDylib("hot.stubs");
  if (!stubs) return stubs.takeError();
  auto state = es.createJITDylib("hot.state");
  if (!state) return state.takeError();
  stack->stubs_ = &*stubs;
  stack->state_ = &*state;
  JITDylib *process = stack->jit_->getProcessSymbolsJITDylib().get();
  stack->stubs_->setLinkOrder({{stack->stubs_, JITDylibLookupFlags::MatchAllSymbols},
                               {process, JITDylibLookupFlags::MatchExportedSymbolsOnly}},
                              false);
  stack->state_->setLinkOrder({{stack->state_, JITDylibLookupFlags::MatchAllSymbols},
                               {stack->stubs_, JITDylibLookupFlags::MatchAllSymbols},
                               {process, JITDylibLookupFlags::MatchExportedSymbolsOnly}},
                              false);
  if (auto err = stack->defineDsoHandle()) return std::move(err);
  std::map<std::string, void *> symbols = runtime;
  symbols["__dso_handle"] = stack->dso_handle_; // units reach the same one through hot.stubs
  if (auto err = stack->defineAbsolute(symbols)) return std::move(err);
  return stack;
}

Error JitStack::defineDsoHandle() {
  auto &es = jit_->getExecutionSession();
  auto g = std::make_unique<jitlink::LinkGraph>(
      "hot.dso_handle", es.getSymbolStringPool(), jit_->getTargetTriple(), SubtargetFeatures(),
      jitlink::getGenericEdgeKindName);
  auto &sec = g->createSection("__hot_dso_handle", MemProt::Read | MemProt::Write);
  auto &block = g->createZeroFillBlock(sec, 8, ExecutorAddr(), 8, 0);
  g->addDefinedSymbol(block, 0, "__dso_handle", 8, jitlink::Linkage::Strong,
                      jitlink::Scope::Default, false, true);
  auto &layer = static_cast<ObjectLinkingLayer &>(jit_->getObjLinkingLayer()); // ours, above
  if (auto err = static_cast<LinkGraphLayer &>(layer).add(*state_, std::move(g))) return err;
  auto addr = lookupState({"__dso_handle"});
  if (!addr) return addr.takeError();
  dso_handle_ = (*addr)["__dso_handle"];
  return Error::success();
}

void JitStack::runArchiveInitializers() {
  for (std::uintptr_t fn : archives_->take()) reinterpret_cast<void (*)()>(fn)();
}

JitStack::~JitStack() = default;

Error JitStack::defineAbsolute(const std::map<std::string, void *> &symbols) {
  if (symbols.empty()) return Error::success();
  return stubs_->define(absoluteSymbols(toSymbolMap(jit_->getExecutionSession(), symbols)));
}

Expected<ResourceTrackerSP> JitStack::addStateObject(std::unique_ptr<MemoryBuffer> object) {
  auto tracker = state_->createResourceTracker();
  if (auto err = jit_->addObjectFile(tracker, std::move(object))) return std::move(err);
  return tracker;
}

Expected<JITDylib *> JitStack::addVersion(const std::string &name,
                                          std::unique_ptr<MemoryBuffer> object,
                                          const std::map<std::string, void *> &reused) {
  auto &es = jit_->getExecutionSession();
  auto jd = es.createJITDylib(name);
  if (!jd) return jd.takeError();
  if (!reused.empty())
    if (auto err = jd->define(absoluteSymbols(toSymbolMap(es, reused)))) {
      consumeError(es.removeJITDylib(*jd));
      return std::move(err);
    }
  JITDylib *process = jit_->getProcessSymbolsJITDylib().get();
  jd->setLinkOrder({{&*jd, JITDylibLookupFlags::MatchAllSymbols},
                    {stubs_, JITDylibLookupFlags::MatchAllSymbols},
                    {state_, JITDylibLookupFlags::MatchAllSymbols},
                    {process, JITDylibLookupFlags::MatchExportedSymbolsOnly}},
                   false);
  if (auto err = jit_->addObjectFile(*jd, std::move(object))) {
    consumeError(es.removeJITDylib(*jd));
    return std::move(err);
  }
  return &*jd;
}

static Expected<std::map<std::string, void *>> lookupIn(ExecutionSession &es, JITDylib &jd,
                                                        const std::vector<std::string> &names) {
  SymbolLookupSet set;
  for (auto &n : names) set.add(es.intern(n));
  auto result = es.lookup({{&jd, JITDylibLookupFlags::MatchAllSymbols}}, std::move(set));
  if (!result) return result.takeError();
  std::map<std::string, void *> out;
  for (auto &[name, def] : *result) out[std::string(*name)] = def.getAddress().toPtr<void *>();
  return out;
}

// libgcc's unwinder, for frames registered with __register_frame (JIT code), sorts a new
// object's FDEs the first time a search meets it, with malloc. A crash backtrace is taken in a
// signal handler, where malloc may deadlock (the fault may be inside malloc): so every lookup
// that linked code makes that first search itself. A search for a pc no registered object
// covers meets them all.
extern "C" const void *_Unwind_Find_FDE(void *pc, void *bases);

static void prepareUnwinder() {
  void *bases[3] = {}; // struct dwarf_eh_bases: tbase, dbase, func
  (void)_Unwind_Find_FDE(reinterpret_cast<void *>(&prepareUnwinder), bases);
}

Expected<std::map<std::string, void *>> JitStack::lookup(JITDylib &jd,
                                                         const std::vector<std::string> &names) {
  auto out = lookupIn(jit_->getExecutionSession(), jd, names);
  runArchiveInitializers(); // archive members this lookup linked (also when it failed)
  prepareUnwinder();
  return out;
}

Expected<std::map<std::string, void *>> JitStack::linkOnly(JITDylib &jd,
                                                           const std::vector<std::string> &names) {
  return lookupIn(jit_->getExecutionSession(), jd, names);
}

void JitStack::finishLinking() {
  runArchiveInitializers();
  prepareUnwinder();
}

Expected<std::map<std::string, void *>>
JitStack::lookupState(const std::vector<std::string> &names) {
  auto out = lookupIn(jit_->getExecutionSession(), *state_, names);
  runArchiveInitializers();
  prepareUnwinder();
  return out;
}

Error JitStack::removeVersion(JITDylib &jd) {
  if (debugger_) unregisterDebugObjects(ranges_->of(&jd)); // while its debug objects are mapped
  ranges_->forget(jd);
  return jit_->getExecutionSession().removeJITDylib(jd);
}

std::pair<std::uintptr_t, std::uintptr_t> JitStack::bodyRange(const void *body) const {
  return ranges_->body(reinterpret_cast<std::uintptr_t>(body));
}

std::string JitStack::takeSessionErrors() {
  std::lock_guard<std::mutex> lock(errors_mu_);
  return std::exchange(errors_, std::string());
}

JITDylib *JitStack::codeOwner(std::uintptr_t pc) const { return ranges_->owner(pc); }
std::string JitStack::functionAt(std::uintptr_t pc) const { return ranges_->functionAt(pc); }
std::map<std::string, void *> JitStack::weakFunctions(JITDylib &jd) const { return ranges_->weak(jd); }
std::vector<std::pair<std::uintptr_t, std::uintptr_t>> JitStack::codeRanges(JITDylib *jd) const {
  return ranges_->of(jd);
}
std::size_t JitStack::codeBytes(JITDylib &jd) const { return ranges_->bytes(jd); }

Error JitStack::loadLibrary(const std::string &path) {
  std::string err;
  if (sys::DynamicLibrary::LoadLibraryPermanently(path.c_str(), &err))
    return createStringError("cannot load library '%s': %s", path.c_str(), err.c_str());
  return Error::success();
}

Error JitStack::addArchive(const std::string &path) {
  archives_->addArchive(path);
  auto gen = StaticLibraryDefinitionGenerator::Load(jit_->getObjLinkingLayer(), path.c_str());
  if (!gen) return gen.takeError();
  state_->addGenerator(std::move(*gen));
  return Error::success();
}

} // namespace hot::jit
