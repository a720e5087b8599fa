#include "jit/Transform.h"
#include "jit/TransformRecord.h"

#include "llvm/Demangle/Demangle.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"
#include "llvm/Transforms/Utils/ValueMapper.h"

#include <algorithm>

using namespace llvm;

namespace hot::jit {
namespace {

bool isTypeDataName(StringRef n) {
  return n.starts_with("_ZTV") || n.starts_with("_ZTT") || n.starts_with("_ZTI") ||
         n.starts_with("_ZTS");
}

/// llvm.* globals are compiler bookkeeping; DW.ref.* is read PC-relative from .eh_frame and must
/// stay next to the code that uses it.
bool isSpecial(const GlobalValue &g) {
  return g.getName().starts_with("llvm.") || g.getName().starts_with("DW.ref.");
}

std::string printed(const Constant *c) {
  std::string s;
  raw_string_ostream os(s);
  c->print(os);
  return s;
}

std::string hex(uint64_t v) {
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

void collectGlobals(const Constant *c, SmallPtrSetImpl<GlobalValue *> &out) {
  if (auto *gv = dyn_cast<GlobalValue>(c)) {
    out.insert(const_cast<GlobalValue *>(gv));
    return;
  }
  for (const Use &u : c->operands())
    if (auto *oc = dyn_cast<Constant>(u.get())) collectGlobals(oc, out);
}

void collectGlobals(const Function &f, SmallPtrSetImpl<GlobalValue *> &out) {
  for (const BasicBlock &bb : f)
    for (const Instruction &inst : bb)
      for (const Use &op : inst.operands())
        if (auto *c = dyn_cast<Constant>(op.get())) collectGlobals(c, out);
}

std::string lastComponent(StringRef qualified) {
  size_t pos = qualified.rfind("::");
  return (pos == StringRef::npos ? qualified : qualified.substr(pos + 2)).str();
}

/// The base name a user wrote for a hook, from clang's info or by demangling.
std::string hookName(const Function &f, const fe::FunctionInfo *info) {
  if (info && !info->qualified_name.empty()) return info->qualified_name;
  std::string d = demangle(f.getName().str());
  return d.substr(0, d.find('('));
}

} // namespace

UnitTransform::UnitTransform(Module &m, const fe::CompileResult &info, TransformOptions opts)
    : m_(&m), info_(info), opts_(opts) {}

UnitTransform::UnitTransform(const TransformRecord &record, const fe::CompileResult &info,
                             TransformOptions opts)
    : info_(info), replay_(std::make_unique<TransformRecord>(record)), opts_(opts) {
  for (const TransformRecord::Function &f : record.functions) {
    auto it = info_.functions.find(f.mangled);
    const fe::FunctionInfo *fi = it == info_.functions.end() ? nullptr : &it->second;
    functions_.push_back({f.symbol, f.body, f.mangled, fi, f.is_user, f.is_alias, f.strong});
  }
  data_ = record.data;
  for (const std::string &kind : record.hooks) hooks_[kind] = nullptr;
}

UnitTransform::~UnitTransform() = default;

const std::string &UnitTransform::replayedDataObject() const {
  static const std::string none;
  return replay_ ? replay_->data_object : none;
}

bool UnitTransform::replay(const SymbolOracle &oracle) {
  const TransformRecord &r = *replay_;
  if (r.data.size() != data_.size()) return false;
  for (size_t i = 0; i < data_.size(); ++i)
    if (data_[i].symbol != r.data[i].symbol || data_[i].is_new != r.data[i].is_new) return false;
  for (const auto &[symbol, answer] : r.reloadable)
    if (oracle.isReloadable(symbol) != answer) return false;
  for (const auto &[symbol, answer] : r.has_data)
    if (oracle.hasData(symbol) != answer) return false;
  for (const auto &[key, answer] : r.data_symbol)
    if (oracle.dataSymbol(key) != answer) return false;
  initFunction = r.init_function;
  onLoad = r.on_load;
  onUnload = r.on_unload;
  migrate = r.migrate;
  newConstants = r.new_constants;
  skippedInitializers = r.skipped_initializers;
  calls = r.calls;
  externals = r.externals;
  return true;
}

struct UnitTransform::Impl {
  static std::string stableName(const GlobalValue &g, unsigned unit) {
    if (g.hasLocalLinkage()) return UnitTransform::unitScoped(unit, g.getName().str());
    return g.getName().str();
  }

  static void detachCtors(Module &m, std::vector<std::pair<int, Function *>> &ctors) {
    if (GlobalVariable *gv = m.getNamedGlobal("llvm.global_ctors")) {
      if (auto *arr = dyn_cast_or_null<ConstantArray>(gv->getInitializer()))
        for (const Use &op : arr->operands()) {
          auto *entry = cast<ConstantStruct>(op.get());
          int prio = int(cast<ConstantInt>(entry->getOperand(0))->getSExtValue());
          if (auto *fn = dyn_cast<Function>(entry->getOperand(1)->stripPointerCasts()))
            ctors.push_back({prio, fn});
        }
      gv->eraseFromParent();
    }
    std::stable_sort(ctors.begin(), ctors.end(),
                     [](auto &a, auto &b) { return a.first < b.first; });
    // Destructor attributes and llvm.used lists have no meaning once we own the lifecycle.
    for (const char *name : {"llvm.global_dtors", "llvm.used", "llvm.compiler.used"})
      if (GlobalVariable *gv = m.getNamedGlobal(name)) gv->eraseFromParent();
  }
};

Error UnitTransform::analyze() {
  if (replaying()) return Error::success();
  Module &m = *m_;
  Impl::detachCtors(m, ctors_);
  std::set<Function *> ctorFns;
  for (auto &[prio, fn] : ctors_) ctorFns.insert(fn);

  std::set<Function *> aliased;
  for (GlobalAlias &a : m.aliases())
    if (auto *fn = dyn_cast_or_null<Function>(a.getAliaseeObject())) aliased.insert(fn);

  for (Function &f : m) {
    if (f.isDeclaration() || f.hasAvailableExternallyLinkage() || f.isIntrinsic()) continue;
    if (ctorFns.count(&f)) continue;
    auto it = info_.functions.find(f.getName().str());
    const fe::FunctionInfo *info = it == info_.functions.end() ? nullptr : &it->second;
    std::string hook = hookName(f, info);
    if (hook == "hot_on_load" || hook == "hot_on_unload" ||
        StringRef(hook).starts_with("hot_migrate_")) {
      hooks_[hook == "hot_on_load"     ? "load"
             : hook == "hot_on_unload" ? "unload"
                                       : "migrate:" + hook.substr(strlen("hot_migrate_"))] = &f;
      continue;
    }
    bool user = info && !info->in_system_header;
    // Any function whose address escapes may be called after this version is gone (a pointer
    // kept in state, a vtable, an atexit entry): it gets a stub even if it is library code.
    bool escapes = f.hasAddressTaken(nullptr, false, true, true) || aliased.count(&f);
    if (!user && !escapes) continue;
    functions_.push_back({Impl::stableName(f, opts_.unit_id), "", f.getName().str(), info, user,
                          false, f.hasExternalLinkage()});
  }
  for (GlobalAlias &a : m.aliases()) {
    if (!isa_and_nonnull<Function>(a.getAliaseeObject())) continue;
    auto it = info_.functions.find(a.getName().str());
    const fe::FunctionInfo *info = it == info_.functions.end() ? nullptr : &it->second;
    functions_.push_back({Impl::stableName(a, opts_.unit_id), "", a.getName().str(), info,
                          info && !info->in_system_header, /*is_alias=*/true,
                          a.hasExternalLinkage()});
  }

  const DataLayout &dl = m.getDataLayout();
  for (GlobalVariable &g : m.globals()) {
    if (g.isDeclaration() || isSpecial(g)) continue;
    auto it = info_.globals.find(g.getName().str());
    const fe::GlobalInfo *info = it == info_.globals.end() ? nullptr : &it->second;
    DataCandidate d;
    if (isTypeDataName(g.getName())) {
      d.kind = DataKind::Vtable;
      d.fingerprint = "vt:" + printed(g.getInitializer());
    } else if (!g.isConstant()) {
      bool constObject = info && StringRef(info->cpp_type).starts_with("const ");
      d.kind = constObject ? DataKind::ReinitConst : DataKind::Mutable;
    } else if (g.hasExternalLinkage()) {
      d.kind = DataKind::Mutable; // `extern const` defined here: other units bind by name.
    } else {
      continue; // content-addressed constant, handled in rewrite()
    }
    d.key = Impl::stableName(g, opts_.unit_id);
    d.size = dl.getTypeAllocSize(g.getValueType());
    if (d.fingerprint.empty()) {
      std::string ty;
      raw_string_ostream os(ty);
      g.getValueType()->print(os);
      d.fingerprint = info && !info->layout.empty() ? info->layout
                                                    : "ir:" + ty + ":" + std::to_string(d.size);
    }
    d.display = info && !info->qualified_name.empty() ? info->qualified_name
                                                      : demangle(g.getName().str());
    if (info) {
      d.cpp_type = info->cpp_type;
      d.file = info->file;
      d.line = info->line;
      d.column = info->column;
    }
    d.simple_name = lastComponent(d.display);
    d.symbol = d.key;
    d.strong = g.hasExternalLinkage() && d.kind != DataKind::Vtable;
    data_.push_back(std::move(d));
  }
  return Error::success();
}

namespace {

/// Everything rewrite() needs while it runs, split into short steps.
class Rewriter {
public:
  Rewriter(Module &m, const SymbolOracle &oracle, TransformOptions opts,
           std::vector<DataCandidate> &data, std::vector<FunctionCandidate> &fns)
      : m_(m), oracle_(oracle), opts_(opts), data_(data), fns_(fns) {}

  void renameHooks(std::map<std::string, Function *> &hooks, UnitTransform &out);
  void stubFunctions();
  void renameData();
  Error nameConstants();
  std::unique_ptr<Module> buildDataModule(std::vector<std::string> &newConstants);
  unsigned pruneInitializers(std::vector<std::pair<int, Function *>> &ctors);
  void declareData();
  void rewriteCalls();
  void countCalls();
  std::string makeInit(const std::vector<std::pair<int, Function *>> &ctors);
  void fixDeclarations();
  void useMigratedSymbols(Module &m);
  std::set<std::string> referencedStubs();

private:
  Error nameConstant(GlobalVariable &g);
  GlobalVariable *declareLike(GlobalVariable &g);

  Module &m_;
  const SymbolOracle &oracle_;
  TransformOptions opts_;
  std::vector<DataCandidate> &data_;
  std::vector<FunctionCandidate> &fns_;
  std::set<std::string> stubNames_;        // stub declarations made for this unit's functions
  std::map<std::string, GlobalVariable *> persistent_; // symbol -> definition (still in m_)
  std::set<GlobalVariable *> constants_;   // content-addressed definitions
  std::set<GlobalVariable *> naming_;      // cycle guard for nameConstant
  std::set<GlobalVariable *> erased_;      // duplicates merged into an equal constant
};

void Rewriter::renameHooks(std::map<std::string, Function *> &hooks, UnitTransform &out) {
  for (auto &[kind, fn] : hooks) {
    std::string name = "__hot_hook." + kind;
    std::replace(name.begin(), name.end(), ':', '.');
    fn->setName(name);
    fn->setLinkage(GlobalValue::ExternalLinkage);
    fn->setVisibility(GlobalValue::DefaultVisibility);
    fn->setComdat(nullptr);
    if (kind == "load") out.onLoad = fn->getName().str();
    else if (kind == "unload") out.onUnload = fn->getName().str();
    else out.migrate[kind.substr(strlen("migrate:"))] = fn->getName().str();
  }
}

/// Body F becomes "__hot_body.<symbol>"; every use of F now names the stub declaration.
void Rewriter::stubFunctions() {
  std::map<std::string, std::string> bodyOf; // source name -> body name
  for (FunctionCandidate &c : fns_) {
    Function *f = m_.getFunction(c.mangled);
    if (!f) continue; // an alias, handled below
    FunctionType *type = f->getFunctionType();
    f->setName("__hot_body." + c.symbol);
    Function *stub = Function::Create(type, GlobalValue::ExternalLinkage, c.symbol, m_);
    stub->setCallingConv(f->getCallingConv());
    stub->setAttributes(f->getAttributes().removeFnAttributes(m_.getContext()));
    // An alias of F (C1 = C2 for an out-of-line constructor) keeps naming the body: the loop
    // below reads its body from it and gives the alias a stub of its own.
    f->replaceUsesWithIf(stub, [](Use &u) {
      return !isa<BlockAddress>(u.getUser()) && !isa<GlobalAlias>(u.getUser());
    });
    f->setLinkage(GlobalValue::ExternalLinkage);
    f->setVisibility(GlobalValue::DefaultVisibility);
    f->setComdat(nullptr);
    c.body = f->getName().str();
    bodyOf[c.mangled] = c.body;
    stubNames_.insert(c.symbol);
  }
  for (FunctionCandidate &c : fns_) {
    GlobalAlias *a = m_.getNamedAlias(c.mangled);
    if (!a) continue;
    auto *target = cast<Function>(a->getAliaseeObject());
    c.body = target->getName().str(); // already renamed to its body
    Function *stub = Function::Create(target->getFunctionType(), GlobalValue::ExternalLinkage,
                                      "", m_);
    a->replaceAllUsesWith(stub);
    a->eraseFromParent();
    stub->setName(c.symbol);
    stubNames_.insert(c.symbol);
  }
}

void Rewriter::renameData() {
  for (DataCandidate &d : data_) {
    std::string source = d.key;
    // Local names were made unit-scoped in the key; find the global by its source name.
    StringRef prefix = "__hot.";
    GlobalVariable *g = m_.getNamedGlobal(d.key);
    if (!g && StringRef(d.key).starts_with(prefix)) {
      StringRef rest = StringRef(d.key).drop_front(prefix.size());
      g = m_.getNamedGlobal(rest.substr(rest.find('.') + 1));
    }
    if (!g) continue;
    g->setName(d.symbol);
    persistent_[d.symbol] = g;
  }
}

/// Names a constant by a hash of its type, alignment and initializer, after naming every
/// constant it refers to, so equal content gets one storage and changed content a new one.
Error Rewriter::nameConstant(GlobalVariable &g) {
  if (constants_.count(&g)) return Error::success();
  if (!naming_.insert(&g).second) // a cycle: fall back to a unit-scoped identity
    return Error::success();
  SmallPtrSet<GlobalValue *, 8> refs;
  collectGlobals(g.getInitializer(), refs);
  for (GlobalValue *r : refs) {
    auto *rv = dyn_cast<GlobalVariable>(r);
    if (rv && rv != &g && rv->isConstant() && !rv->isDeclaration() && !persistent_.count(rv->getName().str()) && !isSpecial(*rv))
      if (auto err = nameConstant(*rv)) return err;
  }
  std::string text;
  raw_string_ostream os(text);
  g.getValueType()->print(os);
  os << "|" << g.getAlign().valueOrOne().value() << "|" << printed(g.getInitializer());
  std::string name = "__hot_const." + hex(xxh3_64bits(text));
  if (GlobalVariable *same = m_.getNamedGlobal(name); same && same != &g) {
    g.replaceAllUsesWith(same);
    erased_.insert(&g);
    g.eraseFromParent();
    return Error::success();
  }
  g.setName(name);
  constants_.insert(&g);
  return Error::success();
}

Error Rewriter::nameConstants() {
  std::vector<GlobalVariable *> todo;
  for (GlobalVariable &g : m_.globals())
    if (g.isConstant() && !g.isDeclaration() && !isSpecial(g) &&
        !persistent_.count(g.getName().str()))
      todo.push_back(&g);
  for (GlobalVariable *g : todo)
    if (!constants_.count(g) && !erased_.count(g))
      if (auto err = nameConstant(*g)) return err;
  return Error::success();
}

/// Creates declarations in the data module for whatever its initializers reference.
class DeclMaterializer : public ValueMaterializer {
public:
  explicit DeclMaterializer(Module &dm) : dm_(dm) {}
  Value *materialize(Value *v) override {
    auto *gv = dyn_cast<GlobalValue>(v);
    if (!gv) return nullptr;
    if (GlobalValue *existing = dm_.getNamedValue(gv->getName())) return existing;
    if (auto *f = dyn_cast<Function>(gv))
      return Function::Create(f->getFunctionType(), GlobalValue::ExternalLinkage, f->getName(),
                              dm_);
    auto *g = cast<GlobalVariable>(gv);
    auto *d = new GlobalVariable(dm_, g->getValueType(), g->isConstant(),
                                 GlobalValue::ExternalLinkage, nullptr, g->getName(), nullptr,
                                 g->getThreadLocalMode(), g->getAddressSpace());
    return d;
  }

private:
  Module &dm_;
};

std::unique_ptr<Module> Rewriter::buildDataModule(std::vector<std::string> &newConstants) {
  std::vector<GlobalVariable *> defs;
  for (DataCandidate &d : data_)
    if (d.is_new && persistent_.count(d.symbol)) defs.push_back(persistent_[d.symbol]);
  for (GlobalVariable *g : constants_)
    if (!oracle_.hasData(g->getName().str())) {
      defs.push_back(g);
      newConstants.push_back(g->getName().str());
    }
  if (defs.empty()) return nullptr;
  auto dm = std::make_unique<Module>(
      "hot.data." + std::to_string(opts_.unit_id) + "." + std::to_string(opts_.version),
      m_.getContext());
  dm->setDataLayout(m_.getDataLayout());
  dm->setTargetTriple(m_.getTargetTriple());
  std::vector<std::pair<GlobalVariable *, GlobalVariable *>> pairs;
  for (GlobalVariable *g : defs) {
    auto *d = new GlobalVariable(*dm, g->getValueType(), g->isConstant(),
                                 GlobalValue::ExternalLinkage, nullptr, g->getName(), nullptr,
                                 g->getThreadLocalMode(), g->getAddressSpace());
    d->setAlignment(g->getAlign());
    pairs.push_back({g, d});
  }
  ValueToValueMapTy vm;
  DeclMaterializer mat(*dm);
  for (auto &[g, d] : pairs)
    d->setInitializer(MapValue(g->getInitializer(), vm, RF_None, nullptr, &mat));
  for (GlobalValue &gv : dm->global_values())
    if (gv.isDeclaration()) gv.setDSOLocal(false);
  useMigratedSymbols(*dm); // an initializer may take the address of migrated data
  return dm;
}

/// Drops initializer calls whose globals all exist already, so that kept state is not
/// constructed twice. A call that also touches a new global is kept (it initializes that one).
unsigned Rewriter::pruneInitializers(std::vector<std::pair<int, Function *>> &ctors) {
  std::set<std::string> existing, fresh;
  for (DataCandidate &d : data_)
    (d.is_new ? fresh : existing).insert(d.symbol);
  auto onlyExisting = [&](Function &f) {
    SmallPtrSet<GlobalValue *, 8> refs;
    collectGlobals(f, refs);
    bool any = false;
    for (GlobalValue *r : refs) {
      std::string n = r->getName().str();
      if (fresh.count(n)) return false;
      any |= existing.count(n) > 0;
    }
    return any;
  };
  unsigned skipped = 0;
  std::vector<std::pair<int, Function *>> kept;
  for (auto &entry : ctors) {
    if (onlyExisting(*entry.second)) {
      ++skipped;
      continue;
    }
    std::vector<CallInst *> drop;
    for (BasicBlock &bb : *entry.second)
      for (Instruction &inst : bb)
        if (auto *call = dyn_cast<CallInst>(&inst))
          if (Function *callee = call->getCalledFunction())
            if (!callee->isDeclaration() && callee->hasLocalLinkage() && onlyExisting(*callee))
              drop.push_back(call);
    for (CallInst *call : drop) call->eraseFromParent();
    skipped += drop.size();
    kept.push_back(entry);
  }
  ctors = std::move(kept);
  return skipped;
}

GlobalVariable *Rewriter::declareLike(GlobalVariable &g) {
  auto *d = new GlobalVariable(m_, g.getValueType(), g.isConstant(), GlobalValue::ExternalLinkage,
                               nullptr, "", nullptr, g.getThreadLocalMode(), g.getAddressSpace());
  d->takeName(&g);
  d->setAlignment(g.getAlign());
  return d;
}

void Rewriter::declareData() {
  std::vector<GlobalVariable *> defs;
  for (auto &[name, g] : persistent_) defs.push_back(g);
  defs.insert(defs.end(), constants_.begin(), constants_.end());
  for (GlobalVariable *g : defs) {
    GlobalVariable *d = declareLike(*g);
    g->replaceAllUsesWith(d);
    g->eraseFromParent();
  }
}

/// Direct calls to reloadable functions load the target from the slot and call it: as cheap as
/// a direct call, and the caller never holds an address into one version.
void Rewriter::rewriteCalls() {
  PointerType *ptr = PointerType::getUnqual(m_.getContext());
  for (Function &f : m_) {
    if (!f.isDeclaration()) continue;
    std::string name = f.getName().str();
    if (!stubNames_.count(name) && !oracle_.isReloadable(name)) continue;
    std::vector<CallBase *> calls;
    for (Use &u : f.uses())
      if (auto *cb = dyn_cast<CallBase>(u.getUser()); cb && cb->isCallee(&u)) calls.push_back(cb);
    if (calls.empty()) continue;
    GlobalVariable *slot = cast<GlobalVariable>(
        m_.getOrInsertGlobal(UnitTransform::slotName(name), ptr));
    for (CallBase *cb : calls) {
      IRBuilder<> b(cb);
      LoadInst *target = b.CreateAlignedLoad(ptr, slot, Align(8), name + ".target");
      target->setAtomic(AtomicOrdering::Unordered);
      cb->setCalledOperand(target);
    }
  }
}

void Rewriter::countCalls() {
  Type *i64 = Type::getInt64Ty(m_.getContext());
  for (FunctionCandidate &c : fns_) {
    Function *body = m_.getFunction(c.body);
    if (!c.is_user || c.is_alias || !body) continue;
    IRBuilder<> b(&*body->getEntryBlock().getFirstInsertionPt());
    auto *counter = m_.getOrInsertGlobal(UnitTransform::counterName(c.symbol), i64);
    Value *n = b.CreateAlignedLoad(i64, counter, Align(8));
    b.CreateAlignedStore(b.CreateAdd(n, ConstantInt::get(i64, 1)), counter, Align(8));
  }
}

std::string Rewriter::makeInit(const std::vector<std::pair<int, Function *>> &ctors) {
  if (ctors.empty()) return "";
  auto *type = FunctionType::get(Type::getVoidTy(m_.getContext()), false);
  Function *init = Function::Create(type, GlobalValue::ExternalLinkage, "__hot_init", m_);
  IRBuilder<> b(BasicBlock::Create(m_.getContext(), "entry", init));
  for (auto &[prio, fn] : ctors) b.CreateCall(fn->getFunctionType(), fn);
  b.CreateRetVoid();
  return init->getName().str();
}

/// Declarations may resolve anywhere in the address space (stubs, state, the host): never
/// assume they are within PC-relative reach or hidden.
void Rewriter::fixDeclarations() {
  useMigratedSymbols(m_);
  for (GlobalValue &gv : m_.global_values()) {
    if (!gv.isDeclaration() || (isa<Function>(gv) && cast<Function>(gv).isIntrinsic())) continue;
    gv.setDSOLocal(false);
    gv.setVisibility(GlobalValue::DefaultVisibility);
  }
}

/// Data of another unit whose layout was migrated lives under a new symbol: `m`'s declarations
/// of it take that name (this unit's own data is named by its decisions already).
void Rewriter::useMigratedSymbols(Module &m) {
  for (GlobalVariable &g : m.globals()) {
    if (!g.isDeclaration() || persistent_.count(g.getName().str())) continue;
    std::string current = oracle_.dataSymbol(g.getName().str());
    if (current != g.getName()) g.setName(current);
  }
}

/// Reloadable functions the code still names (calls through slots, or address uses of stubs).
std::set<std::string> Rewriter::referencedStubs() {
  std::set<std::string> out;
  for (Function &f : m_) {
    if (!f.isDeclaration() || f.use_empty()) continue;
    std::string name = f.getName().str();
    if (stubNames_.count(name) || oracle_.isReloadable(name)) out.insert(name);
  }
  for (GlobalVariable &g : m_.globals()) // slots loaded by rewritten calls
    if (g.isDeclaration() && g.getName().starts_with("__hot_slot."))
      out.insert(g.getName().drop_front(strlen("__hot_slot.")).str());
  return out;
}

Error verify(Module &m, const char *what) {
  std::string msg;
  raw_string_ostream os(msg);
  if (verifyModule(m, &os))
    return createStringError("hotengine internal error: invalid %s module after transform: %s",
                             what, msg.substr(0, 2000).c_str());
  return Error::success();
}

} // namespace

Expected<std::unique_ptr<Module>> UnitTransform::rewrite(const SymbolOracle &engine_oracle) {
  if (replaying()) return createStringError("hotengine internal error: rewrite of a replay");
  Module &m = *m_;
  // Answers are kept only for a record: a patch's rewrite asks without the bookkeeping.
  RecordingOracle recording(engine_oracle);
  const SymbolOracle &oracle = opts_.record ? recording : engine_oracle;
  Rewriter r(m, oracle, opts_, data_, functions_);
  for (const std::string &name : opts_.local_declarations)
    if (Function *f = m.getFunction(name); f && f->isDeclaration())
      f->setName(unitScoped(opts_.unit_id, name));
  r.renameHooks(hooks_, *this);
  r.stubFunctions();
  r.renameData();
  if (auto err = r.nameConstants()) return std::move(err);
  std::unique_ptr<Module> dm = r.buildDataModule(newConstants);
  skippedInitializers = r.pruneInitializers(ctors_);
  r.declareData();
  r.rewriteCalls();
  if (opts_.count_calls) r.countCalls();
  initFunction = r.makeInit(ctors_);
  r.fixDeclarations();
  calls = r.referencedStubs();
  for (const Function &f : m.functions())
    if (f.isDeclaration() && !f.isIntrinsic()) externals.insert(f.getName().str());
  for (const GlobalVariable &g : m.globals())
    if (g.isDeclaration()) externals.insert(g.getName().str());
  if (dm)
    if (auto err = verify(*dm, "data")) return std::move(err);
  if (opts_.record) record_ = makeRecord(recording);
  return std::move(dm);
}

std::unique_ptr<TransformRecord> UnitTransform::makeRecord(const RecordingOracle &oracle) const {
  auto rec = std::make_unique<TransformRecord>();
  for (const FunctionCandidate &c : functions_)
    rec->functions.push_back({c.symbol, c.body, c.mangled, c.is_user, c.is_alias, c.strong});
  rec->data = data_;
  for (const auto &[kind, fn] : hooks_) rec->hooks.insert(kind);
  rec->init_function = initFunction;
  rec->on_load = onLoad;
  rec->on_unload = onUnload;
  rec->migrate = migrate;
  rec->new_constants = newConstants;
  rec->skipped_initializers = skippedInitializers;
  rec->calls = calls;
  rec->externals = externals;
  rec->reloadable = oracle.reloadable;
  rec->has_data = oracle.has_data;
  rec->data_symbol = oracle.data_symbol;
  return rec;
}

Error UnitTransform::verifyCode(Module &m) { return verify(m, "code"); }

} // namespace hot::jit
