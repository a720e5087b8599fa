#include "jit/JitStack.h"

#include "llvm/ExecutionEngine/JITLink/JITLink.h"
#include "llvm/ExecutionEngine/Orc/AbsoluteSymbols.h"
#include "llvm/ExecutionEngine/Orc/EHFrameRegistrationPlugin.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/ObjectLinkingLayer.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/TargetSelect.h"

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
    config.PostAllocationPasses.push_back([this, jd](jitlink::LinkGraph &g) {
      record(*jd, g);
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
  void record(JITDylib &jd, jitlink::LinkGraph &g) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto &sec : g.sections()) {
      if ((sec.getMemProt() & MemProt::Exec) == MemProt::None || sec.blocks().empty()) continue;
      jitlink::SectionRange r(sec);
      ranges_.push_back({&jd, r.getStart().getValue(), r.getEnd().getValue()});
    }
    for (jitlink::Symbol *sym : g.defined_symbols())
      if (sym->hasName() && (*sym->getName()).starts_with("__hot_body.") && sym->getSize())
        bodies_[sym->getAddress().getValue()] = {&jd, sym->getSize()};
  }
  mutable std::mutex mu_;
  std::vector<Range> ranges_;
  std::map<std::uintptr_t, Body> bodies_; // function body start -> its JITDylib and size
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

Expected<std::unique_ptr<JitStack>> JitStack::create(const std::map<std::string, void *> &runtime) {
  initTargetsOnce();
  std::unique_ptr<JitStack> stack(new JitStack());
  auto ranges = std::make_shared<RangePlugin>();
  stack->ranges_ = ranges;
  auto jit = LLJITBuilder()
                 // We run initializers and own destructors ourselves (see engine/Reload.cpp):
                 // ORC's generic platform would re-run them per JITDylib and free code before
                 // running atexit handlers.
                 .setPlatformSetUp(setUpInactivePlatform)
                 .setObjectLinkingLayerCreator(
                     [ranges](ExecutionSession &es) -> Expected<std::unique_ptr<ObjectLayer>> {
                       auto layer = std::make_unique<ObjectLinkingLayer>(es);
                       layer->addPlugin(ranges);
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
  if (auto err = stack->defineAbsolute(runtime)) return std::move(err);
  return stack;
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
                                          std::unique_ptr<MemoryBuffer> object) {
  auto &es = jit_->getExecutionSession();
  auto jd = es.createJITDylib(name);
  if (!jd) return jd.takeError();
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

Expected<std::map<std::string, void *>> JitStack::lookup(JITDylib &jd,
                                                         const std::vector<std::string> &names) {
  return lookupIn(jit_->getExecutionSession(), jd, names);
}

Expected<std::map<std::string, void *>>
JitStack::lookupState(const std::vector<std::string> &names) {
  return lookupIn(jit_->getExecutionSession(), *state_, names);
}

Error JitStack::removeVersion(JITDylib &jd) {
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
  auto gen = StaticLibraryDefinitionGenerator::Load(jit_->getObjLinkingLayer(), path.c_str());
  if (!gen) return gen.takeError();
  state_->addGenerator(std::move(*gen));
  return Error::success();
}

} // namespace hot::jit
