#include "engine/LibraryHint.h"
#include "engine/Util.h"

#include "llvm/BinaryFormat/ELF.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/xxhash.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>

namespace hot::eng {
namespace fs = std::filesystem;

namespace {

/// Total time the index may take to build in this process; folders past it are not searched.
constexpr auto kIndexBudget = std::chrono::seconds(5);
/// Libraries a single hint confirms at most (candidates sharing a 32-bit hash).
constexpr std::size_t kMaxCandidates = 8;

/// One library file, by its real path.
struct Library {
  std::string real;   ///< Symlinks resolved.
  std::string shown;  ///< How the message names it (the dev link if any, else a soname link).
  std::string name;   ///< NAME such that `-l NAME` finds it ("" if none does).
  unsigned rank = 0;  ///< Order of its folder (-L folders first, then the system ones).
};

/// Calls `fn` with the name of every symbol `path`'s dynamic symbol table defines (global or
/// weak, default or protected visibility). False if the file is not a readable x86-64 ELF.
bool forEachDefinedSymbol(const std::string &path,
                          const std::function<bool(llvm::StringRef)> &fn) {
  {
    FILE *f = std::fopen(path.c_str(), "rb"); // a cheap look at the magic before mapping
    if (!f) return false;
    char magic[4] = {};
    bool elf = std::fread(magic, 1, 4, f) == 4 && magic[0] == 0x7f && magic[1] == 'E' &&
               magic[2] == 'L' && magic[3] == 'F';
    std::fclose(f);
    if (!elf) return false;
  }
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) return false;
  auto object = llvm::object::ObjectFile::createObjectFile((*buffer)->getMemBufferRef());
  if (!object) {
    llvm::consumeError(object.takeError());
    return false;
  }
  auto *elf = llvm::dyn_cast<llvm::object::ELFObjectFileBase>(object->get());
  if (!elf || elf->getArch() != llvm::Triple::x86_64) return false;
  for (const llvm::object::ELFSymbolRef &sym : elf->getDynamicSymbolIterators()) {
    auto flags = sym.getFlags();
    if (!flags) {
      llvm::consumeError(flags.takeError());
      continue;
    }
    if (*flags & llvm::object::SymbolRef::SF_Undefined) continue;
    if (sym.getBinding() == llvm::ELF::STB_LOCAL) continue;
    unsigned visibility = sym.getOther() & 3;
    if (visibility == llvm::ELF::STV_HIDDEN || visibility == llvm::ELF::STV_INTERNAL) continue;
    auto name = sym.getName();
    if (!name) {
      llvm::consumeError(name.takeError());
      continue;
    }
    if (!name->empty() && !fn(*name)) break;
  }
  return true;
}

std::uint32_t hashOf(llvm::StringRef name) {
  return static_cast<std::uint32_t>(llvm::xxh3_64bits(name));
}

bool isSharedLibraryName(const std::string &file) {
  if (file.rfind("lib", 0) != 0) return false;
  std::size_t so = file.find(".so");
  return so != std::string::npos && (so + 3 == file.size() || file[so + 3] == '.');
}

/// "z" for /usr/lib/x86_64-linux-gnu/libz.so.1.2.13.
std::string stemOf(const std::string &path) {
  std::string file = fs::path(path).filename().string();
  std::size_t so = file.find(".so");
  return file.rfind("lib", 0) == 0 && so != std::string::npos ? file.substr(3, so - 3) : "";
}

class Index {
public:
  void addDirs(const std::vector<std::string> &dirs) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string &d : dirs)
      if (!d.empty() && std::find(extra_.begin(), extra_.end(), d) == extra_.end())
        extra_.push_back(util::absolutePath(d));
  }

  std::string hint(const std::string &symbol) {
    std::lock_guard<std::mutex> lock(mu_);
    update();
    std::uint32_t h = hashOf(symbol);
    auto range = std::equal_range(entries_.begin(), entries_.end(), Entry{h, 0},
                                  [](const Entry &a, const Entry &b) { return a.hash < b.hash; });
    std::vector<const Library *> found;
    for (auto it = range.first; it != range.second && found.size() < kMaxCandidates; ++it) {
      const Library &lib = libs_[it->lib];
      bool defines = false;
      forEachDefinedSymbol(lib.real, [&](llvm::StringRef n) {
        defines = n == symbol;
        return !defines;
      });
      if (defines) found.push_back(&lib);
    }
    if (found.empty()) return "";
    auto better = [](const Library *a, const Library *b) {
      if (a->name.empty() != b->name.empty()) return !a->name.empty(); // `-l NAME` works
      if (a->rank != b->rank) return a->rank < b->rank;
      return a->shown < b->shown;
    };
    const Library *best = *std::min_element(found.begin(), found.end(), better);
    return " (defined by " + best->shown + ": add -l " +
           (best->name.empty() ? best->shown : best->name) + ")";
  }

private:
  static constexpr std::uint32_t kUnreadable = ~0u;
  struct Entry {
    std::uint32_t hash;
    std::uint32_t lib;
  };

  /// Indexes the folders not indexed yet, within what is left of the budget.
  void update() {
    std::vector<std::string> dirs = extra_; // -L folders rank before the system ones
    for (const char *d : {"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/local/lib",
                          "/lib", "/usr/lib"})
      dirs.push_back(d);
    bool added = false;
    for (unsigned rank = 0; rank < dirs.size(); ++rank) {
      if (spent_ >= kIndexBudget) break;
      std::error_code ec;
      std::string real = fs::canonical(dirs[rank], ec).string();
      if (ec || !indexed_dirs_.insert(real).second) continue;
      auto start = std::chrono::steady_clock::now();
      added |= indexDir(dirs[rank], rank, start);
      spent_ += std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    }
    if (added)
      std::stable_sort(entries_.begin(), entries_.end(),
                       [](const Entry &a, const Entry &b) { return a.hash < b.hash; });
  }

  bool indexDir(const std::string &dir, unsigned rank, std::chrono::steady_clock::time_point start) {
    std::vector<std::string> names;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::string file = it->path().filename().string();
      if (isSharedLibraryName(file)) names.push_back(file);
    }
    // Shortest first: libz.so (the dev link) before libz.so.1 before libz.so.1.2.13.
    std::sort(names.begin(), names.end(), [](const std::string &a, const std::string &b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
    bool added = false;
    for (const std::string &file : names) {
      if (spent_ + (std::chrono::steady_clock::now() - start) >= kIndexBudget) break;
      std::string path = dir + "/" + file;
      bool dev = file.size() > 3 && file.compare(file.size() - 3, 3, ".so") == 0;
      std::string devName = dev ? file.substr(3, file.size() - 6) : "";
      std::vector<std::string> targets = util::linkerScriptInputs(path);
      bool script = !targets.empty();
      for (std::string &t : targets) // INPUT(libncurses.so.6): next to the script
        if (t[0] != '/') t = dir + "/" + t;
      if (!script) targets = {path};
      for (const std::string &t : targets) {
        std::error_code cec;
        std::string real = fs::canonical(t, cec).string();
        if (cec || !fs::is_regular_file(real, cec)) continue;
        auto known = by_real_.find(real);
        if (known != by_real_.end()) {
          if (known->second == kUnreadable) continue;
          Library &lib = libs_[known->second];
          // A dev link (or script) naming a library seen already: the first one, or the one
          // named like the file itself (ncurses for libncurses.so.6 rather than curses).
          if (dev && (lib.name.empty() || (lib.name != stemOf(real) && devName == stemOf(real)))) {
            lib.name = devName;
            if (!script) lib.shown = path;
          }
          continue;
        }
        Library lib{real, script ? t : path, devName, rank};
        std::uint32_t id = static_cast<std::uint32_t>(libs_.size());
        std::size_t before = entries_.size();
        bool ok = forEachDefinedSymbol(real, [&](llvm::StringRef n) {
          entries_.push_back({hashOf(n), id});
          return true;
        });
        if (!ok) { // unreadable or not an x86-64 ELF: skipped (remembered, never read again)
          entries_.resize(before);
          by_real_[real] = kUnreadable;
          continue;
        }
        by_real_[real] = id;
        libs_.push_back(std::move(lib));
        added = true;
      }
    }
    return added;
  }

  std::mutex mu_;
  std::vector<std::string> extra_;
  std::set<std::string> indexed_dirs_;
  std::map<std::string, std::uint32_t> by_real_;
  std::vector<Library> libs_;
  std::vector<Entry> entries_;
  std::chrono::milliseconds spent_{0};
};

Index &index() {
  static Index *instance = new Index(); // never destroyed: usable from exit-time code
  return *instance;
}

} // namespace

void addLibrarySearchDirs(const std::vector<std::string> &dirs) { index().addDirs(dirs); }

std::string libraryHint(const std::string &symbol) { return index().hint(symbol); }

} // namespace hot::eng
