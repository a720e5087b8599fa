// frontend/ internal: function-level recompiles. A compile records where the main file's
// function bodies and declarations are (its outline); the next compile of an edited text parses
// every body the edit cannot affect as skipped (clang's SkipFunctionBodies, per function), so
// Sema, template instantiation and code generation run only for the affected functions. The
// skipped functions keep the code of the version the outline describes.
//
// Which bodies an edit affects:
//   - an edit inside a body affects that body;
//   - an edit of a declaration (a constant, a struct, a function's signature) affects every
//     body whose text names what the changed declarations declare, directly or through other
//     declarations that name it (a closure over identifiers: conservative, never by type).
// Anything the closure cannot see is a full compile: a preprocessor directive in the edit, a
// change to a using-directive/using-declaration/operator/specialization, a flag or project
// header change, or a compile whose changed declarations declare names the edit's old text did
// not (a new declaration that may add an overload: checked after parsing).
//
// A project header edit works the same way for each unit that includes it (the main file
// unchanged): the names that the header's edited declarations declare (known once clang has
// parsed the header, before the main file's bodies) and the identifiers of its old text start
// the closure.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "frontend/Frontend.h"
#include "llvm/ADT/STLFunctionalExtras.h"
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
    unsigned begin = 0;  ///< Offset where the function's definition starts.
    unsigned name = 0;   ///< Offset of the function's name (identifies it while parsing).
    unsigned lbrace = 0; ///< Offset of its body's '{'.
    unsigned rbrace = 0; ///< Offset of its body's '}'.
    /// Its mangled names (constructors have several), each with true if local.
    std::vector<std::pair<std::string, bool>> symbols;
  };
  /// A declaration at namespace scope (namespaces themselves are looked into).
  struct Decl {
    unsigned begin = 0, end = 0;     ///< Offsets of its first and last character.
    std::vector<std::string> names;  ///< What it declares (a class: its members too).
    bool opaque = false;             ///< Its effect is not captured by names (see above).
  };
  std::string text;              ///< The main file as compiled.
  std::string key;               ///< Flags (cc1 arguments and cwd) it was compiled with.
  /// A project file the compile read besides the main file: a changed header can change what
  /// an unchanged body means. Its text lets the next compile see what the edit changed.
  struct File {
    std::string path;
    std::uint64_t hash = 0;  ///< Of the bytes clang read.
    std::string text;        ///< Those bytes ("" with !has_text: it changed while compiling).
    bool has_text = false;
  };
  std::vector<File> files;
  std::vector<Body> bodies;      ///< Sorted, disjoint.
  std::vector<Decl> decls;       ///< Sorted by begin.
};

namespace detail {

/// How to compile a new text against an outline.
struct PatchPlan {
  std::set<unsigned> skip;             ///< Name offsets (in the new text) of bodies to skip.
  std::set<unsigned> emit;             ///< Name offsets of the changed bodies.
  std::vector<Outline::Body> bodies;   ///< The outline's bodies at their new offsets.
  unsigned changed = 0;                ///< Bodies compiled because the edit affects them.
  /// A declaration edit: the edited range of the new text, and the names its declarations
  /// declared in the old text (the compile checks that the new text declares no others there).
  bool declarations = false;
  unsigned region_begin = 0, region_end = 0;
  std::set<std::string> names;
  /// Functions whose definitions the edit touched (their symbols in the running version): if
  /// the new text does not define one again, it was renamed or removed.
  std::vector<std::pair<std::string, bool>> replaced;
  /// Edited project headers (the main file unchanged): which bodies to compile is decided
  /// while parsing, once the headers are parsed.
  struct HeaderEdit {
    std::string path;
    unsigned begin = 0, end = 0;        ///< Edited range of the new text.
    std::set<std::string> old_names;    ///< Identifiers of the edited range's old text.
    std::string text;                   ///< The new text.
  };
  std::vector<HeaderEdit> headers;
  const Outline *base = nullptr;        ///< With `headers`: the outline planned against.
};

/// A plan for compiling `text` against `base` (see the file comment); std::nullopt when the
/// edit needs a full compile.
std::optional<PatchPlan> planPatch(const Outline &base, const std::string &text);

/// After a declaration edit's compile: true if the declarations in the edited range of the new
/// text declare only names the plan knew (else the skipped bodies may be stale).
bool planHeld(const PatchPlan &plan, const Outline &compiled);


/// Records the main file's top-level declarations while clang parses, and (with a plan) answers
/// clang's "may this body be skipped?" for exactly the planned bodies.
class OutlineRecorder {
public:
  explicit OutlineRecorder(const PatchPlan *plan) : plan_(plan) {}
  /// A consumer to run next to code generation (it never skips anything itself without a plan).
  std::unique_ptr<clang::ASTConsumer> consumer();
  /// After parsing (AST alive): the outline of this compile. `files` from the caller.
  std::shared_ptr<Outline> finish(clang::ASTContext &ctx, std::string text, std::string key,
                                  std::vector<Outline::File> files);
  /// False if the plan's assumptions failed during the compile (a declaration edit declared
  /// new names, a header edit's declarations arrived too late): compile again without it.
  bool held() const;
  /// True if the compile followed the plan (skipped what it said); false if it compiled every
  /// body (an edited header came from a precompiled prefix, so its declarations were unseen).
  bool patched() const;
  /// Mangled names of the functions whose bodies were skipped, and whether each is local
  /// (internal linkage: its stub symbol is unit-scoped).
  std::vector<std::pair<std::string, bool>> skippedSymbols(clang::ASTContext &ctx) const;
  /// Bodies a header edit made this compile emit (decided while parsing).
  unsigned emittedByHeaders() const;

  struct State; ///< Shared with the consumer.

private:
  const PatchPlan *plan_;
  std::shared_ptr<State> state_;
  std::vector<const clang::Decl *> skipped_;
  bool held_ = true;
};

/// Calls `fn(absolute path, bytes read, is a project file)` once per file the source manager
/// read (not the main file, not the preamble's stand-in).
void forEachReadFile(const clang::SourceManager &sm,
                     llvm::function_ref<void(const std::string &, llvm::StringRef, bool)> fn);

/// Project files (not system headers, not the main file) the source manager read, with the
/// bytes it read.
std::vector<Outline::File> readProjectFiles(const clang::SourceManager &sm);

} // namespace detail
} // namespace hot::fe
