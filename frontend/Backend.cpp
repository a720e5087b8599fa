// Target setup, the LLVM optimization pipeline and in-memory object emission.
#include <algorithm>
#include <mutex>

#include "frontend/FrontendInternal.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Analysis/CGSCCPassManager.h"
#include "llvm/Analysis/LoopAnalysisManager.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/PassManager.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/SmallVectorMemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"

namespace hot::fe {
namespace detail {

void initNativeTarget() {
  // Target registration mutates process-wide registries: once, whoever gets here first.
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser(); // inline asm in headers needs the parser
  });
}

static llvm::CodeGenOptLevel codeGenLevel(int opt_level) {
  if (opt_level <= 0) return llvm::CodeGenOptLevel::None;
  if (opt_level >= 3) return llvm::CodeGenOptLevel::Aggressive;
  return llvm::CodeGenOptLevel::Default;
}

/// "+f1,-f2,..." for the host, as `clang -march=native` would enable them.
static std::string hostFeatures() {
  std::string out;
  for (const auto &f : llvm::sys::getHostCPUFeatures()) {
    if (!out.empty()) out += ',';
    out += (f.getValue() ? "+" : "-") + f.getKey().str();
  }
  return out;
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createHostTargetMachine(const llvm::Triple &triple, int opt_level, bool native_cpu,
                        std::string *features_out) {
  initNativeTarget();
  llvm::Triple tt = triple.str().empty() ? llvm::Triple(llvm::sys::getProcessTriple()) : triple;
  std::string err;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(tt, err);
  if (!target) return llvm::createStringError("no target for '%s': %s", tt.str().c_str(), err.c_str());
  std::string cpu = native_cpu ? llvm::sys::getHostCPUName().str() : "x86-64";
  std::string features = native_cpu ? hostFeatures() : "";
  llvm::TargetOptions opts;
  // JIT code has no ELF TLS runtime: thread_local goes through __emutls_get_address (libgcc),
  // which also keeps a variable's per-thread storage in the persistent data across reloads.
  opts.EmulatedTLS = true;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      tt, cpu, features, opts, llvm::Reloc::PIC_, llvm::CodeModel::Small, codeGenLevel(opt_level)));
  if (!tm) return llvm::createStringError("cannot create a target machine for '%s'", tt.str().c_str());
  if (features_out) *features_out = features;
  return tm;
}

/// Gives `m` the target's triple and DataLayout when clang did not (IR from elsewhere).
static void adoptTarget(llvm::Module &m, const llvm::TargetMachine &tm) {
  if (m.getTargetTriple().str().empty()) m.setTargetTriple(tm.getTargetTriple());
  if (m.getDataLayout().isDefault()) m.setDataLayout(tm.createDataLayout());
}

/// Function attributes beat the TargetMachine's CPU, so native code needs them rewritten.
static void retagForHost(llvm::Module &m, llvm::StringRef cpu, llvm::StringRef features) {
  for (llvm::Function &f : m) {
    if (f.isDeclaration()) continue;
    std::string own = f.getFnAttribute("target-features").getValueAsString().str();
    // Later entries win: the function's explicit features override the host's.
    f.addFnAttr("target-features", own.empty() ? features.str() : (features + "," + own).str());
    f.addFnAttr("target-cpu", cpu);
    f.addFnAttr("tune-cpu", cpu);
  }
}

} // namespace detail

void optimizeModule(llvm::Module &m, int opt_level) {
  auto tm = detail::createHostTargetMachine(m.getTargetTriple(), opt_level, false);
  std::unique_ptr<llvm::TargetMachine> machine;
  if (tm) {
    machine = std::move(*tm);
    detail::adoptTarget(m, *machine);
  } else {
    // Without a target the generic pipeline still works, just with worse cost models.
    llvm::consumeError(tm.takeError());
  }
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(machine.get());
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  static const llvm::OptimizationLevel levels[] = {
      llvm::OptimizationLevel::O0, llvm::OptimizationLevel::O1, llvm::OptimizationLevel::O2,
      llvm::OptimizationLevel::O3};
  int idx = std::clamp(opt_level, 0, 3);
  llvm::ModulePassManager mpm = idx == 0 ? pb.buildO0DefaultPipeline(levels[0])
                                         : pb.buildPerModuleDefaultPipeline(levels[idx]);
  mpm.run(m, mam);
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>> emitObject(llvm::Module &m, int opt_level,
                                                               bool native_cpu) {
  std::string features;
  auto tm = detail::createHostTargetMachine(m.getTargetTriple(), opt_level, native_cpu, &features);
  if (!tm) return tm.takeError();
  detail::adoptTarget(m, **tm);
  if (native_cpu) detail::retagForHost(m, (*tm)->getTargetCPU(), features);

  llvm::SmallVector<char, 0> bytes;
  llvm::raw_svector_ostream os(bytes);
  llvm::legacy::PassManager pm;
  if ((*tm)->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("the target cannot emit object files");
  pm.run(m);
  return std::make_unique<llvm::SmallVectorMemoryBuffer>(std::move(bytes),
                                                         m.getModuleIdentifier() + ".o",
                                                         /*RequiresNullTerminator=*/false);
}

} // namespace hot::fe
