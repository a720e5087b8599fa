// The shared system-header PCH. A unit's own preamble (HeaderCache.cpp) covers its whole
// #include prefix, project headers included, so editing a project header makes the preamble of
// every unit that includes it stale, and rebuilding them costs more than compiling without a
// cache: a header edit reaching 10 units rebuilt 10 preambles of the same standard headers.
// Here, one PCH holds just the system headers, keyed by the flag set (without the main file)
// and the list of headers, and serves every unit with that key as -include-pch. A unit whose
// preamble is stale takes it instead of rebuilding its preamble; its project headers are then
// parsed as usual (they are what changed).
//
// Which system headers may come from a shared PCH (SystemPrefix): those the unit's project
// files include with <...> before the first #define, #undef or #pragma in a project file.
// Include guards and #pragma once do not count: clang reports a file's controlling macro once
// it has read it to the end. Up to that point nothing the unit wrote can change what those
// headers mean, so a PCH of them (same flags, same order) is what the unit would have parsed.
// Headers after it are parsed normally (their include guards skip what the PCH already has,
// exactly as they would skip a second #include). The list is recorded by every compile and
// checked again by the compile that used the PCH: a list that shrank (an edit added a #define
// in front of an include) makes that compile run again without the PCH.
#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <unistd.h>

#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/CompilerInvocation.h"
#include "clang/Frontend/FrontendActions.h"
#include "clang/Frontend/Utils.h"
#include "clang/Lex/HeaderSearch.h"
#include "clang/Lex/PPCallbacks.h"
#include "clang/Lex/Preprocessor.h"
#include "clang/Lex/PreprocessorOptions.h"
#include "frontend/FrontendInternal.h"
#include "frontend/SafeFileSystem.h"
#include "frontend/HeaderCache.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/xxhash.h"

namespace hot::fe::detail {

// --- recording the system prefix -------------------------------------------------------------

struct SystemPrefix::Events {
  enum class Kind { Include, Macro, Other };
  struct Event {
    Kind kind;
    std::string name;                      ///< Include: the spelled header name.
    clang::OptionalFileEntryRef file;      ///< Macro: the file it is defined in.
    const clang::IdentifierInfo *ident = nullptr;
  };
  std::vector<Event> list;
};

namespace {

class Recorder : public clang::PPCallbacks {
public:
  Recorder(clang::Preprocessor &pp, std::shared_ptr<SystemPrefix::Events> events)
      : sm_(pp.getSourceManager()), events_(std::move(events)) {}

  void InclusionDirective(clang::SourceLocation hash, const clang::Token &, llvm::StringRef name,
                          bool angled, clang::CharSourceRange, clang::OptionalFileEntryRef file,
                          llvm::StringRef, llvm::StringRef, const clang::Module *, bool,
                          clang::SrcMgr::CharacteristicKind kind) override {
    // Quoted includes and project headers are parsed as usual: only <system> headers qualify.
    if (!file || !angled || kind == clang::SrcMgr::C_User || !projectFile(hash)) return;
    events_->list.push_back({SystemPrefix::Events::Kind::Include, name.str(), std::nullopt, nullptr});
  }
  void MacroDefined(const clang::Token &tok, const clang::MacroDirective *) override {
    macro(tok);
  }
  void MacroUndefined(const clang::Token &tok, const clang::MacroDefinition &,
                      const clang::MacroDirective *) override {
    macro(tok);
  }
  void PragmaDirective(clang::SourceLocation loc, clang::PragmaIntroducerKind) override {
    if (!projectFile(loc) || pragmaOnce(loc)) return;
    events_->list.push_back({SystemPrefix::Events::Kind::Other, "", std::nullopt, nullptr});
  }

private:
  /// Written in a project file (not a system header, not the predefines or command line).
  clang::OptionalFileEntryRef projectFileOf(clang::SourceLocation loc) {
    if (loc.isInvalid()) return std::nullopt;
    loc = sm_.getExpansionLoc(loc);
    if (sm_.isInSystemHeader(loc)) return std::nullopt;
    return sm_.getFileEntryRefForID(sm_.getFileID(loc));
  }
  bool projectFile(clang::SourceLocation loc) { return projectFileOf(loc).has_value(); }

  void macro(const clang::Token &tok) {
    clang::OptionalFileEntryRef file = projectFileOf(tok.getLocation());
    if (!file) return;
    events_->list.push_back({SystemPrefix::Events::Kind::Macro, "", file, tok.getIdentifierInfo()});
  }

  /// "#pragma once" (the directive's text starts at `loc`; source buffers end with a NUL).
  bool pragmaOnce(clang::SourceLocation loc) {
    bool invalid = false;
    const char *p = sm_.getCharacterData(sm_.getExpansionLoc(loc), &invalid);
    if (invalid || !p) return false;
    llvm::StringRef text(p, strnlen(p, 80));
    text = text.ltrim().drop_while([](char c) { return c == '#'; }).ltrim();
    if (!text.consume_front("pragma")) return false;
    return text.ltrim().starts_with("once");
  }

  clang::SourceManager &sm_;
  std::shared_ptr<SystemPrefix::Events> events_;
};

} // namespace

SystemPrefix::SystemPrefix() : events_(std::make_shared<Events>()) {}
SystemPrefix::~SystemPrefix() = default;

std::unique_ptr<clang::PPCallbacks> SystemPrefix::recorder(clang::Preprocessor &pp) {
  return std::make_unique<Recorder>(pp, events_);
}

void SystemPrefix::finish(clang::Preprocessor &pp) {
  headers.clear();
  closed = false;
  std::set<std::string> seen;
  clang::HeaderSearch &hs = pp.getHeaderSearchInfo();
  auto isGuard = [&](const Events::Event &e) {
    return e.file && e.ident &&
           hs.getFileInfo(*e.file).getControllingMacro(pp.getExternalSource()) == e.ident;
  };
  for (const Events::Event &e : events_->list) {
    if (e.kind == Events::Kind::Include) {
      if (seen.insert(e.name).second) headers.push_back(e.name);
      continue;
    }
    if (e.kind == Events::Kind::Macro && isGuard(e)) continue;
    closed = true;
    return;
  }
}

// --- remembered prefixes ----------------------------------------------------------------------

namespace {

struct SharedSlot {
  std::mutex build_mu; ///< One build per key at a time.
  std::shared_ptr<const CachedPreamble> entry;
  std::optional<std::vector<FileStamp>> failed; ///< Set when the build failed.
};

struct SharedState {
  std::mutex mu;
  std::map<std::string, std::vector<std::string>> prefixes; ///< Header cache key -> headers.
  std::map<std::string, std::shared_ptr<SharedSlot>> slots;
};

SharedState &state() {
  static SharedState *s = new SharedState(); // never destroyed: compiles may outlive statics
  return *s;
}

constexpr size_t kMaxSharedPchs = 32; ///< A few distinct flag sets x header lists per project.

std::shared_ptr<SharedSlot> slotFor(const std::string &key) {
  SharedState &s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.slots.size() >= kMaxSharedPchs && !s.slots.count(key)) s.slots.clear(); // users keep theirs
  std::shared_ptr<SharedSlot> &slot = s.slots[key];
  if (!slot) slot = std::make_shared<SharedSlot>();
  return slot;
}

/// Every file the PCH build read.
class AllFiles : public clang::DependencyCollector {
public:
  bool needSystemDependencies() override { return true; }
};

/// Builds the PCH of `headers` under the unit's flags (a temporary file: GeneratePCHAction
/// writes files; the bytes are read back and the file removed).
std::shared_ptr<CachedPreamble> build(const clang::CompilerInvocation &unit,
                                      const std::vector<std::string> &headers,
                                      const std::string &name, std::vector<FileStamp> &read) {
  auto p = std::make_shared<CachedPreamble>();
  p->shared = true;
  p->header_path = "/__hot_header_cache__/" + name + ".h";
  p->pch_path = "/__hot_header_cache__/" + name + ".pch";
  p->header_text = "#pragma once\n";
  for (const std::string &h : headers) p->header_text += "#include <" + h + ">\n";

  llvm::SmallString<128> out;
  int fd = -1;
  if (llvm::sys::fs::createTemporaryFile("hot-system-headers", "pch", fd, out)) return nullptr;
  ::close(fd);
  auto inv = std::make_shared<clang::CompilerInvocation>(unit);
  clang::PreprocessorOptions &ppo = inv->getPreprocessorOpts();
  ppo.clearRemappedFiles();
  ppo.addRemappedFile(p->header_path,
                      llvm::MemoryBuffer::getMemBufferCopy(p->header_text, p->header_path).release());
  ppo.RetainRemappedFileBuffers = false;
  inv->getLangOpts().PCHInstantiateTemplates = true; // pending instantiations compiled once
  inv->getDependencyOutputOpts() = clang::DependencyOutputOptions();
  clang::FrontendOptions &fo = inv->getFrontendOpts();
  fo.Inputs.clear();
  fo.Inputs.emplace_back(p->header_path, clang::InputKind(clang::Language::CXX).getHeader());
  fo.ProgramAction = clang::frontend::GeneratePCH;
  fo.OutputFile = out.str().str();

  std::vector<Diagnostic> diags;
  CollectingDiagConsumer consumer(inv->getDiagnosticOpts(), diags);
  clang::CompilerInstance ci(inv);
  ci.createVirtualFileSystem(detail::safeFileSystem(), &consumer);
  ci.createDiagnostics(&consumer, /*ShouldOwnClient=*/false);
  auto files = std::make_shared<AllFiles>();
  ci.addDependencyCollector(files);
  clang::GeneratePCHAction action;
  bool ok = ci.ExecuteAction(action) && !ci.getDiagnostics().hasErrorOccurred();
  bool complete = true;
  std::vector<std::string> names;
  for (const std::string &f : files->getDependencies())
    if (f != p->header_path) names.push_back(f);
  read = stampSystemFiles(names, complete);
  auto bytes = llvm::MemoryBuffer::getFile(out, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  llvm::sys::fs::remove(out);
  if (!ok || !complete || !bytes) return nullptr;
  p->loaded = std::move(*bytes);
  p->pch = p->loaded->getBuffer();
  p->files = read;
  for (const std::string &f : names) p->dependencies.emplace_back(normalizePath(f), true);
  return p;
}

} // namespace

void rememberSystemPrefix(const std::string &key, std::vector<std::string> headers) {
  SharedState &s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.prefixes.size() > 4096) s.prefixes.clear(); // bound a very long session
  s.prefixes[key] = std::move(headers);
}

std::vector<std::string> knownSystemPrefix(const std::string &key) {
  SharedState &s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  auto it = s.prefixes.find(key);
  return it == s.prefixes.end() ? std::vector<std::string>() : it->second;
}

PreambleLookup findSharedPch(const std::string &flags_key, const std::vector<std::string> &headers,
                             const clang::CompilerInvocation &inv) {
  PreambleLookup out;
  std::string key = flags_key;
  for (const std::string &h : headers) key += '\0' + h;
  std::shared_ptr<SharedSlot> slot = slotFor(key);
  std::lock_guard<std::mutex> building(slot->build_mu);
  if (slot->entry && stampsUnchanged(slot->entry->files)) {
    out.preamble = slot->entry;
    out.use = HeaderCacheUse::SharedReused;
    return out;
  }
  slot->entry.reset();
  if (slot->failed && stampsUnchanged(*slot->failed)) return out; // would fail again
  slot->failed.reset();
  std::string name = "shared-" + llvm::utohexstr(llvm::xxh3_64bits(key), /*LowerCase=*/true, 16);
  std::vector<FileStamp> read;
  std::shared_ptr<CachedPreamble> built = build(inv, headers, name, read);
  if (!built) {
    slot->failed = std::move(read);
    return out;
  }
  slot->entry = built;
  out.preamble = std::move(built);
  out.use = HeaderCacheUse::SharedBuilt;
  return out;
}

void clearSharedPchs() {
  SharedState &s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.slots.clear();
  s.prefixes.clear();
}

} // namespace hot::fe::detail
