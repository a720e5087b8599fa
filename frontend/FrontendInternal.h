// frontend/ internals shared between its .cpp files. Not used outside frontend/.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "frontend/Frontend.h"
#include "clang/AST/Type.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/DiagnosticOptions.h"
#include "clang/Frontend/TextDiagnosticPrinter.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Triple.h"

namespace clang {
class ASTContext;
class CodeGenerator;
} // namespace clang

namespace hot::fe::detail {

/// Registers the native target, asm printer and asm parser exactly once per process.
void initNativeTarget();

/// A TargetMachine for the host (PIC, small code model). `native_cpu` picks the host CPU and
/// its features, otherwise the generic "x86-64". `features_out` receives the feature string.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createHostTargetMachine(const llvm::Triple &triple, int opt_level, bool native_cpu,
                        std::string *features_out = nullptr);

/// Records every diagnostic as a hot::Diagnostic. `formatted` is produced by clang's own
/// TextDiagnosticPrinter (one string per diagnostic), so it reads exactly like clang's output.
class CollectingDiagConsumer : public clang::DiagnosticConsumer {
public:
  /// Warnings and notes past this many are not recorded (errors always are).
  static constexpr size_t kMaxDiagnostics = 1000;
  /// `opts` must outlive this consumer (clang 22 printers keep a reference).
  CollectingDiagConsumer(clang::DiagnosticOptions &opts, std::vector<Diagnostic> &out,
                         llvm::StringRef prefix = {});
  void BeginSourceFile(const clang::LangOptions &lo, const clang::Preprocessor *pp) override;
  void EndSourceFile() override;
  void HandleDiagnostic(clang::DiagnosticsEngine::Level level,
                        const clang::Diagnostic &info) override;

private:
  std::string buffer_;
  llvm::raw_string_ostream stream_;
  clang::TextDiagnosticPrinter printer_;
  std::vector<Diagnostic> &out_;
};

/// Fills `functions`/`globals` of `result` for every definition in `m`, mapping each back to
/// its Decl through the code generator. Must run while the AST is still alive.
void collectSymbols(clang::ASTContext &ctx, clang::CodeGenerator &gen, const llvm::Module &m,
                    CompileResult &result);

/// Layout fingerprint of `t` (size, alignment, and recursively bases/fields with offsets).
std::string layoutFingerprint(clang::ASTContext &ctx, clang::QualType t, int depth = 0);

} // namespace hot::fe::detail
