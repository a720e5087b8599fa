#include "frontend/Outline.h"

#include <algorithm>
#include <map>

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/Mangle.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"
#include "frontend/HeaderCache.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/xxhash.h"

namespace hot::fe::detail {
namespace {

constexpr size_t kNoMatch = size_t(-1);

clang::LangOptions rawLexOptions() {
  clang::LangOptions lo;
  lo.CPlusPlus = lo.CPlusPlus11 = lo.CPlusPlus14 = lo.CPlusPlus17 = lo.CPlusPlus20 = true;
  lo.LineComment = true;
  return lo;
}

/// Offset of the '}' closing the '{' just before `from`, or kNoMatch (unbalanced, or a
/// preprocessor directive inside, which could change what follows the body).
size_t closingBrace(llvm::StringRef text, size_t from) {
  static const clang::LangOptions lo = rawLexOptions();
  clang::Lexer lex(clang::SourceLocation(), lo, text.begin(), text.begin() + from, text.end());
  int depth = 1;
  clang::Token tok;
  while (!lex.LexFromRawLexer(tok)) {
    if (tok.is(clang::tok::hash) && tok.isAtStartOfLine()) return kNoMatch;
    if (tok.is(clang::tok::l_brace)) ++depth;
    if (tok.is(clang::tok::r_brace) && --depth == 0)
      return size_t(lex.getBufferLocation() - text.begin()) - 1;
  }
  return kNoMatch;
}

bool isHook(const clang::FunctionDecl &fd) {
  const clang::IdentifierInfo *id = fd.getIdentifier();
  if (!id) return false;
  llvm::StringRef n = id->getName();
  return n == "hot_on_load" || n == "hot_on_unload" || n.starts_with("hot_migrate_");
}

/// A body whose code can be kept while another body of the file changes: an ordinary
/// (non-template, non-constexpr, not auto-returning) function whose body only its own code
/// depends on, spelled in the main file.
bool skippable(const clang::FunctionDecl &fd) {
  if (fd.isDependentContext() || fd.getTemplatedKind() != clang::FunctionDecl::TK_NonTemplate)
    return false;
  if (fd.isConstexpr() || fd.getReturnType()->getContainedDeducedType()) return false;
  if (fd.isDefaulted() || fd.isDeleted() || fd.getParentFunctionOrMethod() || isHook(fd))
    return false;
  if (auto *m = llvm::dyn_cast<clang::CXXMethodDecl>(&fd); m && m->getParent()->isLambda())
    return false;
  // Written member initializers sit between the declarator and the '{': keep it simple and
  // treat such a constructor as part of the file's declarations.
  if (auto *c = llvm::dyn_cast<clang::CXXConstructorDecl>(&fd))
    for (const clang::CXXCtorInitializer *init : c->inits())
      if (init->isWritten()) return false;
  return true;
}

std::optional<unsigned> mainFileOffset(const clang::SourceManager &sm, clang::SourceLocation loc) {
  if (loc.isInvalid() || !loc.isFileID() || !sm.isWrittenInMainFile(loc)) return std::nullopt;
  return sm.getFileOffset(loc);
}

/// Finds the skippable bodies under the recorded top-level declarations (bodies themselves
/// are not walked: nothing in them is skippable on its own).
class BodyFinder : public clang::RecursiveASTVisitor<BodyFinder> {
public:
  explicit BodyFinder(const clang::SourceManager &sm) : sm_(sm) {}
  bool TraverseStmt(clang::Stmt *) { return true; }
  bool VisitFunctionDecl(clang::FunctionDecl *fd) {
    if (!fd->doesThisDeclarationHaveABody() || !skippable(*fd)) return true;
    auto *body = llvm::dyn_cast_or_null<clang::CompoundStmt>(fd->getBody());
    if (!body) return true; // function-try-block
    auto name = mainFileOffset(sm_, fd->getLocation());
    auto l = mainFileOffset(sm_, body->getLBracLoc());
    auto r = mainFileOffset(sm_, body->getRBracLoc());
    if (name && l && r && *name < *l && *l < *r) bodies.push_back({*name, *l, *r});
    return true;
  }
  std::vector<Outline::Body> bodies;

private:
  const clang::SourceManager &sm_;
};

} // namespace

std::optional<PatchPlan> planPatch(const Outline &base, llvm::StringRef text) {
  llvm::StringRef old = base.text;
  PatchPlan plan;
  size_t at_old = 0, at_new = 0;
  for (const Outline::Body &b : base.bodies) {
    llvm::StringRef between = old.slice(at_old, b.lbrace + 1); // declarations, up to '{'
    if (!text.substr(at_new).starts_with(between)) return std::nullopt;
    long shift = long(at_new) - long(at_old);
    at_new += between.size();
    size_t close = closingBrace(text, at_new);
    if (close == kNoMatch) return std::nullopt;
    Outline::Body moved{unsigned(long(b.name) + shift), unsigned(at_new - 1), unsigned(close)};
    bool same = old.slice(b.lbrace + 1, b.rbrace) == text.slice(at_new, close);
    (same ? plan.skip : plan.emit).insert(moved.name);
    plan.changed += !same;
    plan.bodies.push_back(moved);
    at_old = b.rbrace;
    at_new = close;
  }
  if (old.substr(at_old) != text.substr(at_new)) return std::nullopt;
  return plan;
}

bool filesUnchanged(const Outline &base) {
  for (const auto &[path, hash] : base.files)
    if (hashFile(path) != hash) return false;
  return true;
}

struct OutlineRecorder::State {
  const PatchPlan *plan = nullptr;
  const clang::SourceManager *sm = nullptr;
  std::vector<clang::Decl *> top;            ///< Main-file top-level declarations.
  std::vector<const clang::Decl *> skipped;  ///< Bodies clang skipped on our say-so.
};

namespace {
class RecordingConsumer : public clang::ASTConsumer {
public:
  explicit RecordingConsumer(std::shared_ptr<OutlineRecorder::State> s) : s_(std::move(s)) {}
  void Initialize(clang::ASTContext &ctx) override { s_->sm = &ctx.getSourceManager(); }
  bool HandleTopLevelDecl(clang::DeclGroupRef group) override {
    for (clang::Decl *d : group)
      if (s_->sm->isWrittenInMainFile(s_->sm->getExpansionLoc(d->getLocation())))
        s_->top.push_back(d);
    return true;
  }
  /// Only reached with FrontendOptions::SkipFunctionBodies (a planned patch compile).
  bool shouldSkipFunctionBody(clang::Decl *d) override {
    if (!s_->plan) return false;
    auto *fd = d->getAsFunction();
    auto at = mainFileOffset(*s_->sm, d->getLocation());
    if (!fd || !at) return false;
    if (s_->plan->emit.count(*at)) {
      // An edited inline or static function may be used only by skipped code: emit it anyway
      // (its stub then reaches the new body).
      d->addAttr(clang::UsedAttr::CreateImplicit(d->getASTContext()));
      return false;
    }
    if (!s_->plan->skip.count(*at) || !skippable(*fd)) return false;
    s_->skipped.push_back(d);
    return true;
  }

private:
  std::shared_ptr<OutlineRecorder::State> s_;
};
} // namespace

std::unique_ptr<clang::ASTConsumer> OutlineRecorder::consumer() {
  state_ = std::make_shared<State>();
  state_->plan = plan_;
  return std::make_unique<RecordingConsumer>(state_);
}

std::shared_ptr<Outline>
OutlineRecorder::finish(clang::ASTContext &ctx, std::string text, std::string key,
                        std::vector<std::pair<std::string, std::uint64_t>> files) {
  auto out = std::make_shared<Outline>();
  out->text = std::move(text);
  out->key = std::move(key);
  out->files = std::move(files);
  if (plan_) {
    out->bodies = plan_->bodies; // the skipped bodies have no AST to find them by
  } else {
    BodyFinder finder(ctx.getSourceManager());
    for (clang::Decl *d : state_->top) finder.TraverseDecl(d);
    out->bodies = std::move(finder.bodies);
    std::sort(out->bodies.begin(), out->bodies.end(),
              [](auto &a, auto &b) { return a.lbrace < b.lbrace; });
    // Nested bodies (a local class's methods) were not taken; overlaps would be a bug.
    for (size_t i = 1; i < out->bodies.size(); ++i)
      if (out->bodies[i].lbrace <= out->bodies[i - 1].rbrace) {
        out->bodies.clear();
        break;
      }
  }
  if (state_) skipped_ = state_->skipped;
  return out;
}

std::vector<std::pair<std::string, bool>>
OutlineRecorder::skippedSymbols(clang::ASTContext &ctx) const {
  std::vector<std::pair<std::string, bool>> out;
  if (skipped_.empty()) return out;
  clang::ASTNameGenerator names(ctx);
  for (const clang::Decl *d : skipped_) {
    auto *fd = d->getAsFunction();
    bool local = !fd->isExternallyVisible();
    std::vector<std::string> all;
    if (llvm::isa<clang::CXXConstructorDecl, clang::CXXDestructorDecl>(fd))
      all = names.getAllManglings(fd);
    else
      all.push_back(names.getName(fd));
    for (std::string &n : all) out.push_back({std::move(n), local});
  }
  return out;
}

std::vector<std::pair<std::string, std::uint64_t>> readProjectFiles(const clang::SourceManager &sm) {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  std::set<std::string> seen;
  clang::OptionalFileEntryRef main = sm.getFileEntryRefForID(sm.getMainFileID());
  for (unsigned i = 0, n = sm.local_sloc_entry_size(); i < n; ++i) {
    const clang::SrcMgr::SLocEntry &e = sm.getLocalSLocEntry(i);
    if (!e.isFile() || e.getFile().getFileCharacteristic() != clang::SrcMgr::C_User) continue;
    const clang::SrcMgr::ContentCache &cc = e.getFile().getContentCache();
    if (!cc.OrigEntry || (main && cc.OrigEntry->getUniqueID() == main->getUniqueID())) continue;
    llvm::SmallString<256> path(cc.OrigEntry->getName());
    if (isPreamblePath(path)) continue;
    llvm::sys::fs::make_absolute(path);
    auto buf = cc.getBufferIfLoaded();
    if (!buf || !seen.insert(path.str().str()).second) continue;
    out.push_back({path.str().str(), llvm::xxh3_64bits(buf->getBuffer())});
  }
  return out;
}

} // namespace hot::fe::detail
