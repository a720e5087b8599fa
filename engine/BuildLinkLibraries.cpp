#include "engine/BuildLinkLibraries.h"
#include "engine/CompileCommands.h"
#include "engine/Util.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

namespace hot::eng {
namespace fs = std::filesystem;

namespace {

bool startsWith(const std::string &s, const std::string &p) { return s.rfind(p, 0) == 0; }
bool endsWith(const std::string &s, const std::string &p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

/// `p` absolute against `base`, lexically normalized, no trailing separator.
std::string resolve(const std::string &base, const std::string &p) {
  fs::path q(p);
  if (q.is_relative()) q = fs::path(base) / q;
  std::string s = q.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::string canonicalOr(const std::string &p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return ec ? p : c.string();
}

std::string fileName(const std::string &p) { return fs::path(p).filename().string(); }

bool isObject(const std::string &f) {
  return endsWith(f, ".o") || endsWith(f, ".obj") || endsWith(f, ".lo");
}
bool isArchive(const std::string &f) { return endsWith(f, ".a"); }
bool isSharedLibrary(const std::string &f) {
  std::string name = fileName(f);
  std::size_t so = name.find(".so");
  return so != std::string::npos && so > 0 && (so + 3 == name.size() || name[so + 3] == '.');
}

/// Link-command parser state carried across arguments (-Xlinker pairs, -Bstatic regions).
class LinkParser {
public:
  LinkParser(LinkLine &out, const std::string &cwd) : out_(out), cwd_(cwd) {}

  void driver(std::deque<std::string> in) {
    auto next = [&](std::string &v) {
      if (in.empty()) return false;
      v = std::move(in.front());
      in.pop_front();
      return true;
    };
    // Driver flags followed by a value that is not a library or an object.
    static const std::set<std::string> kWithValue = {
        "-T", "-z", "-u", "-e", "-B", "-Xassembler", "-Xpreprocessor", "-target", "-MF", "-MT",
        "-MQ", "-include", "-isystem", "-I", "-D", "-U", "-x", "-arch", "-specs", "--sysroot"};
    std::string a, v;
    while (next(a)) {
      if (a.empty()) continue;
      if (a[0] == '@' && a.size() > 1) { // a response file: spliced in place
        std::string text;
        if (++expansions_ <= 64 && util::readFile(resolve(cwd_, a.substr(1)), text))
          if (auto words = splitCommandLine(text); words.ok())
            in.insert(in.begin(), words->begin(), words->end());
        continue;
      }
      if (a == "-o") {
        if (next(v)) out_.output = resolve(cwd_, v);
      } else if (a == "-l") {
        if (next(v)) name(v);
      } else if (startsWith(a, "-l")) {
        name(a.substr(2));
      } else if (a == "-L") {
        if (next(v)) out_.library_dirs.push_back(resolve(cwd_, v));
      } else if (startsWith(a, "-L")) {
        out_.library_dirs.push_back(resolve(cwd_, a.substr(2)));
      } else if (startsWith(a, "-Wl,")) {
        std::stringstream parts(a.substr(4));
        for (std::string p; std::getline(parts, p, ',');) linker(p);
      } else if (a == "-Xlinker") {
        if (next(v)) linker(v);
      } else if (a == "-shared") {
        out_.shared = true;
      } else if (a == "-static") {
        static_ = true;
      } else if (kWithValue.count(a)) {
        next(v);
      } else if (a[0] == '-') {
        // Compile, code-generation and other driver flags: nothing the JIT links.
      } else {
        file(a);
      }
    }
  }

  /// Expands $ORIGIN in the rpath dirs once the output is known.
  void finish() {
    std::string origin = out_.output.empty() ? cwd_ : fs::path(out_.output).parent_path().string();
    for (std::string &d : out_.rpath) {
      for (const char *tok : {"${ORIGIN}", "$ORIGIN"})
        for (std::size_t at; (at = d.find(tok)) != std::string::npos;)
          d.replace(at, std::string(tok).size(), origin);
      d = resolve(cwd_, d);
    }
  }

private:
  void name(const std::string &n) {
    if (n.empty()) return;
    out_.inputs.push_back({LinkInput::Kind::Name, n, static_, whole_});
  }
  void file(const std::string &f) {
    if (isObject(f)) out_.objects.push_back(resolve(cwd_, f));
    else if (isArchive(f) || isSharedLibrary(f))
      out_.inputs.push_back({LinkInput::Kind::Path, resolve(cwd_, f), false, whole_});
    // Anything else (the driver after a launcher, a linker script given as a file) links
    // nothing the JIT can load.
  }
  void rpath(const std::string &dirs) {
    std::stringstream parts(dirs);
    for (std::string d; std::getline(parts, d, ':');)
      if (!d.empty()) out_.rpath.push_back(d);
  }
  /// One argument for the linker itself (from -Wl, or -Xlinker).
  void linker(const std::string &a) {
    if (!pending_.empty()) {
      std::string opt = std::exchange(pending_, std::string());
      if (opt == "-rpath" || opt == "--rpath" || opt == "-rpath-link" || opt == "--rpath-link" ||
          opt == "-R")
        rpath(a);
      else if (opt == "-L" || opt == "--library-path") out_.library_dirs.push_back(resolve(cwd_, a));
      else if (opt == "-l" || opt == "--library") name(a);
      return; // any other option's value (-soname X, -z relro, --version-script F...)
    }
    static const std::set<std::string> kWithValue = {
        "-rpath", "--rpath", "-rpath-link", "--rpath-link", "-R", "-L", "--library-path", "-l",
        "--library", "-soname", "-h", "-z", "--version-script", "-T", "--script",
        "--dynamic-list", "-Map", "-e", "--entry", "-u", "--undefined", "-y", "--trace-symbol",
        "--defsym", "-m", "-o", "--exclude-libs", "-plugin", "-plugin-opt", "--sysroot"};
    if (kWithValue.count(a)) {
      pending_ = a;
      return;
    }
    for (const char *opt : {"-rpath=", "--rpath=", "-rpath-link=", "--rpath-link="})
      if (startsWith(a, opt)) return rpath(a.substr(std::string(opt).size()));
    if (startsWith(a, "--library-path=")) return (void)out_.library_dirs.push_back(resolve(cwd_, a.substr(15)));
    if (startsWith(a, "--library=")) return name(a.substr(10));
    if (startsWith(a, "-L")) return (void)out_.library_dirs.push_back(resolve(cwd_, a.substr(2)));
    if (startsWith(a, "-l")) return name(a.substr(2));
    if (a == "-Bstatic" || a == "-dn" || a == "-non_shared" || a == "-static") static_ = true;
    else if (a == "-Bdynamic" || a == "-dy" || a == "-call_shared") static_ = false;
    else if (a == "--whole-archive" || a == "-whole-archive") whole_ = true;
    else if (a == "--no-whole-archive" || a == "-no-whole-archive") whole_ = false;
    else if (!a.empty() && a[0] != '-') file(a);
    // Every other linker option (--as-needed, --gc-sections, -O1, --build-id, -Bsymbolic...)
    // changes nothing the JIT links.
  }

  LinkLine &out_;
  std::string cwd_;
  bool static_ = false, whole_ = false;
  std::string pending_; ///< A linker option waiting for its value.
  int expansions_ = 0;  ///< @file expansions (a file that names itself stops here).
};

// ---- Makefiles (link.txt) -----------------------------------------------------------------

/// "libfoo.so.1.2.3" -> {"libfoo.so", "libfoo.so.1", "libfoo.so.1.2"} in the same folder:
/// CMake links a versioned library through its namelink.
std::vector<std::string> sonameAliases(const std::string &path) {
  std::vector<std::string> out;
  std::string name = fileName(path), dir = fs::path(path).parent_path().string();
  std::size_t so = name.find(".so.");
  if (so == std::string::npos) return out;
  for (std::size_t at = so + 3; at != std::string::npos; at = name.find('.', at + 1))
    out.push_back(dir + "/" + name.substr(0, at));
  return out;
}

/// A target folder's link.txt: one command per line (an archive may take several `ar q`s).
void readLinkTxt(const std::string &target_dir, std::vector<BuildTarget> &out,
                 std::vector<std::string> *notes) {
  std::string path = target_dir + "/link.txt", text;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return;
  if (!util::readFile(path, text)) {
    if (notes) notes->push_back(path + ": " + util::pathProblem(path) + "; skipped");
    return;
  }
  BuildTarget t;
  std::string dirName = fileName(target_dir);
  t.name = endsWith(dirName, ".dir") ? dirName.substr(0, dirName.size() - 4) : dirName;
  t.origin = path;
  // Link commands run in the target's build folder: the parent of its CMakeFiles/.
  std::string cwd = fs::path(target_dir).parent_path().parent_path().string();
  bool linked = false, archive = false;
  std::stringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    auto words = splitCommandLine(line);
    if (!words.ok() || words->empty()) continue;
    std::vector<std::string> &w = *words;
    std::string tool = fileName(w[0]);
    if (tool == "cmake" || tool.find("ranlib") != std::string::npos) continue;
    // `ar qc libfoo.a a.o b.o` (and more `ar q libfoo.a ...` lines for long lists).
    if (w.size() >= 3 && isArchive(w[2]) &&
        std::all_of(w[1].begin(), w[1].end(), [](char c) { return std::isalpha((unsigned char)c); })) {
      archive = true;
      t.link.output = resolve(cwd, w[2]);
      for (std::size_t i = 3; i < w.size(); ++i)
        if (isObject(w[i])) t.link.objects.push_back(resolve(cwd, w[i]));
      continue;
    }
    if (linked) continue; // one link command per target; later lines are post-build steps
    LinkParser parser(t.link, cwd);
    parser.driver({w.begin(), w.end()});
    parser.finish();
    linked = !t.link.output.empty();
  }
  if (archive) t.kind = BuildTarget::Kind::StaticLibrary;
  else if (!linked) return;
  else if (t.link.shared) t.kind = BuildTarget::Kind::SharedLibrary;
  else t.kind = BuildTarget::Kind::Executable;
  t.aliases = sonameAliases(t.link.output);
  out.push_back(std::move(t));
}

/// The target folders CMake lists (absolute), or found by a bounded walk when it lists none.
std::vector<std::string> targetDirectories(const std::string &build_dir) {
  std::vector<std::string> dirs;
  std::string text;
  if (util::readFile(build_dir + "/CMakeFiles/TargetDirectories.txt", text)) {
    std::stringstream lines(text);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) dirs.push_back(resolve(build_dir, line));
    return dirs;
  }
  std::error_code ec;
  std::size_t seen = 0;
  auto opts = fs::directory_options::skip_permission_denied;
  for (auto it = fs::recursive_directory_iterator(build_dir, opts, ec);
       !ec && it != fs::recursive_directory_iterator() && ++seen < 200000; it.increment(ec)) {
    if (it.depth() > 24) it.disable_recursion_pending();
    std::string p = it->path().string();
    if (endsWith(p, ".dir") && fileName(it->path().parent_path().string()) == "CMakeFiles")
      dirs.push_back(p);
  }
  return dirs;
}

// ---- Ninja (build.ninja) ------------------------------------------------------------------

/// Ninja's escapes in a path or a variable value: "$ " " ", "$:" ":", "$$" "$".
std::string ninjaUnescape(const std::string &s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '$' && i + 1 < s.size() && (s[i + 1] == ' ' || s[i + 1] == ':' || s[i + 1] == '$'))
      out += s[++i];
    else out += s[i];
  }
  return out;
}

/// Splits a build line's path list at unescaped spaces.
std::vector<std::string> ninjaPaths(const std::string &s) {
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '$' && i + 1 < s.size()) {
      cur += s[i];
      cur += s[++i];
    } else if (s[i] == ' ') {
      if (!cur.empty()) out.push_back(ninjaUnescape(cur));
      cur.clear();
    } else cur += s[i];
  }
  if (!cur.empty()) out.push_back(ninjaUnescape(cur));
  return out;
}

/// The unescaped ':' that ends a build line's outputs.
std::size_t ninjaColon(const std::string &s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '$') ++i;
    else if (s[i] == ':') return i;
  }
  return std::string::npos;
}

void readNinjaFile(const std::string &build_dir, const std::string &path,
                   std::vector<BuildTarget> &out, std::set<std::string> &seen,
                   std::vector<std::string> *notes) {
  if (!seen.insert(path).second || seen.size() > 64) return;
  std::string text;
  std::string why;
  if (!util::readFile(path, text, &why)) {
    if (notes) notes->push_back(path + ": " + why + "; skipped");
    return;
  }
  // Logical lines: "$\n" continues a line.
  std::vector<std::pair<std::string, std::size_t>> lines;
  std::size_t number = 0;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t start = number + 1;
    std::string line;
    while (at < text.size()) {
      std::size_t nl = text.find('\n', at);
      std::string piece = text.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
      at = nl == std::string::npos ? text.size() : nl + 1;
      ++number;
      std::size_t dollars = 0;
      while (dollars < piece.size() && piece[piece.size() - 1 - dollars] == '$') ++dollars;
      if (dollars % 2 == 1) { // an odd run of '$' at the end: continued
        line += piece.substr(0, piece.size() - 1);
        std::size_t skip = at;
        while (skip < text.size() && text[skip] == ' ') ++skip;
        at = skip;
        continue;
      }
      line += piece;
      break;
    }
    lines.push_back({std::move(line), start});
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string &line = lines[i].first;
    if (startsWith(line, "include ") || startsWith(line, "subninja ")) {
      std::string file = ninjaUnescape(line.substr(line.find(' ') + 1));
      while (!file.empty() && file.back() == ' ') file.pop_back();
      if (!endsWith(file, "rules.ninja")) // rules only: no build statements
        readNinjaFile(build_dir, resolve(build_dir, file), out, seen, notes);
      continue;
    }
    if (!startsWith(line, "build ")) continue;
    std::size_t colon = ninjaColon(line);
    if (colon == std::string::npos) continue;
    std::string rest = line.substr(colon + 1);
    while (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
    std::string rule = rest.substr(0, rest.find(' '));
    BuildTarget t;
    std::size_t marker = rule.find("_LINKER__");
    if (marker == std::string::npos) continue;
    if (rule.find("_EXECUTABLE_LINKER__") != std::string::npos) t.kind = BuildTarget::Kind::Executable;
    else if (rule.find("_SHARED_LIBRARY_LINKER__") != std::string::npos) t.kind = BuildTarget::Kind::SharedLibrary;
    else if (rule.find("_STATIC_LIBRARY_LINKER__") != std::string::npos) t.kind = BuildTarget::Kind::StaticLibrary;
    else continue; // a module library: never linked into an executable
    std::string target = rule.substr(marker + 9);       // "<target>_<config>"
    t.name = target.substr(0, target.rfind('_'));
    t.origin = path + ":" + std::to_string(lines[i].second);
    // "build OUT [| IMPLICIT_OUT]: RULE IN... [| IMPLICIT] [|| ORDER] [|@ VALIDATION]"
    std::vector<std::string> outputs = ninjaPaths(line.substr(6, colon - 6));
    bool implicit_out = false;
    for (const std::string &o : outputs) {
      if (o == "|") { implicit_out = true; continue; }
      if (t.link.output.empty() && !implicit_out) t.link.output = resolve(build_dir, o);
      else t.aliases.push_back(resolve(build_dir, o));
    }
    std::vector<std::string> inputs = ninjaPaths(rest.substr(rule.size()));
    for (const std::string &in : inputs) {
      if (in == "|" || in == "||" || in == "|@") break;
      if (isObject(in)) t.link.objects.push_back(resolve(build_dir, in));
    }
    std::map<std::string, std::string> vars;
    for (std::size_t j = i + 1; j < lines.size() && startsWith(lines[j].first, " "); ++j) {
      const std::string &b = lines[j].first;
      std::size_t eq = b.find(" = ");
      std::size_t key = b.find_first_not_of(' ');
      if (eq == std::string::npos || key >= eq) continue;
      vars[b.substr(key, eq - key)] = ninjaUnescape(b.substr(eq + 3));
    }
    if (t.kind != BuildTarget::Kind::StaticLibrary) {
      std::string command = "link " + vars["LINK_FLAGS"] + " " + vars["LINK_PATH"] + " " +
                            vars["LINK_LIBRARIES"];
      auto words = splitCommandLine(command);
      if (words.ok()) {
        std::string output = t.link.output; // the statement's, whatever the flags say
        LinkParser parser(t.link, build_dir);
        parser.driver({words->begin(), words->end()});
        t.link.output = output;
        parser.finish();
      }
    }
    for (std::string &a : sonameAliases(t.link.output)) t.aliases.push_back(std::move(a));
    out.push_back(std::move(t));
  }
  // "build libfoo.so libfoo.so.1: CMAKE_SYMLINK_LIBRARY libfoo.so.1.2.3": more aliases.
  for (const auto &[line, number] : lines) {
    if (!startsWith(line, "build ") || line.find("CMAKE_SYMLINK_") == std::string::npos) continue;
    std::size_t colon = ninjaColon(line);
    if (colon == std::string::npos) continue;
    std::vector<std::string> ins = ninjaPaths(line.substr(colon + 1));
    if (ins.size() < 2) continue;
    std::string real = resolve(build_dir, ins[1]);
    for (BuildTarget &t : out)
      if (t.link.output == real)
        for (const std::string &o : ninjaPaths(line.substr(6, colon - 6)))
          if (o != "|") t.aliases.push_back(resolve(build_dir, o));
  }
}

/// The build folder that holds the database, when it is a CMake one.
std::string cmakeBuildDir(const CompileDatabase &db) {
  std::error_code ec;
  std::string given = util::absolutePath(db.path());
  std::vector<std::string> candidates;
  if (fs::is_directory(given, ec)) candidates.push_back(given);
  else candidates.push_back(fs::path(given).parent_path().string());
  fs::path real = fs::canonical(given, ec); // a symlinked compile_commands.json
  if (!ec) candidates.push_back(fs::is_directory(real, ec) ? real.string()
                                                           : real.parent_path().string());
  for (const std::string &c : candidates)
    if (fs::is_regular_file(c + "/CMakeCache.txt", ec)) return c;
  return "";
}

} // namespace

LinkLine parseLinkCommand(const std::vector<std::string> &words, const std::string &cwd) {
  LinkLine out;
  LinkParser parser(out, cwd);
  parser.driver({words.begin(), words.end()});
  parser.finish();
  return out;
}

std::vector<BuildTarget> readBuildTargets(const std::string &build_dir,
                                          std::vector<std::string> *notes) {
  std::vector<BuildTarget> out;
  for (const std::string &dir : targetDirectories(build_dir)) readLinkTxt(dir, out, notes);
  std::error_code ec;
  if (out.empty() && fs::is_regular_file(build_dir + "/build.ninja", ec)) {
    std::set<std::string> seen;
    readNinjaFile(build_dir, build_dir + "/build.ninja", out, seen, notes);
  }
  return out;
}

bool definesMain(const std::string &s) {
  // Tokens outside comments and literals: identifiers whole, anything else one character.
  std::vector<std::string> tokens;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
      i = s.find('\n', i);
      if (i == std::string::npos) break;
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      i = s.find("*/", i + 2);
      if (i == std::string::npos) break;
      ++i;
    } else if (c == '"' || c == '\'') {
      for (++i; i < s.size() && s[i] != c; ++i)
        if (s[i] == '\\') ++i;
      tokens.push_back("\"");
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t end = i;
      while (end < s.size() && (std::isalnum(static_cast<unsigned char>(s[end])) || s[end] == '_'))
        ++end;
      tokens.push_back(s.substr(i, end - i));
      i = end - 1;
    } else if (!std::isspace(static_cast<unsigned char>(c))) {
      tokens.push_back(std::string(1, c));
    }
  }
  for (std::size_t i = 0; i + 2 < tokens.size(); ++i)
    if ((tokens[i] == "int" || tokens[i] == "auto" || tokens[i] == "signed") &&
        tokens[i + 1] == "main" && tokens[i + 2] == "(")
      return true;
  return false;
}

std::string shortPath(const std::string &path, const std::string &dir) {
  if (!dir.empty() && path.size() > dir.size() + 1 && path.compare(0, dir.size(), dir) == 0 &&
      path[dir.size()] == '/')
    return path.substr(dir.size() + 1);
  return path;
}

BuildLibraries planBuildLibraries(const CompileDatabase &db, const std::vector<std::string> &units) {
  BuildLibraries plan;
  plan.build_dir = cmakeBuildDir(db);
  if (plan.build_dir.empty()) return plan;
  std::vector<std::string> notes;
  std::vector<BuildTarget> targets = readBuildTargets(plan.build_dir, &notes);
  plan.notes = notes;
  if (targets.empty()) {
    plan.notes.push_back(plan.build_dir + " has no CMakeFiles/<target>.dir/link.txt and no "
                         "link statement in build.ninja (not generated yet?): no library is "
                         "taken from the build");
    return plan;
  }

  std::set<std::string> unitSet;
  for (const std::string &u : units) unitSet.insert(canonicalOr(util::absolutePath(u)));
  auto unitOf = [&](const std::string &object) -> std::string {
    std::string src = db.sourceOfObject(object);
    if (src.empty()) return "";
    std::string c = canonicalOr(src);
    return unitSet.count(c) ? c : "";
  };
  // Output path (and its aliases, and its real path when built) -> target.
  std::map<std::string, std::size_t> byOutput;
  std::vector<std::size_t> unitObjects(targets.size(), 0);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const BuildTarget &t = targets[i];
    if (t.kind != BuildTarget::Kind::Executable) {
      byOutput.emplace(t.link.output, i);
      byOutput.emplace(canonicalOr(t.link.output), i);
      for (const std::string &a : t.aliases) byOutput.emplace(a, i);
    }
    for (const std::string &o : t.link.objects) unitObjects[i] += !unitOf(o).empty();
  }
  auto inTree = [&](const std::string &path) -> const std::size_t * {
    auto it = byOutput.find(path);
    if (it == byOutput.end()) it = byOutput.find(canonicalOr(path));
    return it == byOutput.end() ? nullptr : &it->second;
  };

  struct Candidate {
    std::size_t index;
    bool main;
    std::size_t covered;
  };
  std::vector<Candidate> candidates;
  std::map<std::string, bool> mainCache;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const BuildTarget &t = targets[i];
    if (t.kind != BuildTarget::Kind::Executable) continue;
    std::set<std::string> covered;
    bool main = false;
    for (const std::string &o : t.link.objects) {
      std::string u = unitOf(o);
      if (u.empty()) continue;
      covered.insert(u);
      auto [it, fresh] = mainCache.try_emplace(u, false);
      if (fresh) {
        std::string text;
        it->second = util::readFile(u, text) && definesMain(text);
      }
      main |= it->second;
    }
    for (const LinkInput &in : t.link.inputs)
      if (const std::size_t *lib = in.kind == LinkInput::Kind::Path ? inTree(in.value) : nullptr)
        for (const std::string &o : targets[*lib].link.objects)
          if (std::string u = unitOf(o); !u.empty()) covered.insert(u);
    if (!covered.empty()) candidates.push_back({i, main, covered.size()});
  }
  if (candidates.empty()) {
    plan.notes.push_back("no executable of the build in " + plan.build_dir +
                         " links these units: no library is taken from the build");
    return plan;
  }
  auto rank = [&](const Candidate &c) {
    return std::make_tuple(!c.main, -static_cast<long>(c.covered), targets[c.index].name);
  };
  std::sort(candidates.begin(), candidates.end(),
            [&](const Candidate &a, const Candidate &b) { return rank(a) < rank(b); });
  const Candidate &best = candidates.front();
  const BuildTarget &exe = targets[best.index];
  plan.target = exe.name;
  plan.origin = exe.origin;
  for (std::size_t i = 1; i < candidates.size(); ++i)
    plan.others.push_back(targets[candidates[i].index].name);
  if (candidates.size() > 1) {
    const Candidate &second = candidates[1];
    if (best.main && !second.main) plan.why = "it links the unit that defines main()";
    else if (best.covered > second.covered)
      plan.why = "it links the most units (" + std::to_string(best.covered) + " of " +
                 std::to_string(unitSet.size()) + ")";
    else plan.why = "it links as many units; first by name";
  }

  plan.library_dirs = exe.link.library_dirs;
  plan.rpath = exe.link.rpath;
  for (const LinkInput &in : exe.link.inputs) {
    const std::size_t *lib = in.kind == LinkInput::Kind::Path ? inTree(in.value) : nullptr;
    if (!lib) {
      if (std::find(plan.load.begin(), plan.load.end(), in) == plan.load.end())
        plan.load.push_back(in);
      continue;
    }
    const BuildTarget &t = targets[*lib];
    std::size_t all = t.link.objects.size(), mine = unitObjects[*lib];
    std::string shown = shortPath(in.value, plan.build_dir);
    if (mine == 0) {
      if (std::find(plan.load.begin(), plan.load.end(), in) == plan.load.end())
        plan.load.push_back(in);
    } else if (mine == all) {
      if (std::find(plan.already_units.begin(), plan.already_units.end(), shown) ==
          plan.already_units.end())
        plan.already_units.push_back(shown);
    } else if (t.kind == BuildTarget::Kind::StaticLibrary) {
      // Members are linked on demand, and the units' symbols resolve to the JIT first: only
      // what the units do not define comes from the archive.
      plan.load.push_back(in);
      plan.notes.push_back(shown + ": " + std::to_string(mine) + " of its " + std::to_string(all) +
                           " objects are units; the archive is loaded for the others");
    } else {
      std::string missing;
      for (const std::string &o : t.link.objects)
        if (unitOf(o).empty()) {
          std::string src = db.sourceOfObject(o);
          missing += (missing.empty() ? "" : ", ") + (src.empty() ? shortPath(o, plan.build_dir) : src);
        }
      plan.notes.push_back(shown + " is not loaded: " + std::to_string(mine) + " of its " +
                           std::to_string(all) + " objects are units, and loading it would run "
                           "their code a second time; give its other sources as units (" +
                           missing + ")");
    }
  }
  std::string strays;
  std::size_t stray = 0;
  for (const std::string &o : exe.link.objects)
    if (unitOf(o).empty() && ++stray <= 3) {
      std::string src = db.sourceOfObject(o);
      strays += (strays.empty() ? "" : ", ") + (src.empty() ? shortPath(o, plan.build_dir) : src);
    }
  if (stray)
    plan.notes.push_back(std::to_string(stray) + " object" + (stray > 1 ? "s" : "") + " of '" +
                         exe.name + "' come" + (stray > 1 ? "" : "s") +
                         " from no unit and " + (stray > 1 ? "are" : "is") + " not linked (" +
                         strays + (stray > 3 ? ", ..." : "") + ")");
  return plan;
}

} // namespace hot::eng
