#include "frontend/UnitCache.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include "clang/Basic/SourceManager.h"
#include "clang/Basic/Version.h"
#include "frontend/HeaderCache.h"
#include "frontend/Outline.h"
#include "frontend/SafeFileSystem.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/xxhash.h"
#include <nlohmann/json.hpp>

namespace hot::fe::detail {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

// 2: metadata as MessagePack, a 128-bit digest that is also the module's identity, bitcode
// without a symbol table.
constexpr char kMagic[] = "HOTUNIT2\n";
constexpr std::size_t kMagicSize = sizeof kMagic - 1;
constexpr std::uint64_t kMaxEntryBytes = 512ull << 20;

std::string hex(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016lx", static_cast<unsigned long>(v));
  return buf;
}

/// The engine library's identity (path, size, mtime): a rebuilt engine may compile differently.
const std::string &engineIdentity() {
  static const std::string id = [] {
    Dl_info info{};
    std::string out = clang::getClangFullVersion();
    if (dladdr(reinterpret_cast<void *>(&engineIdentity), &info) && info.dli_fname) {
      struct stat st {};
      if (::stat(info.dli_fname, &st) == 0)
        out += std::string("\0", 1) + info.dli_fname + "\0" + std::to_string(st.st_size) + "\0" +
               std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    }
    return out;
  }();
  return id;
}

/// Hashes of files by (size, mtime, inode): the system headers of forty units are read and
/// hashed once per process, not forty times.
std::uint64_t hashFile(const std::string &path, bool &ok) {
  struct Known {
    off_t size;
    std::int64_t mtime_ns;
    ino_t ino;
    std::uint64_t hash;
  };
  static std::mutex mu;
  static std::map<std::string, Known> known;
  struct stat st {};
  ok = ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
  if (!ok) return 0;
  std::int64_t mtime = std::int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = known.find(path);
    if (it != known.end() && it->second.size == st.st_size && it->second.mtime_ns == mtime &&
        it->second.ino == st.st_ino)
      return it->second.hash;
  }
  auto buf = readFileSafely(path);
  ok = bool(buf);
  if (!ok) return 0;
  std::uint64_t h = llvm::xxh3_64bits((*buf)->getBuffer());
  // Written in the same second it was read: a later write could keep size and stamp.
  if (std::time(nullptr) > st.st_mtim.tv_sec + 1) {
    std::lock_guard<std::mutex> lock(mu);
    if (known.size() > 100000) known.clear();
    known[path] = {st.st_size, mtime, st.st_ino, h};
  }
  return h;
}

// ---- JSON of the result's parts ----------------------------------------------------------

Json toJson(const Diagnostic &d) {
  return {d.file, d.line, d.column, int(d.severity), d.message, d.formatted};
}
Diagnostic diagnosticFrom(const Json &j) {
  return {j.at(0).get<std::string>(), j.at(1).get<unsigned>(), j.at(2).get<unsigned>(),
          Severity(j.at(3).get<int>()), j.at(4).get<std::string>(), j.at(5).get<std::string>()};
}

Json toJson(const FunctionInfo &f) {
  return {f.qualified_name, f.display, f.type_encoding, f.file, f.line, f.column,
          f.in_system_header, f.is_extern_c, f.is_member, f.member_of};
}
FunctionInfo functionFrom(const std::string &mangled, const Json &j) {
  FunctionInfo f;
  f.mangled = mangled;
  f.qualified_name = j.at(0).get<std::string>();
  f.display = j.at(1).get<std::string>();
  f.type_encoding = j.at(2).get<std::string>();
  f.file = j.at(3).get<std::string>();
  f.line = j.at(4).get<unsigned>();
  f.column = j.at(5).get<unsigned>();
  f.in_system_header = j.at(6).get<bool>();
  f.is_extern_c = j.at(7).get<bool>();
  f.is_member = j.at(8).get<bool>();
  f.member_of = j.at(9).get<std::string>();
  return f;
}

Json toJson(const GlobalInfo &g) {
  return {g.qualified_name, g.cpp_type, g.layout, g.file, g.line, g.column, g.in_system_header};
}
GlobalInfo globalFrom(const std::string &mangled, const Json &j) {
  GlobalInfo g;
  g.mangled = mangled;
  g.qualified_name = j.at(0).get<std::string>();
  g.cpp_type = j.at(1).get<std::string>();
  g.layout = j.at(2).get<std::string>();
  g.file = j.at(3).get<std::string>();
  g.line = j.at(4).get<unsigned>();
  g.column = j.at(5).get<unsigned>();
  g.in_system_header = j.at(6).get<bool>();
  return g;
}

Json toJson(const Outline &o) {
  Json files = Json::array(), bodies = Json::array(), decls = Json::array();
  for (const Outline::File &f : o.files) files.push_back({f.path, f.hash, f.text, f.has_text});
  for (const Outline::Body &b : o.bodies) bodies.push_back({b.begin, b.name, b.lbrace, b.rbrace, b.symbols});
  for (const Outline::Decl &d : o.decls) decls.push_back({d.begin, d.end, d.names, d.opaque});
  return {{"text", o.text}, {"key", o.key}, {"files", files}, {"bodies", bodies}, {"decls", decls}};
}
std::shared_ptr<Outline> outlineFrom(const Json &j) {
  auto o = std::make_shared<Outline>();
  o->text = j.at("text").get<std::string>();
  o->key = j.at("key").get<std::string>();
  for (const Json &f : j.at("files"))
    o->files.push_back({f.at(0).get<std::string>(), f.at(1).get<std::uint64_t>(),
                        f.at(2).get<std::string>(), f.at(3).get<bool>()});
  for (const Json &b : j.at("bodies")) {
    Outline::Body body{b.at(0).get<unsigned>(), b.at(1).get<unsigned>(), b.at(2).get<unsigned>(),
                       b.at(3).get<unsigned>(), {}};
    body.symbols = b.at(4).get<std::vector<std::pair<std::string, bool>>>();
    o->bodies.push_back(std::move(body));
  }
  for (const Json &d : j.at("decls"))
    o->decls.push_back({d.at(0).get<unsigned>(), d.at(1).get<unsigned>(),
                        d.at(2).get<std::vector<std::string>>(), d.at(3).get<bool>()});
  return o;
}

Json metadata(const CompileResult &r, const std::vector<ReadFile> &files) {
  Json j;
  Json read = Json::array(), diags = Json::array(), functions = Json::object(),
       globals = Json::object();
  for (const ReadFile &f : files) read.push_back({f.path, f.hash});
  for (const Diagnostic &d : r.diagnostics) diags.push_back(toJson(d));
  for (const auto &[name, f] : r.functions) functions[name] = toJson(f);
  for (const auto &[name, g] : r.globals) globals[name] = toJson(g);
  j["files"] = read;
  j["diagnostics"] = diags;
  j["dependencies"] = r.dependencies;
  j["functions"] = functions;
  j["globals"] = globals;
  if (r.outline) j["outline"] = toJson(*r.outline);
  return j;
}

void appendU64(std::string &out, std::uint64_t v) { out.append(reinterpret_cast<const char *>(&v), 8); }
bool readU64(llvm::StringRef &in, std::uint64_t &v) {
  if (in.size() < 8) return false;
  std::memcpy(&v, in.data(), 8);
  in = in.drop_front(8);
  return true;
}

/// The digest of an entry's body (its lengths, metadata and bitcode).
llvm::XXH128_hash_t digestOf(llvm::StringRef body) {
  return llvm::xxh3_128bits(
      llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(body.data()), body.size()));
}

/// Splits an entry into its metadata and bitcode; false if it is not a whole, intact entry.
/// `digest` is the body's.
bool splitEntry(llvm::StringRef bytes, llvm::StringRef &meta, llvm::StringRef &bitcode,
                llvm::XXH128_hash_t &digest) {
  if (!bytes.starts_with(llvm::StringRef(kMagic, kMagicSize))) return false;
  llvm::StringRef rest = bytes.drop_front(kMagicSize);
  std::uint64_t meta_len = 0, bc_len = 0, high = 0, low = 0;
  if (!readU64(rest, meta_len) || meta_len > rest.size()) return false;
  meta = rest.take_front(meta_len);
  rest = rest.drop_front(meta_len);
  if (!readU64(rest, bc_len) || bc_len > rest.size()) return false;
  bitcode = rest.take_front(bc_len);
  rest = rest.drop_front(bc_len);
  if (!readU64(rest, high) || !readU64(rest, low) || !rest.empty()) return false;
  digest = digestOf(bytes.substr(kMagicSize, 16 + meta_len + bc_len));
  return digest.high64 == high && digest.low64 == low;
}

/// What identifies an entry's module across runs: its key and its body's digest (a key is
/// reused when an included header changes; the content then differs).
std::string moduleIdentity(const std::string &key, llvm::XXH128_hash_t digest) {
  return key + "/" + hex(digest.high64) + hex(digest.low64);
}

/// A directory only this user can write into (created so when missing).
bool privateDir(const std::string &path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
    return false;
  if (st.st_mode & 0077) return ::chmod(path.c_str(), 0700) == 0;
  return true;
}

/// Keeps the entries of the cache's folders (compiled units and objects) under `max_bytes`.
/// Called after each store of `written` bytes. A folder scan per store would cost every edit
/// time: it scans every 16th store, or once an eighth of the bound was written since.
void evict(const std::string &root, std::uint64_t max_bytes, std::uint64_t written) {
  static std::atomic<unsigned> stores{0};
  static std::atomic<std::uint64_t> since{0};
  since += written;
  if (stores++ % 16 != 0 && since < max_bytes / 8) return;
  since = 0;

  struct Entry {
    fs::path path;
    std::uint64_t size;
    fs::file_time_type used;
  };
  std::vector<Entry> entries;
  std::uint64_t total = 0;
  std::error_code ec;
  for (const char *sub : {"/units", "/objects"})
    for (const fs::directory_entry &e : fs::directory_iterator(root + sub, ec)) {
      if (e.path().extension() != ".unit" && e.path().extension() != ".o") continue;
      std::error_code sec;
      std::uint64_t size = e.file_size(sec);
      auto used = e.last_write_time(sec);
      if (sec) continue;
      entries.push_back({e.path(), size, used});
      total += size;
    }
  if (total <= max_bytes) return;
  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) { return a.used < b.used; });
  for (const Entry &e : entries) {
    if (total <= max_bytes - max_bytes / 5) break; // down to 80%: not one eviction per store
    if (fs::remove(e.path, ec)) {
      total -= e.size;
      ++unitCacheCounters().evicted;
    }
  }
}

} // namespace

UnitCacheCounters &unitCacheCounters() {
  static UnitCacheCounters counters;
  return counters;
}

std::vector<ReadFile> filesRead(const clang::SourceManager &sm, const CachedPreamble *pre) {
  std::vector<ReadFile> out;
  std::set<std::string> seen;
  forEachReadFile(sm, [&](const std::string &path, llvm::StringRef bytes, bool) {
    seen.insert(path);
    out.push_back({path, llvm::xxh3_64bits(bytes)});
  });
  if (pre)
    for (const FileStamp &f : pre->files) {
      if (!seen.insert(f.path).second) continue;
      bool ok = false;
      std::uint64_t h = f.hashed ? f.hash : hashFile(f.path, ok);
      if (f.hashed || ok) out.push_back({f.path, h});
    }
  return out;
}

std::string UnitCache::key(const std::string &flags_key, const CompileJob &job) {
  std::string all = engineIdentity();
  all += std::string("\0", 1) + flags_key + '\0' + std::to_string(job.opt_level) +
         (job.track_system_headers ? "S" : "s") + '\0' + job.path + '\0' + job.contents;
  llvm::XXH128_hash_t h = llvm::xxh3_128bits(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(all.data()), all.size()));
  return hex(h.high64) + hex(h.low64);
}

std::string UnitCache::entriesDir() const { return dir_ + "/units"; }

std::optional<CompileResult> UnitCache::load(const std::string &key, std::string &warning,
                                             bool lazy) {
  std::string path = entriesDir() + "/" + key + ".unit";
  auto buf = readFileSafely(path);
  if (!buf) {
    ++unitCacheCounters().misses;
    return std::nullopt;
  }
  llvm::StringRef bytes = (*buf)->getBuffer(), meta, bitcode;
  llvm::XXH128_hash_t digest{};
  auto corrupt = [&](const std::string &why) {
    warning = "the cache entry " + path + " is unusable (" + why + "): compiling instead";
    std::error_code ec;
    fs::remove(path, ec);
    ++unitCacheCounters().corrupt;
    ++unitCacheCounters().misses;
    return std::nullopt;
  };
  if (bytes.size() > kMaxEntryBytes || !splitEntry(bytes, meta, bitcode, digest))
    return corrupt("truncated or its digest does not match");
  Json j = Json::from_msgpack(meta.begin(), meta.end(), /*strict=*/true, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return corrupt("unreadable metadata");
  try {
    for (const Json &f : j.at("files")) { // a header changed since: a miss, not an error
      bool ok = false;
      if (hashFile(f.at(0).get<std::string>(), ok) != f.at(1).get<std::uint64_t>() || !ok) {
        ++unitCacheCounters().misses;
        return std::nullopt;
      }
    }
    CompileResult r;
    if (bitcode.empty() && !lazy) { // stored without IR: of no use to this caller
      ++unitCacheCounters().misses;
      return std::nullopt;
    }
    if (lazy) {
      if (!bitcode.empty()) r.bitcode = llvm::MemoryBuffer::getMemBufferCopy(bitcode, path);
      r.ir_dropped = bitcode.empty();
    } else {
      r.context = std::make_unique<llvm::LLVMContext>();
      auto module = llvm::parseBitcodeFile(llvm::MemoryBufferRef(bitcode, path), *r.context);
      if (!module) {
        llvm::consumeError(module.takeError());
        return corrupt("its code does not load");
      }
      r.module = std::move(*module);
      r.module->setModuleIdentifier(r.module->getSourceFileName());
    }
    r.cache_key = moduleIdentity(key, digest);
    for (const Json &d : j.at("diagnostics")) r.diagnostics.push_back(diagnosticFrom(d));
    r.dependencies = j.at("dependencies").get<std::vector<std::string>>();
    for (auto &[name, f] : j.at("functions").items()) r.functions[name] = functionFrom(name, f);
    for (auto &[name, g] : j.at("globals").items()) r.globals[name] = globalFrom(name, g);
    if (j.contains("outline")) r.outline = outlineFrom(j.at("outline"));
    r.from_cache = true;
    ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0); // now: the LRU order of eviction
    ++unitCacheCounters().hits;
    unitCacheCounters().bytes_read += bytes.size();
    return r;
  } catch (const Json::exception &e) {
    return corrupt(std::string("malformed metadata: ") + e.what());
  }
}

namespace {
/// Writes `bytes` to `path` through a temporary file in the same folder (readers see all or
/// nothing). False if it could not.
bool writeAtomically(const std::string &folder, const std::string &path, const std::string &bytes) {
  std::string tmp = folder + "/.tmp-XXXXXX";
  int fd = ::mkstemp(tmp.data()); // 0600
  if (fd < 0) return false;
  bool written = true;
  for (std::size_t off = 0; written && off < bytes.size();) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    written = n > 0;
    off += written ? std::size_t(n) : 0;
  }
  ::close(fd);
  if (written && ::rename(tmp.c_str(), path.c_str()) == 0) return true;
  ::unlink(tmp.c_str());
  return false;
}
} // namespace

bool UnitCache::store(const std::string &key, CompileResult &r,
                      const std::vector<ReadFile> &files, std::uint64_t max_bytes, bool with_ir) {
  if (!r.module || !privateDir(dir_) || !privateDir(entriesDir())) return false;
  std::vector<std::uint8_t> meta = Json::to_msgpack(metadata(r, files));
  // No symbol table (WriteBitcodeToFile's irsymtab): nothing here links bitcode.
  llvm::SmallVector<char, 0> bitcode;
  if (with_ir) {
    llvm::BitcodeWriter writer(bitcode);
    writer.writeModule(*r.module);
    writer.writeStrtab();
  }
  std::string body;
  appendU64(body, meta.size());
  body.append(reinterpret_cast<const char *>(meta.data()), meta.size());
  appendU64(body, bitcode.size());
  body.append(bitcode.data(), bitcode.size());
  llvm::XXH128_hash_t digest = digestOf(body);
  std::string entry(kMagic, kMagicSize);
  entry += body;
  appendU64(entry, digest.high64);
  appendU64(entry, digest.low64);
  std::string path = entriesDir() + "/" + key + ".unit";
  if (!writeAtomically(entriesDir(), path, entry)) return false;
  ++unitCacheCounters().stores;
  unitCacheCounters().bytes_written += entry.size();
  r.cache_key = moduleIdentity(key, digest);
  evict(dir_, max_bytes, entry.size());
  return true;
}

namespace {
constexpr char kObjectMagic[] = "HOTOBJ1\n";
constexpr std::size_t kObjectMagicSize = sizeof kObjectMagic - 1;

} // namespace

void canonicalizeDeclarations(llvm::Module &m) {
  std::vector<llvm::GlobalVariable *> vars;
  for (llvm::GlobalVariable &g : m.globals())
    if (g.isDeclaration()) vars.push_back(&g);
  std::sort(vars.begin(), vars.end(), [](auto *a, auto *b) { return a->getName() < b->getName(); });
  for (llvm::GlobalVariable *g : vars) {
    m.removeGlobalVariable(g);
    m.insertGlobalVariable(g);
  }
  std::vector<llvm::Function *> fns;
  for (llvm::Function &f : m)
    if (f.isDeclaration()) fns.push_back(&f);
  std::sort(fns.begin(), fns.end(), [](auto *a, auto *b) { return a->getName() < b->getName(); });
  for (llvm::Function *f : fns) {
    f->removeFromParent();
    m.getFunctionList().push_back(f);
  }
}

std::string objectKey(const llvm::Module &m, int opt_level, bool native_cpu) {
  llvm::SmallVector<char, 0> bitcode;
  llvm::raw_svector_ostream os(bitcode);
  llvm::WriteBitcodeToFile(m, os);
  std::string all = engineIdentity() + '\0' + std::to_string(opt_level) + (native_cpu ? "N" : "n");
  all.append(bitcode.data(), bitcode.size());
  llvm::XXH128_hash_t h = llvm::xxh3_128bits(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(all.data()), all.size()));
  return hex(h.high64) + hex(h.low64);
}

std::string recordKey(const std::string &unit_key, const std::string &options) {
  std::string all = engineIdentity() + '\0' + unit_key + '\0' + options;
  llvm::XXH128_hash_t h = llvm::xxh3_128bits(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(all.data()), all.size()));
  return "rec-" + hex(h.high64) + hex(h.low64);
}

std::unique_ptr<llvm::MemoryBuffer> loadObject(const std::string &dir, const std::string &key) {
  std::string path = dir + "/objects/" + key + ".o";
  auto buf = readFileSafely(path);
  llvm::StringRef bytes = buf ? (*buf)->getBuffer() : llvm::StringRef();
  llvm::StringRef rest = bytes;
  std::uint64_t len = 0, digest = 0;
  bool whole = rest.consume_front(llvm::StringRef(kObjectMagic, kObjectMagicSize)) &&
               readU64(rest, len) && len + 8 == rest.size();
  if (whole) {
    llvm::StringRef object = rest.take_front(len);
    rest = rest.drop_front(len);
    whole = readU64(rest, digest) && llvm::xxh3_64bits(object) == digest;
    if (whole) {
      ++unitCacheCounters().object_hits;
      unitCacheCounters().bytes_read += bytes.size();
      ::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
      return llvm::MemoryBuffer::getMemBufferCopy(object, key + ".o");
    }
  }
  if (buf) { // truncated or corrupt: compile, and let the store replace it
    std::error_code ec;
    fs::remove(path, ec);
    ++unitCacheCounters().corrupt;
  }
  ++unitCacheCounters().object_misses;
  return nullptr;
}

void storeObject(const std::string &dir, const std::string &key, const llvm::MemoryBuffer &object,
                 std::uint64_t max_bytes) {
  std::string folder = dir + "/objects";
  if (key.empty() || !privateDir(dir) || !privateDir(folder)) return;
  std::string bytes(kObjectMagic, kObjectMagicSize);
  appendU64(bytes, object.getBufferSize());
  bytes += object.getBuffer();
  appendU64(bytes, llvm::xxh3_64bits(object.getBuffer()));
  if (!writeAtomically(folder, folder + "/" + key + ".o", bytes)) return;
  unitCacheCounters().bytes_written += bytes.size();
  evict(dir, max_bytes, bytes.size());
}

} // namespace hot::fe::detail

namespace hot::fe {

llvm::Error materializeModule(CompileResult &r) {
  if (r.module || !r.bitcode) return llvm::Error::success();
  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = llvm::parseBitcodeFile(r.bitcode->getMemBufferRef(), *context);
  if (!module) return module.takeError();
  r.context = std::move(context);
  r.module = std::move(*module);
  r.module->setModuleIdentifier(r.module->getSourceFileName());
  r.bitcode.reset();
  return llvm::Error::success();
}

} // namespace hot::fe
