// frontend/ internal: function-level recompiles. A compile records where the main file's
// function bodies are (its outline); the next compile of an edited text that differs from it
// only inside some bodies parses every other body as skipped (clang's SkipFunctionBodies, per
// function), so Sema, template instantiation and code generation run only for the edited
// functions. The skipped functions keep the code of the version the outline describes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "frontend/Frontend.h"
#include "llvm/ADT/StringRef.h"

namespace clang {
class ASTConsumer;
class ASTContext;
class Decl;
class SourceManager;
} // namespace clang

namespace hot::fe {

/// Where a main file's skippable function bodies are. Immutable once made.
struct Outline {
  struct Body {
    unsigned name = 0;   ///< Offset of the function's name (identifies it while parsing).
    unsigned lbrace = 0; ///< Offset of its body's '{'.
    unsigned rbrace = 0; ///< Offset of its body's '}'.
  };
  std::string text;              ///< The main file as compiled.
  std::string key;               ///< Flags (cc1 arguments and cwd) it was compiled with.
  /// Every project file the compile read besides the main file, with a hash of its bytes: a
  /// changed header can change what an unchanged body means.
  std::vector<std::pair<std::string, std::uint64_t>> files;
  std::vector<Body> bodies;      ///< Sorted, disjoint.
};

namespace detail {

/// How to compile a new text against an outline.
struct PatchPlan {
  std::set<unsigned> skip;             ///< Name offsets (in the new text) of bodies to skip.
  std::set<unsigned> emit;             ///< Name offsets of the changed bodies.
  std::vector<Outline::Body> bodies;   ///< The outline's bodies at their new offsets.
  unsigned changed = 0;                ///< Bodies whose text changed (compiled).
};

/// A plan when `text` equals `base.text` except inside bodies (and no preprocessor directive
/// is in a changed body); std::nullopt when anything else changed (a full compile is needed).
std::optional<PatchPlan> planPatch(const Outline &base, llvm::StringRef text);

/// True when every file of `base.files` still has the bytes it had.
bool filesUnchanged(const Outline &base);

/// Records the main file's top-level declarations while clang parses, and (with a plan) answers
/// clang's "may this body be skipped?" for exactly the planned bodies.
class OutlineRecorder {
public:
  explicit OutlineRecorder(const PatchPlan *plan) : plan_(plan) {}
  /// A consumer to run next to code generation (it never skips anything itself without a plan).
  std::unique_ptr<clang::ASTConsumer> consumer();
  /// After parsing (AST alive): the outline of this compile. `files` from the caller.
  std::shared_ptr<Outline> finish(clang::ASTContext &ctx, std::string text, std::string key,
                                  std::vector<std::pair<std::string, std::uint64_t>> files);
  /// Mangled names of the functions whose bodies were skipped, and whether each is local
  /// (internal linkage: its stub symbol is unit-scoped).
  std::vector<std::pair<std::string, bool>> skippedSymbols(clang::ASTContext &ctx) const;
  unsigned skippedCount() const { return unsigned(skipped_.size()); }

  struct State; ///< Shared with the consumer.

private:
  const PatchPlan *plan_;
  std::shared_ptr<State> state_;
  std::vector<const clang::Decl *> skipped_;
};

/// Project files (not system headers, not the main file) the source manager read, with a hash
/// of the bytes it read.
std::vector<std::pair<std::string, std::uint64_t>> readProjectFiles(const clang::SourceManager &sm);

} // namespace detail
} // namespace hot::fe
