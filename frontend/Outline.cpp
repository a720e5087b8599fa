#include "frontend/Outline.h"
#include "frontend/SafeFileSystem.h"

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
#include "llvm/Support/MemoryBuffer.h"
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
  for (bool last = false; !last;) {
    last = lex.LexFromRawLexer(tok);
    if (tok.is(clang::tok::eof)) break;
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

/// Where the main-file text of `loc` is (a macro use counts as where it is written).
std::optional<unsigned> expandedOffset(const clang::SourceManager &sm, clang::SourceLocation loc) {
  if (loc.isInvalid()) return std::nullopt;
  return mainFileOffset(sm, sm.getExpansionLoc(loc));
}

/// The planned position of a body clang skipped (it has no AST to find it by).
const Outline::Body *plannedBody(const PatchPlan *plan, unsigned name) {
  if (!plan) return nullptr;
  // Sorted and disjoint, so sorted by name offset too.
  auto it = std::lower_bound(plan->bodies.begin(), plan->bodies.end(), name,
                             [](const Outline::Body &b, unsigned n) { return b.name < n; });
  return it != plan->bodies.end() && it->name == name ? &*it : nullptr;
}

/// The symbols clang emits for a function (constructors and destructors have several).
std::vector<std::pair<std::string, bool>> symbolsOf(clang::ASTNameGenerator &names,
                                                    const clang::FunctionDecl &fd) {
  bool local = !fd.isExternallyVisible();
  std::vector<std::string> all;
  if (llvm::isa<clang::CXXConstructorDecl, clang::CXXDestructorDecl>(fd))
    all = names.getAllManglings(&fd);
  else
    all.push_back(names.getName(&fd));
  std::vector<std::pair<std::string, bool>> out;
  for (std::string &n : all) out.push_back({std::move(n), local});
  return out;
}

/// Finds the skippable bodies under the recorded top-level declarations (bodies themselves
/// are not walked: nothing in them is skippable on its own).
class BodyFinder : public clang::RecursiveASTVisitor<BodyFinder> {
public:
  BodyFinder(clang::ASTContext &ctx, const PatchPlan *plan)
      : sm_(ctx.getSourceManager()), names_(ctx), plan_(plan) {}
  bool TraverseStmt(clang::Stmt *) { return true; }
  bool VisitFunctionDecl(clang::FunctionDecl *fd) {
    if (!skippable(*fd)) return true;
    auto name = mainFileOffset(sm_, fd->getLocation());
    auto begin = expandedOffset(sm_, fd->getBeginLoc());
    if (!name || !begin) return true;
    if (fd->hasSkippedBody()) {
      if (const Outline::Body *b = plannedBody(plan_, *name)) bodies.push_back(*b);
      return true;
    }
    auto *body = fd->doesThisDeclarationHaveABody()
                     ? llvm::dyn_cast_or_null<clang::CompoundStmt>(fd->getBody())
                     : nullptr;
    if (!body) return true; // a declaration, or a function-try-block
    auto l = mainFileOffset(sm_, body->getLBracLoc());
    auto r = mainFileOffset(sm_, body->getRBracLoc());
    if (l && r && *begin <= *name && *name < *l && *l < *r)
      bodies.push_back({*begin, *name, *l, *r, symbolsOf(names_, *fd)});
    return true;
  }
  std::vector<Outline::Body> bodies;

private:
  const clang::SourceManager &sm_;
  clang::ASTNameGenerator names_;
  const PatchPlan *plan_;
};

void addName(const clang::NamedDecl &d, std::vector<std::string> &names) {
  if (const clang::IdentifierInfo *id = d.getIdentifier()) names.push_back(id->getName().str());
}

/// A class declares its members too: code that uses a member names it, not the class.
void addRecordNames(const clang::DeclContext &dc, std::vector<std::string> &names) {
  for (const clang::Decl *m : dc.decls()) {
    if (auto *nd = llvm::dyn_cast<clang::NamedDecl>(m)) addName(*nd, names);
    if (auto *t = llvm::dyn_cast<clang::ClassTemplateDecl>(m))
      addRecordNames(*t->getTemplatedDecl(), names);
    else if (auto *r = llvm::dyn_cast<clang::TagDecl>(m))
      addRecordNames(*r, names); // nested classes, enumerators
  }
}

/// Records the namespace-scope declarations of one file (looking into namespaces), with
/// offsets in that file.
class DeclFinder {
public:
  DeclFinder(const clang::SourceManager &sm, const PatchPlan *plan, clang::FileID file)
      : sm_(sm), plan_(plan), file_(file) {}
  void add(const clang::Decl *d) {
    if (llvm::isa<clang::NamespaceDecl, clang::LinkageSpecDecl>(d)) {
      for (const clang::Decl *child : llvm::cast<clang::DeclContext>(d)->decls()) add(child);
      return;
    }
    auto begin = offsetIn(d->getBeginLoc());
    auto last = sm_.getExpansionLoc(d->getEndLoc());
    auto end = offsetIn(last);
    if (!begin || !end) return;
    Outline::Decl out{*begin, *end + lastTokenLength(last), {}, false};
    describe(*d, out);
    decls.push_back(std::move(out));
  }
  std::vector<Outline::Decl> decls;

private:
  std::optional<unsigned> offsetIn(clang::SourceLocation loc) const {
    if (loc.isInvalid()) return std::nullopt;
    loc = sm_.getExpansionLoc(loc);
    if (sm_.getFileID(loc) != file_) return std::nullopt;
    return sm_.getFileOffset(loc);
  }
  unsigned lastTokenLength(clang::SourceLocation loc) const {
    unsigned n = clang::Lexer::MeasureTokenLength(loc, sm_, clang::LangOptions());
    return n ? n - 1 : 0;
  }
  void describe(const clang::Decl &d, Outline::Decl &out) {
    const clang::Decl *inner = &d;
    if (auto *t = llvm::dyn_cast<clang::TemplateDecl>(&d); t && t->getTemplatedDecl())
      inner = t->getTemplatedDecl();
    if (llvm::isa<clang::StaticAssertDecl, clang::EmptyDecl>(inner)) return;
    if (llvm::isa<clang::ClassTemplateSpecializationDecl>(inner) ||
        !llvm::isa<clang::VarDecl, clang::FunctionDecl, clang::TagDecl, clang::TypedefNameDecl,
                   clang::ConceptDecl>(inner)) {
      out.opaque = true; // using-directives, specializations, friends, aliases, ...
      return;
    }
    auto *nd = llvm::cast<clang::NamedDecl>(inner);
    if (llvm::isa<clang::CXXConstructorDecl, clang::CXXDestructorDecl>(nd))
      addName(*llvm::cast<clang::CXXMethodDecl>(nd)->getParent(), out.names); // named by class
    else if (!nd->getIdentifier() && !llvm::isa<clang::TagDecl>(nd))
      out.opaque = true; // operators, conversions, deduction guides
    addName(*nd, out.names);
    if (auto *fd = llvm::dyn_cast<clang::FunctionDecl>(inner); fd && fd->hasSkippedBody())
      if (auto name = offsetIn(fd->getLocation()))
        if (const Outline::Body *b = plannedBody(plan_, *name)) out.end = b->rbrace;
    if (auto *tag = llvm::dyn_cast<clang::TagDecl>(inner)) addRecordNames(*tag, out.names);
  }
  const clang::SourceManager &sm_;
  const PatchPlan *plan_;
  clang::FileID file_;
};

/// Identifiers in text[begin, end] outside the given bodies' braces.
std::set<std::string> identifiers(llvm::StringRef text, size_t begin, size_t end,
                                  const std::vector<Outline::Body> &except = {}) {
  static const clang::LangOptions lo = rawLexOptions();
  std::set<std::string> out;
  std::vector<const Outline::Body *> holes; // the bodies inside [begin, end]
  // Bodies are in text order: start at the first that ends at or after `begin` (a linear
  // scan here made planning quadratic in the number of functions).
  auto first = std::lower_bound(except.begin(), except.end(), begin,
                                [](const Outline::Body &b, size_t at) { return b.rbrace < at; });
  for (auto it = first; it != except.end() && it->lbrace <= end; ++it) holes.push_back(&*it);
  // The buffer must end at the text's NUL (the lexer stops there), so stop by offset.
  clang::Lexer lex(clang::SourceLocation(), lo, text.begin(), text.begin() + begin, text.end());
  clang::Token tok;
  for (bool last = false; !last;) {
    last = lex.LexFromRawLexer(tok);
    size_t at = size_t(lex.getBufferLocation() - text.begin()) - tok.getLength();
    if (tok.is(clang::tok::eof) || at > end) break;
    if (!tok.is(clang::tok::raw_identifier)) continue;
    bool inside = std::any_of(holes.begin(), holes.end(), [&](const Outline::Body *b) {
      return b->lbrace < at && at < b->rbrace;
    });
    if (!inside) out.insert(tok.getRawIdentifier().str());
  }
  return out;
}

bool mentions(const std::set<std::string> &ids, const std::set<std::string> &names) {
  const auto &small = ids.size() < names.size() ? ids : names;
  const auto &large = ids.size() < names.size() ? names : ids;
  for (const std::string &n : small)
    if (large.count(n)) return true;
  return false;
}

/// Every #define in `text`: the macro's name and the identifiers of its replacement.
std::vector<std::pair<std::string, std::set<std::string>>> macroDefinitions(llvm::StringRef text) {
  static const clang::LangOptions lo = rawLexOptions();
  std::vector<std::pair<std::string, std::set<std::string>>> out;
  clang::Lexer lex(clang::SourceLocation(), lo, text.begin(), text.begin(), text.end());
  clang::Token tok;
  enum { Line, Hash, Define, Body } state = Line;
  for (bool last = false; !last;) {
    last = lex.LexFromRawLexer(tok);
    if (tok.is(clang::tok::eof)) break;
    if (tok.isAtStartOfLine()) state = tok.is(clang::tok::hash) ? Hash : Line;
    else if (state == Hash)
      state = tok.is(clang::tok::raw_identifier) && tok.getRawIdentifier() == "define" ? Define
                                                                                       : Line;
    else if (state == Define && tok.is(clang::tok::raw_identifier)) {
      out.push_back({tok.getRawIdentifier().str(), {}});
      state = Body;
    } else if (state == Body && tok.is(clang::tok::raw_identifier))
      out.back().second.insert(tok.getRawIdentifier().str());
  }
  return out;
}

/// Macros of the main file and its project headers (`edited` ones: their new text).
std::vector<std::pair<std::string, std::set<std::string>>>
macrosOf(const Outline &base, const std::vector<PatchPlan::HeaderEdit> *edited = nullptr) {
  auto out = macroDefinitions(base.text);
  for (const Outline::File &f : base.files) {
    const std::string *text = f.has_text ? &f.text : nullptr;
    if (edited)
      for (const PatchPlan::HeaderEdit &h : *edited)
        if (h.path == f.path) text = &h.text;
    std::unique_ptr<llvm::MemoryBuffer> read;
    if (!text) { // NUL-terminated, as the lexer needs
      auto buf = readFileSafely(f.path);
      if (!buf) continue;
      read = std::move(*buf);
    }
    auto more = macroDefinitions(text ? llvm::StringRef(*text) : read->getBuffer());
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

bool isKeyword(llvm::StringRef id) {
  static const std::set<std::string, std::less<>> keywords = {
#define KEYWORD(NAME, FLAGS) #NAME,
#define ALIAS(NAME, TOK, FLAGS) NAME,
#include "clang/Basic/TokenKinds.def"
  };
  return keywords.count(id) > 0;
}

/// True if a line of text[begin, end) (widened to whole lines) is a preprocessor directive.
bool hasDirective(llvm::StringRef text, size_t begin, size_t end) {
  size_t from = text.rfind('\n', begin == 0 ? 0 : begin - 1);
  from = from == llvm::StringRef::npos ? 0 : from + 1;
  for (size_t at = from; at < std::max(end, begin + 1) && at < text.size();) {
    size_t eol = text.find('\n', at);
    if (text.slice(at, eol).ltrim().starts_with("#")) return true;
    if (eol == llvm::StringRef::npos) break;
    at = eol + 1;
  }
  return false;
}

/// Whether [begin, end] (a declaration) overlaps the edited range [p, e); an insertion (p == e)
/// overlaps a declaration it falls inside.
bool overlaps(size_t begin, size_t end, size_t p, size_t e) {
  return e > p ? begin < e && end >= p : begin < p && end >= p;
}

/// What an edit changed: [begin, old_end) of the old text is [begin, new_end) of the new.
struct EditedRange {
  size_t begin = 0, old_end = 0, new_end = 0;
};

/// The one range between the common prefix and suffix of `old` and `now`; std::nullopt if a
/// line of it (in either text) is a preprocessor directive, which can change anything.
std::optional<EditedRange> editedRange(llvm::StringRef old, llvm::StringRef now) {
  size_t p = 0, s = 0;
  while (p < old.size() && p < now.size() && old[p] == now[p]) ++p;
  while (s < old.size() - p && s < now.size() - p &&
         old[old.size() - 1 - s] == now[now.size() - 1 - s])
    ++s;
  EditedRange r{p, old.size() - s, now.size() - s};
  if (hasDirective(old, r.begin, r.old_end) || hasDirective(now, r.begin, r.new_end))
    return std::nullopt;
  return r;
}

/// A declaration or a macro: the identifiers it names, and what it declares.
struct Namer {
  std::set<std::string> uses;
  std::vector<std::string> declares;
};

/// Whatever names an affected identifier may mean something else now: what it declares is
/// affected too. Grows `affected` until nothing changes.
void closeOver(std::set<std::string> &affected, const std::vector<Namer> &namers) {
  std::vector<bool> done(namers.size());
  for (bool grew = true; grew;) {
    grew = false;
    for (size_t i = 0; i < namers.size(); ++i) {
      if (done[i] || !mentions(namers[i].uses, affected)) continue;
      done[i] = true;
      for (const std::string &n : namers[i].declares) grew |= affected.insert(n).second;
    }
  }
}

/// The main file's declarations and the macros of it and its project headers (a body that
/// uses a macro does not spell what the macro names). `edited`: headers' new texts.
std::vector<Namer> mainNamers(const Outline &base,
                              const std::vector<PatchPlan::HeaderEdit> *edited = nullptr) {
  std::vector<Namer> out;
  for (const Outline::Decl &d : base.decls)
    out.push_back({identifiers(base.text, d.begin, d.end, base.bodies), d.names});
  for (auto &[macro, uses] : macrosOf(base, edited)) out.push_back({std::move(uses), {macro}});
  return out;
}

/// Plans an edit that changed declarations (see Outline.h): one contiguous edited range.
/// Bodies in that range are compiled; bodies elsewhere are compiled if they name something
/// the edit may have changed.
std::optional<PatchPlan> planDeclarationEdit(const Outline &base, llvm::StringRef text) {
  llvm::StringRef old = base.text;
  auto range = editedRange(old, text);
  if (!range) return std::nullopt;
  size_t p = range->begin, oe = range->old_end, ne = range->new_end;
  PatchPlan plan;
  plan.declarations = true;
  plan.region_begin = unsigned(p);
  plan.region_end = unsigned(ne);
  for (const Outline::Decl &d : base.decls) {
    if (!overlaps(d.begin, d.end, p, oe)) continue;
    if (d.opaque) return std::nullopt;
    plan.names.insert(d.names.begin(), d.names.end());
  }
  // An edit that rewrites most of the unit (a file cut down to a few lines) is compiled whole:
  // nothing would be kept, and planning it costs more than the compile.
  size_t in_range = std::count_if(base.bodies.begin(), base.bodies.end(), [&](auto &b) {
    return !(b.rbrace < p) && !(b.begin >= std::max(oe, p));
  });
  if (in_range > 64 && in_range * 2 > base.bodies.size()) return std::nullopt;
  std::set<std::string> affected = plan.names;
  closeOver(affected, mainNamers(base));
  long delta = long(text.size()) - long(old.size());
  for (const Outline::Body &b : base.bodies) {
    bool before = b.rbrace < p, after = b.begin >= std::max(oe, p);
    if (!before && !after) { // in the edited range: parsed and compiled, found again by the AST
      ++plan.changed;
      plan.replaced.insert(plan.replaced.end(), b.symbols.begin(), b.symbols.end());
      continue;
    }
    long shift = after ? delta : 0;
    Outline::Body moved{unsigned(long(b.begin) + shift), unsigned(long(b.name) + shift),
                        unsigned(long(b.lbrace) + shift), unsigned(long(b.rbrace) + shift),
                        b.symbols};
    bool affects = mentions(identifiers(old, b.begin, b.rbrace), affected);
    (affects ? plan.emit : plan.skip).insert(moved.name);
    plan.changed += affects;
    plan.bodies.push_back(moved);
  }
  return plan;
}

/// Plans an edit inside bodies only (every text between bodies unchanged).
std::optional<PatchPlan> planBodyEdit(const Outline &base, llvm::StringRef text) {
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
    Outline::Body moved{unsigned(long(b.begin) + shift), unsigned(long(b.name) + shift),
                        unsigned(at_new - 1), unsigned(close), b.symbols};
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


/// The project headers edited since `base` (false: one cannot be planned for).
bool headerEdits(const Outline &base, std::vector<PatchPlan::HeaderEdit> &out) {
  for (const Outline::File &f : base.files) {
    auto buf = readFileSafely(f.path);
    if (!buf) return false;
    llvm::StringRef now = (*buf)->getBuffer();
    if (llvm::xxh3_64bits(now) == f.hash) continue;
    if (!f.has_text) return false;
    llvm::StringRef old = f.text;
    auto range = editedRange(old, now);
    if (!range) return false;
    PatchPlan::HeaderEdit h{f.path, unsigned(range->begin), unsigned(range->new_end), {},
                            now.str()};
    if (range->old_end > range->begin)
      for (const std::string &id : identifiers(old, range->begin, range->old_end - 1))
        if (!isKeyword(id)) h.old_names.insert(id);
    out.push_back(std::move(h));
  }
  return true;
}

} // namespace

std::optional<PatchPlan> planPatch(const Outline &base, const std::string &text) {
  std::vector<PatchPlan::HeaderEdit> headers;
  if (!headerEdits(base, headers)) return std::nullopt;
  if (headers.empty()) {
    if (auto plan = planBodyEdit(base, text)) return plan;
    return planDeclarationEdit(base, text);
  }
  if (text != base.text) return std::nullopt; // a header and the main file at once
  PatchPlan plan;
  plan.headers = std::move(headers);
  plan.bodies = base.bodies;
  plan.base = &base;
  return plan;
}

bool planHeld(const PatchPlan &plan, const Outline &compiled) {
  if (!plan.declarations) return true;
  for (const Outline::Decl &d : compiled.decls) {
    if (!overlaps(d.begin, d.end, plan.region_begin, plan.region_end)) continue;
    if (d.opaque) return false;
    for (const std::string &n : d.names)
      if (!plan.names.count(n)) return false;
  }
  return true;
}

struct OutlineRecorder::State {
  const PatchPlan *plan = nullptr;
  const clang::SourceManager *sm = nullptr;
  std::vector<clang::Decl *> top;            ///< Main-file top-level declarations.
  std::vector<clang::Decl *> header_top;     ///< Project headers' top-level declarations.
  std::vector<const clang::Decl *> skipped;  ///< Bodies clang skipped on our say-so.
  // Header edits: decided at the first main-file body (the headers are parsed by then).
  bool decided = false, invalid = false;
  std::set<unsigned> skip, emit;             ///< Main-file body name offsets.
  size_t edited_decls = 0;                   ///< Header declarations in edited ranges then.
};

namespace {

/// True if this compile parsed the file at `path` (named as readProjectFiles() names files).
bool parsedFile(const clang::SourceManager &sm, llvm::StringRef path) {
  for (unsigned i = 0, n = sm.local_sloc_entry_size(); i < n; ++i) {
    const clang::SrcMgr::SLocEntry &e = sm.getLocalSLocEntry(i);
    if (!e.isFile() || !e.getFile().getContentCache().OrigEntry) continue;
    llvm::SmallString<256> name(e.getFile().getContentCache().OrigEntry->getName());
    llvm::sys::fs::make_absolute(name);
    if (name == path) return true;
  }
  return false;
}

/// The edit of the header `loc` is in, and `loc`'s offset in it.
std::pair<const PatchPlan::HeaderEdit *, unsigned>
headerEditAt(const clang::SourceManager &sm, const PatchPlan &plan, clang::SourceLocation loc) {
  loc = sm.getExpansionLoc(loc);
  clang::OptionalFileEntryRef f = sm.getFileEntryRefForID(sm.getFileID(loc));
  if (!f) return {nullptr, 0};
  llvm::SmallString<256> name(f->getName());
  llvm::sys::fs::make_absolute(name);
  for (const PatchPlan::HeaderEdit &h : plan.headers)
    if (name == h.path) return {&h, sm.getFileOffset(loc)};
  return {nullptr, 0};
}

/// Header declarations of this compile, as outline declarations of their own files.
struct HeaderDecls {
  std::vector<Outline::Decl> decls;
  std::vector<clang::FileID> files;
};

HeaderDecls headerDecls(const OutlineRecorder::State &s) {
  HeaderDecls out;
  for (clang::Decl *d : s.header_top) {
    clang::FileID fid = s.sm->getFileID(s.sm->getExpansionLoc(d->getBeginLoc()));
    DeclFinder finder(*s.sm, nullptr, fid);
    finder.add(d);
    for (Outline::Decl &od : finder.decls) {
      out.decls.push_back(std::move(od));
      out.files.push_back(fid);
    }
  }
  return out;
}

/// Header declarations inside an edited range; false if one is opaque.
bool editedHeaderDecls(const OutlineRecorder::State &s, const HeaderDecls &hd,
                       std::vector<size_t> &out) {
  for (size_t i = 0; i < hd.decls.size(); ++i) {
    clang::SourceLocation at = s.sm->getLocForStartOfFile(hd.files[i]);
    auto [h, unused] = headerEditAt(*s.sm, *s.plan, at);
    (void)unused;
    if (!h || !overlaps(hd.decls[i].begin, hd.decls[i].end, h->begin, h->end)) continue;
    if (hd.decls[i].opaque) return false;
    out.push_back(i);
  }
  return true;
}

/// Decides which main-file bodies a header edit affects (see Outline.h).
void decideHeaderEdit(OutlineRecorder::State &s) {
  s.decided = true;
  const PatchPlan &plan = *s.plan;
  const Outline &base = *plan.base;
  std::set<std::string> affected;
  for (const PatchPlan::HeaderEdit &h : plan.headers) {
    if (!parsedFile(*s.sm, h.path)) { // it came precompiled: its declarations were not seen
      s.invalid = true;
      return;
    }
    affected.insert(h.old_names.begin(), h.old_names.end());
  }
  HeaderDecls hd = headerDecls(s);
  std::vector<size_t> edited;
  if (!editedHeaderDecls(s, hd, edited)) {
    s.invalid = true;
    return;
  }
  s.edited_decls = edited.size();
  for (size_t i : edited) affected.insert(hd.decls[i].names.begin(), hd.decls[i].names.end());
  std::vector<Namer> namers = mainNamers(base, &plan.headers);
  for (size_t i = 0; i < hd.decls.size(); ++i)
    namers.push_back({identifiers(s.sm->getBufferData(hd.files[i]), hd.decls[i].begin,
                                  hd.decls[i].end),
                      hd.decls[i].names});
  closeOver(affected, namers);
  for (const Outline::Body &b : plan.bodies)
    (mentions(identifiers(base.text, b.begin, b.rbrace), affected) ? s.emit : s.skip)
        .insert(b.name);
}

void markUsed(clang::Decl *d) { d->addAttr(clang::UsedAttr::CreateImplicit(d->getASTContext())); }

class RecordingConsumer : public clang::ASTConsumer {
public:
  explicit RecordingConsumer(std::shared_ptr<OutlineRecorder::State> s) : s_(std::move(s)) {}
  void Initialize(clang::ASTContext &ctx) override { s_->sm = &ctx.getSourceManager(); }
  /// Runs before code generation sees `group` (this consumer comes first).
  bool HandleTopLevelDecl(clang::DeclGroupRef group) override {
    for (clang::Decl *d : group) {
      clang::SourceLocation at = s_->sm->getExpansionLoc(d->getLocation());
      if (s_->sm->isWrittenInMainFile(at))
        s_->top.push_back(d);
      else if (at.isValid() && s_->sm->getFileCharacteristic(at) == clang::SrcMgr::C_User)
        s_->header_top.push_back(d);
      if (s_->plan && !s_->plan->headers.empty()) emitEditedHeaderFunctions(d);
    }
    return true;
  }
  /// An edited inline function of an edited header may be used only by skipped code: emit it
  /// (its stub then reaches the new body). Runs before code generation decides.
  void HandleInlineFunctionDefinition(clang::FunctionDecl *fd) override {
    if (s_->plan && !s_->plan->headers.empty()) emitEditedHeaderFunctions(fd);
  }
  /// Only reached with FrontendOptions::SkipFunctionBodies (a planned patch compile).
  bool shouldSkipFunctionBody(clang::Decl *d) override {
    if (!s_->plan) return false;
    auto *fd = d->getAsFunction();
    auto at = mainFileOffset(*s_->sm, d->getLocation());
    if (!fd || !at) return false;
    if (!s_->plan->headers.empty()) return decideForHeaders(d, *fd, *at);
    bool edited = s_->plan->declarations && s_->plan->region_begin <= *at &&
                  *at < s_->plan->region_end;
    if (edited || s_->plan->emit.count(*at)) {
      // An edited inline or static function may be used only by skipped code: emit it anyway
      // (its stub then reaches the new body).
      markUsed(d);
      return false;
    }
    if (!s_->plan->skip.count(*at) || !skippable(*fd)) return false;
    s_->skipped.push_back(d);
    return true;
  }

private:
  bool decideForHeaders(clang::Decl *d, const clang::FunctionDecl &fd, unsigned at) {
    if (!s_->decided) decideHeaderEdit(*s_);
    if (s_->invalid) return false;
    if (s_->emit.count(at)) {
      markUsed(d);
      return false;
    }
    if (!s_->skip.count(at) || !skippable(fd)) return false;
    s_->skipped.push_back(d);
    return true;
  }
  void emitEditedHeaderFunctions(clang::Decl *d) {
    if (auto *ns = llvm::dyn_cast<clang::DeclContext>(d);
        ns && llvm::isa<clang::NamespaceDecl, clang::LinkageSpecDecl>(d)) {
      for (clang::Decl *child : ns->decls()) emitEditedHeaderFunctions(child);
      return;
    }
    auto *fd = llvm::dyn_cast<clang::FunctionDecl>(d);
    if (!fd || !fd->doesThisDeclarationHaveABody() || fd->isDependentContext()) return;
    auto [h, begin] = headerEditAt(*s_->sm, *s_->plan, fd->getBeginLoc());
    auto [h2, end] = headerEditAt(*s_->sm, *s_->plan, fd->getEndLoc());
    if (h && h == h2 && overlaps(begin, end, h->begin, h->end)) markUsed(fd);
  }
  std::shared_ptr<OutlineRecorder::State> s_;
};
} // namespace

std::unique_ptr<clang::ASTConsumer> OutlineRecorder::consumer() {
  state_ = std::make_shared<State>();
  state_->plan = plan_;
  return std::make_unique<RecordingConsumer>(state_);
}

bool OutlineRecorder::patched() const { return !state_ || !state_->invalid; }

unsigned OutlineRecorder::emittedByHeaders() const {
  return state_ ? unsigned(state_->emit.size()) : 0;
}

bool OutlineRecorder::held() const {
  if (!plan_) return true;
  if (state_ && state_->invalid && !skipped_.empty()) return false;
  return held_;
}

std::shared_ptr<Outline> OutlineRecorder::finish(clang::ASTContext &ctx, std::string text,
                                                 std::string key,
                                                 std::vector<Outline::File> files) {
  auto out = std::make_shared<Outline>();
  out->text = std::move(text);
  out->key = std::move(key);
  out->files = std::move(files);
  BodyFinder bodies(ctx, plan_);
  DeclFinder decls(ctx.getSourceManager(), plan_, ctx.getSourceManager().getMainFileID());
  for (clang::Decl *d : state_->top) {
    bodies.TraverseDecl(d);
    decls.add(d);
  }
  out->bodies = std::move(bodies.bodies);
  out->decls = std::move(decls.decls);
  std::sort(out->bodies.begin(), out->bodies.end(),
            [](auto &a, auto &b) { return a.lbrace < b.lbrace; });
  std::stable_sort(out->decls.begin(), out->decls.end(),
                   [](auto &a, auto &b) { return a.begin < b.begin; });
  // Bodies are disjoint (a local class's methods are not taken); an overlap would mean the
  // outline is wrong: an empty one only costs full compiles.
  for (size_t i = 1; i < out->bodies.size(); ++i)
    if (out->bodies[i].lbrace <= out->bodies[i - 1].rbrace) {
      out->bodies.clear();
      out->decls.clear();
      break;
    }
  skipped_ = state_->skipped;
  held_ = !plan_ || planHeld(*plan_, *out);
  if (plan_ && state_->decided && !state_->invalid) {
    // A declaration in an edited header range that arrived after the decision (the header
    // was included after a body) was not taken into account.
    std::vector<size_t> edited;
    held_ = held_ && editedHeaderDecls(*state_, headerDecls(*state_), edited) &&
            edited.size() == state_->edited_decls;
  }
  return out;
}

std::vector<std::pair<std::string, bool>>
OutlineRecorder::skippedSymbols(clang::ASTContext &ctx) const {
  std::vector<std::pair<std::string, bool>> out;
  if (skipped_.empty()) return out;
  clang::ASTNameGenerator names(ctx);
  for (const clang::Decl *d : skipped_) {
    auto symbols = symbolsOf(names, *d->getAsFunction());
    out.insert(out.end(), symbols.begin(), symbols.end());
  }
  return out;
}

void forEachReadFile(const clang::SourceManager &sm,
                     llvm::function_ref<void(const std::string &, llvm::StringRef, bool)> fn) {
  std::set<std::string> seen;
  clang::OptionalFileEntryRef main = sm.getFileEntryRefForID(sm.getMainFileID());
  for (unsigned i = 0, n = sm.local_sloc_entry_size(); i < n; ++i) {
    const clang::SrcMgr::SLocEntry &e = sm.getLocalSLocEntry(i);
    if (!e.isFile()) continue;
    const clang::SrcMgr::ContentCache &cc = e.getFile().getContentCache();
    if (!cc.OrigEntry || (main && cc.OrigEntry->getUniqueID() == main->getUniqueID())) continue;
    llvm::SmallString<256> path(cc.OrigEntry->getName());
    if (isPreamblePath(path)) continue;
    llvm::sys::fs::make_absolute(path);
    auto buf = cc.getBufferIfLoaded();
    if (!buf || !seen.insert(path.str().str()).second) continue;
    fn(path.str().str(), buf->getBuffer(),
       e.getFile().getFileCharacteristic() == clang::SrcMgr::C_User);
  }
}

std::vector<Outline::File> readProjectFiles(const clang::SourceManager &sm) {
  std::vector<Outline::File> out;
  forEachReadFile(sm, [&](const std::string &path, llvm::StringRef bytes, bool project) {
    if (project) out.push_back({path, llvm::xxh3_64bits(bytes), bytes.str(), true});
  });
  return out;
}

} // namespace hot::fe::detail
