#include "engine/CompileCommands.h"
#include "engine/Util.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <deque>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <utility>

#include <nlohmann/json.hpp>

namespace hot::eng {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

/// `p` made absolute against `base` (when relative) and lexically normalized, without a
/// trailing separator.
std::string resolvePath(const std::string &base, const std::string &p) {
  fs::path q(p);
  if (q.is_relative() && !base.empty())
    q = fs::path(base) / q;
  std::string s = q.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/')
    s.pop_back();
  return s;
}

std::string baseName(const std::string &p) {
  std::size_t slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

Status readWholeFile(const std::string &path, std::string &out) {
  auto ioError = [&](int err) {
    return Status(ErrorCode::IoError, "cannot read compile database \"" + path +
                                          "\": " + std::generic_category().message(err));
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ioError(errno);
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<std::size_t>(n));
  int err = errno; // a directory opens fine and fails here with EISDIR
  ::close(fd);
  return n < 0 ? ioError(err) : Status();
}

// ---- flag tables -------------------------------------------------------------------------

/// Flags (exact spelling) dropped on their own.
bool isDroppedExact(const std::string &a) {
  static const char *const kDrop[] = {
      "-c", "-S", "-E", "-pipe", "-v", "-###", "-H", "-time", "-Q", "-emit-llvm",
      "-fsyntax-only", "--coverage", "-shared", "-static", "-static-libstdc++",
      "-static-libgcc", "-static-pie", "-rdynamic", "-pie", "-no-pie", "-nostartfiles",
      "-nostdlib", "-nodefaultlibs", "-nostdlib++", "-s", "-symbolic", "--verbose",
      "--write-dependencies", "--write-user-dependencies", "--user-dependencies",
      "--dependencies", "-w"};
  for (const char *d : kDrop)
    if (a == d)
      return true;
  return false;
}

/// Flags taking a separate value that are dropped together with it.
bool isDroppedWithValue(const std::string &a) {
  static const char *const kDrop[] = {
      "-o", "-MF", "-MT", "-MQ", "-MJ", "-l", "-L", "-Xlinker", "-Xassembler", "-z", "-T",
      "--param", "-u", "-include-pch", "-resource-dir", "-dumpbase", "-dumpdir", "-auxbase",
      "-auxbase-strip", "-dumpbase-ext", "--serialize-diagnostics", "-serialize-diagnostics"};
  for (const char *d : kDrop)
    if (a == d)
      return true;
  return false;
}

/// Flags taking a separate value that are kept verbatim together with it.
bool isKeptWithValue(const std::string &a) {
  static const char *const kKeep[] = {
      "-Xpreprocessor", "-mllvm", "-target", "-arch", "-iprefix", "-iwithprefix",
      "-iwithprefixbefore", "-gcc-toolchain", "-ivfsoverlay", "-B", "-F", "-Xclang"};
  for (const char *k : kKeep)
    if (a == k)
      return true;
  return false;
}

/// -f flags (checked on the positive spelling: "-fno-x" is looked up as "-fx") that only
/// matter to codegen details the engine owns, to diagnostics, to the build system, or that
/// g++ accepts and clang rejects.
bool isDeniedFFlag(const std::string &a) {
  std::string f = startsWith(a, "-fno-") ? "-f" + a.substr(5) : a;
  static const char *const kExact[] = {"-fpic", "-fPIC", "-fpie", "-fPIE", "-fsyntax-only",
                                       "-ftest-coverage", "-fstack-usage",
                                       "-fuse-linker-plugin", "-fgnu-unique",
                                       "-fcanonical-system-headers", "-fstandalone-debug",
                                       "-feliminate-unused-debug-types", "-fbuiltin-module-map",
                                       "-frecord-gcc-switches", "-frecord-command-line",
                                       "-fcxx-modules", "-fext-numeric-literals",
                                       "-fdevirtualize-at-ltrans", "-fcompare-debug-second"};
  for (const char *e : kExact)
    if (f == e)
      return true;
  static const char *const kPrefix[] = {
      // diagnostics
      "-fdiagnostics", "-fcolor-diagnostics", "-fansi-escape-codes", "-fmessage-length",
      "-fcaret-diagnostics", "-fshow-column", "-fshow-source-location", "-fcrash-diagnostics",
      "-ftrack-macro-expansion", "-fsave-optimization-record", "-foptimization-record",
      "-ftime-report", "-ftime-trace", "-fdump-", "-fopt-info", "-fcallgraph-info",
      "-fcompare-debug",
      // instrumentation, debug info, build paths
      "-fprofile", "-fcoverage", "-fdebug-", "-ffile-prefix-map", "-fmacro-prefix-map",
      "-fvar-tracking", "-fsanitize", "-fcs-profile",
      // link time
      "-flto", "-ffat-lto-objects", "-fuse-ld", "-flto-partition",
      // modules and precompiled headers (the JIT builds neither)
      "-fmodules", "-fmodule-", "-fimplicit-module", "-fprebuilt-module", "-fdeps-", "-fpch-",
      // g++-only
      "-fconcepts", "-fipa-", "-ftree-", "-fgcse"};
  for (const char *p : kPrefix)
    if (startsWith(f, p))
      return true;
  return false;
}

/// Include-path-like flags whose value is a directory to make absolute. Checked in order
/// (longest spellings first where one is a prefix of another).
const char *const kPathFlags[] = {"-isystem", "-iquote", "-idirafter", "-isysroot",
                                   "-iframework", "-I"};

/// Splits "a,b,c" at commas (for -Wp,).
std::vector<std::string> splitCommas(const std::string &s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return out;
}

bool isLauncher(const std::string &exe) {
  static const char *const kLaunchers[] = {"ccache", "sccache", "distcc", "icecc", "buildcache"};
  std::string b = baseName(exe);
  for (const char *l : kLaunchers)
    if (b == l)
      return true;
  return false;
}

} // namespace

// ---- command line splitting --------------------------------------------------------------

Result<std::vector<std::string>> splitCommandLine(const std::string &command) {
  std::vector<std::string> out;
  std::string cur;
  bool inWord = false;
  std::size_t i = 0, n = command.size();
  while (i < n) {
    char c = command[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      if (inWord) {
        out.push_back(std::move(cur));
        cur.clear();
        inWord = false;
      }
      ++i;
    } else if (c == '\'') {
      inWord = true;
      std::size_t close = command.find('\'', i + 1);
      if (close == std::string::npos)
        return Status(ErrorCode::ConfigError, "unterminated single quote in \"command\"");
      cur.append(command, i + 1, close - i - 1);
      i = close + 1;
    } else if (c == '"') {
      inWord = true;
      ++i;
      bool closed = false;
      while (i < n) {
        char d = command[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < n) {
          char e = command[i + 1];
          if (e == '"' || e == '\\' || e == '$' || e == '`') {
            cur += e;
            i += 2;
            continue;
          }
          if (e == '\n') { // line continuation
            i += 2;
            continue;
          }
        }
        cur += d;
        ++i;
      }
      if (!closed)
        return Status(ErrorCode::ConfigError, "unterminated double quote in \"command\"");
    } else if (c == '\\') {
      if (i + 1 >= n)
        return Status(ErrorCode::ConfigError, "trailing backslash in \"command\"");
      if (command[i + 1] != '\n') { // backslash-newline joins lines
        cur += command[i + 1];
        inWord = true;
      }
      i += 2;
    } else {
      cur += c;
      inWord = true;
      ++i;
    }
  }
  if (inWord)
    out.push_back(std::move(cur));
  return out;
}

// ---- translation -------------------------------------------------------------------------

std::vector<std::string> translateArguments(const std::vector<std::string> &args,
                                            const std::string &directory,
                                            const std::string &file,
                                            std::vector<std::string> *notes) {
  std::vector<std::string> out;
  auto note = [&](std::string msg) {
    if (notes && std::find(notes->begin(), notes->end(), msg) == notes->end())
      notes->push_back(std::move(msg));
  };
  std::deque<std::string> in(args.begin(), args.end());
  // The compiler (and a launcher in front of it). Be lenient with databases that list flags only.
  if (!in.empty() && !startsWith(in.front(), "-")) {
    std::string exe = std::move(in.front());
    in.pop_front();
    if (isLauncher(exe) && !in.empty() && !startsWith(in.front(), "-"))
      in.pop_front();
  }

  auto pop = [&]() {
    std::string s = std::move(in.front());
    in.pop_front();
    return s;
  };
  // Value of a flag spelled `name`: the rest of `a` ("-Ifoo") or, when `a` is exactly `name`,
  // the next argument ("-I foo"). False when `a` is not this flag; `missing` when the value is
  // absent (end of the command line).
  bool missing = false;
  auto valueOf = [&](const std::string &a, const char *name, std::string &v, bool joined = true) {
    std::size_t len = std::char_traits<char>::length(name);
    if (a.size() == len && a == name) {
      missing = in.empty();
      if (!missing)
        v = pop();
      return true;
    }
    if (joined && a.size() > len && startsWith(a, name)) {
      missing = false;
      v = a.substr(len);
      return true;
    }
    return false;
  };

  int expansions = 0;
  const int kMaxExpansions = 16 * 64; // @file and -Wp, expansions, to stop self-including files
  while (!in.empty()) {
    std::string a = pop();
    if (a.empty())
      continue;

    // Response files: spliced in place.
    if (a[0] == '@' && a.size() > 1) {
      std::string rsp = resolvePath(directory, a.substr(1));
      std::string text;
      if (++expansions > kMaxExpansions) {
        note("response file '" + rsp + "' nests too deeply; ignored");
        continue;
      }
      if (!readWholeFile(rsp, text).ok()) {
        note("response file '" + rsp + "' cannot be read; its flags are missing");
        continue;
      }
      auto words = splitCommandLine(text);
      if (!words.ok()) {
        note("response file '" + rsp + "': " + words.status().message() + "; ignored");
        continue;
      }
      in.insert(in.begin(), words.value().begin(), words.value().end());
      continue;
    }

    // Inputs.
    if (a[0] != '-' || a == "-") {
      if (resolvePath(directory, a) != file)
        note("dropped extra input '" + a + "'");
      continue;
    }

    std::string v;
    // Include paths (absolute).
    bool handled = false;
    for (const char *flag : kPathFlags) {
      if (valueOf(a, flag, v)) {
        handled = true;
        if (missing) {
          note(std::string("dropped '") + flag + "' without a value");
        } else if (std::string(flag) == "-I") {
          out.push_back("-I" + resolvePath(directory, v));
        } else {
          out.push_back(flag);
          out.push_back(resolvePath(directory, v));
        }
        break;
      }
    }
    if (handled)
      continue;
    if (startsWith(a, "--sysroot=") || a == "--sysroot") {
      if (a == "--sysroot") {
        if (in.empty())
          continue;
        v = pop();
      } else {
        v = a.substr(10);
      }
      out.push_back("--sysroot=" + resolvePath(directory, v));
      continue;
    }
    // Precompiled headers from another compiler are useless (and clang's own PCH is tied to
    // its exact version): drop them; the -include of the header itself still works.
    if (a == "-include-pch" || a == "-Xclang") {
      if (a == "-Xclang" && (in.empty() || in.front() != "-include-pch")) {
        if (!in.empty()) {
          out.push_back(a);
          out.push_back(pop());
        }
        continue;
      }
      if (a == "-Xclang")
        in.pop_front(); // the -include-pch
      bool xclang = a == "-Xclang";
      if (xclang && !in.empty() && in.front() == "-Xclang")
        in.pop_front();
      if (!in.empty())
        in.pop_front(); // the .pch / .gch path
      note("dropped -include-pch: precompiled headers are not used by the JIT");
      continue;
    }
    // Forced includes: absolute when found in the working directory, as g++ searches there
    // first; otherwise left to the include path.
    if (valueOf(a, "-include", v) || valueOf(a, "-imacros", v)) {
      std::string flag = startsWith(a, "-include") ? "-include" : "-imacros";
      if (missing)
        continue;
      std::string abs = resolvePath(directory, v);
      std::error_code ec;
      out.push_back(flag);
      out.push_back(fs::exists(abs, ec) ? abs : v);
      continue;
    }
    if (valueOf(a, "-D", v) || valueOf(a, "-U", v)) {
      if (!missing)
        out.push_back(a.substr(0, 2) + v);
      continue;
    }
    if (startsWith(a, "-std=") || startsWith(a, "--std=") || a == "--std") {
      if (a == "--std") {
        if (in.empty())
          continue;
        v = pop();
      } else {
        v = a.substr(a.find('=') + 1);
      }
      if (v.find("++") == std::string::npos) {
        note("dropped -std=" + v + ": a C standard (the JIT compiles C++)");
        continue;
      }
      out.push_back("-std=" + v);
      continue;
    }
    if (valueOf(a, "-x", v)) {
      if (!missing && v != "c++" && v != "c++-header" && v != "c++-cpp-output")
        note("the build compiles this file as '" + v + "'; the JIT compiles it as C++");
      continue;
    }
    // Dependency files, outputs, link-only values.
    if (isDroppedWithValue(a)) {
      if (!in.empty())
        in.pop_front();
      continue;
    }
    if (a[1] == 'M' || startsWith(a, "-o") || startsWith(a, "-l") || startsWith(a, "-L") ||
        startsWith(a, "--param=") || startsWith(a, "--driver-mode=") ||
        startsWith(a, "-resource-dir=") || startsWith(a, "-save-temps") ||
        startsWith(a, "--save-temps") || isDroppedExact(a))
      continue;
    if (isKeptWithValue(a)) {
      out.push_back(a);
      if (!in.empty())
        out.push_back(pop());
      continue;
    }
    // -Wp,a,b: preprocessor flags, spliced in place (g++ passes them to cc1 as is; its -MD/-MMD
    // forms take the dependency file as an argument).
    if (startsWith(a, "-Wp,")) {
      std::vector<std::string> pieces = splitCommas(a.substr(4));
      if (!pieces.empty() && (pieces[0] == "-MD" || pieces[0] == "-MMD"))
        continue;
      if (++expansions > kMaxExpansions)
        continue;
      in.insert(in.begin(), pieces.begin(), pieces.end());
      continue;
    }
    // Warnings (incl. -Werror, -Wl, -Wa,) and pedantry: the JIT needs none of them.
    if (a[1] == 'W' || startsWith(a, "-pedantic") || startsWith(a, "--pedantic"))
      continue;
    // Optimization level and debug info are the engine's choice.
    if (a[1] == 'O' && a != "-ObjC" && a != "-ObjC++") {
      if (a == "-Ofast") {
        out.push_back("-ffast-math");
        note("-Ofast: kept its -ffast-math; the engine chooses the optimization level");
      }
      continue;
    }
    if (a[1] == 'g')
      continue;
    if (a[1] == 'f') {
      if (startsWith(a, "-fmax-errors=")) {
        out.push_back("-ferror-limit=" + a.substr(13));
        continue;
      }
      if (startsWith(a, "-fopenmp") || startsWith(a, "-fno-openmp")) {
        if (a == "-fopenmp-simd" || a == "-fno-openmp-simd") {
          out.push_back(a);
        } else if (a == "-fopenmp" || startsWith(a, "-fopenmp=")) {
          note("dropped " + a + ": the JIT does not link the OpenMP runtime; '#pragma omp' "
                                "is ignored");
        }
        continue;
      }
      if (isDeniedFFlag(a)) {
        if (startsWith(a, "-fsanitize="))
          note("dropped " + a + ": JIT code is not instrumented");
        continue;
      }
      out.push_back(a);
      continue;
    }
    if (a == "-m32" || a == "-m16" || a == "-mx32") {
      note("dropped " + a + ": the JIT only targets the host's 64-bit ABI");
      continue;
    }
    // -m*, -pthread, -nostdinc, -stdlib=, and anything unknown: clang will judge.
    out.push_back(a);
  }
  return out;
}

// ---- the database ------------------------------------------------------------------------

Result<CompileDatabase> CompileDatabase::load(const std::string &path) {
  try {
    std::string file = path;
    std::error_code ec;
    if (fs::is_directory(path, ec))
      file = (fs::path(path) / "compile_commands.json").string();
    std::string text;
    if (Status st = readWholeFile(file, text); !st.ok())
      return st;
    return fromJson(text, file);
  } catch (const std::exception &e) {
    return Status(ErrorCode::Internal, path + ": unexpected error: " + e.what());
  } catch (...) {
    return Status(ErrorCode::Internal, path + ": unexpected error while loading");
  }
}

Result<CompileDatabase> CompileDatabase::fromJson(const std::string &text,
                                                  const std::string &path) {
  try {
    Json doc;
    try {
      doc = Json::parse(text);
    } catch (const Json::parse_error &e) {
      // what() is "[json.exception.parse_error.101] parse error at line 1, column 2: <detail>";
      // keep the detail only: we lead with our own file:line:col.
      std::string what = e.what();
      std::size_t colon = what.find(": ");
      std::string detail = colon == std::string::npos ? what : what.substr(colon + 2);
      bool literal = detail.find("unexpected ") != std::string::npos &&
                     detail.find(" literal") != std::string::npos &&
                     detail.find("invalid literal") == std::string::npos;
      auto [line, column] = util::jsonErrorPosition(text, e.byte, literal);
      return Status(ErrorCode::ConfigError, path + ":" + std::to_string(line) + ":" +
                                                std::to_string(column) + ": " + detail);
    }
    if (!doc.is_array())
      return Status(ErrorCode::ConfigError,
                    path + ": expected a JSON array of compile commands at the top level, got " +
                        std::string(doc.is_discarded() ? "nothing" : doc.type_name()));

    CompileDatabase db;
    db.path_ = path;
    std::string dbDir = fs::path(resolvePath(fs::current_path().string(), path)).parent_path().string();

    struct Aggregated {
      std::string origin;
      std::size_t count = 0;
    };
    std::vector<std::string> noteOrder;
    std::map<std::string, Aggregated> noteCounts;
    std::map<std::size_t, std::vector<std::size_t>> duplicates; // index -> ignored entry numbers

    std::size_t number = 0;
    for (const Json &entry : doc) {
      ++number;
      std::string origin = path + " entry #" + std::to_string(number);
      if (!entry.is_object())
        return Status(ErrorCode::ConfigError,
                      origin + ": expected an object, got " + std::string(entry.type_name()));
      auto fileIt = entry.find("file");
      if (fileIt == entry.end())
        return Status(ErrorCode::ConfigError, origin + ": missing \"file\"");
      if (!fileIt->is_string())
        return Status(ErrorCode::ConfigError, origin + ": \"file\" must be a string, got " +
                                                  std::string(fileIt->type_name()));
      const std::string &rawFile = fileIt->get_ref<const std::string &>();
      if (rawFile.empty())
        return Status(ErrorCode::ConfigError, origin + ": \"file\" is empty");
      std::string label = origin + " (file '" + rawFile + "')";
      auto error = [&](const std::string &what) {
        return Status(ErrorCode::ConfigError, label + ": " + what);
      };
      auto mustBeString = [&](const char *key) -> Status {
        auto it = entry.find(key);
        if (it != entry.end() && !it->is_string())
          return error(std::string("\"") + key + "\" must be a string, got " + it->type_name());
        return Status();
      };

      auto dirIt = entry.find("directory");
      if (dirIt == entry.end())
        return error("missing \"directory\"");
      if (Status st = mustBeString("directory"); !st.ok())
        return st;
      if (dirIt->get_ref<const std::string &>().empty())
        return error("\"directory\" is empty");
      if (Status st = mustBeString("output"); !st.ok())
        return st;

      std::vector<std::string> args;
      auto argsIt = entry.find("arguments");
      auto cmdIt = entry.find("command");
      if (argsIt != entry.end()) {
        if (!argsIt->is_array())
          return error(std::string("\"arguments\" must be an array of strings, got ") +
                       argsIt->type_name());
        for (std::size_t i = 0; i < argsIt->size(); ++i) {
          const Json &arg = (*argsIt)[i];
          if (!arg.is_string())
            return error("\"arguments\"[" + std::to_string(i) + "] must be a string, got " +
                         arg.type_name());
          args.push_back(arg.get<std::string>());
        }
      } else if (cmdIt != entry.end()) {
        if (Status st = mustBeString("command"); !st.ok())
          return st;
        auto words = splitCommandLine(cmdIt->get_ref<const std::string &>());
        if (!words.ok())
          return error(words.status().message());
        args = std::move(words.value());
      } else {
        return error("neither \"arguments\" nor \"command\"");
      }

      CompileCommand cmd;
      cmd.directory = resolvePath(dbDir, dirIt->get_ref<const std::string &>());
      cmd.file = resolvePath(cmd.directory, rawFile);
      cmd.origin = origin;
      if (auto outIt = entry.find("output"); outIt != entry.end())
        cmd.output = resolvePath(cmd.directory, outIt->get_ref<const std::string &>());
      for (std::size_t i = 1; cmd.output.empty() && i < args.size(); ++i)
        if (args[i] == "-o" && i + 1 < args.size())
          cmd.output = resolvePath(cmd.directory, args[i + 1]);
        else if (args[i].size() > 2 && startsWith(args[i], "-o"))
          cmd.output = resolvePath(cmd.directory, args[i].substr(2));
      if (!cmd.output.empty())
        db.by_object_.emplace(cmd.output, cmd.file);
      std::vector<std::string> entryNotes;
      cmd.args = translateArguments(args, cmd.directory, cmd.file, &entryNotes);

      auto known = db.by_file_.find(cmd.file);
      if (known != db.by_file_.end()) {
        duplicates[known->second].push_back(number); // first entry in file order wins
        continue;
      }
      for (std::string &n : entryNotes) {
        auto [it, fresh] = noteCounts.try_emplace(n, Aggregated{origin, 0});
        if (fresh)
          noteOrder.push_back(n);
        ++it->second.count;
      }
      std::size_t index = db.commands_.size();
      db.by_file_.emplace(cmd.file, index);
      std::error_code ec;
      fs::path canonical = fs::weakly_canonical(cmd.file, ec);
      if (!ec)
        db.by_canonical_.emplace(canonical.string(), index);
      db.commands_.push_back(std::move(cmd));
    }

    for (const std::string &n : noteOrder) {
      const Aggregated &agg = noteCounts[n];
      std::string line = agg.origin + ": " + n;
      if (agg.count > 1)
        line += " (and " + std::to_string(agg.count - 1) + " more entr" +
                (agg.count == 2 ? "y" : "ies") + ")";
      db.notes_.push_back(std::move(line));
    }
    for (const auto &[index, ignored] : duplicates) {
      const CompileCommand &used = db.commands_[index];
      std::string line = path + ": file '" + used.file + "' appears " +
                         std::to_string(ignored.size() + 1) + " times; using entry #" +
                         used.origin.substr(used.origin.rfind('#') + 1) +
                         " (the first; ignored:";
      for (std::size_t i = 0; i < ignored.size(); ++i)
        line += (i ? ", #" : " #") + std::to_string(ignored[i]);
      db.notes_.push_back(line + ")");
    }
    return db;
  } catch (const std::exception &e) {
    return Status(ErrorCode::Internal, path + ": unexpected error: " + e.what());
  } catch (...) {
    return Status(ErrorCode::Internal, path + ": unexpected error while reading");
  }
}

const CompileCommand *CompileDatabase::find(const std::string &absolute_file) const {
  std::error_code ec;
  std::string cwd = fs::current_path(ec).string();
  std::string key = resolvePath(ec ? std::string() : cwd, absolute_file);
  if (auto it = by_file_.find(key); it != by_file_.end())
    return &commands_[it->second];
  fs::path canonical = fs::weakly_canonical(key, ec);
  if (!ec)
    if (auto it = by_canonical_.find(canonical.string()); it != by_canonical_.end())
      return &commands_[it->second];
  return nullptr;
}

std::string CompileDatabase::sourceOfObject(const std::string &absolute_object) const {
  auto it = by_object_.find(resolvePath("", absolute_object));
  return it == by_object_.end() ? std::string() : it->second;
}

std::vector<std::string> CompileDatabase::files() const {
  std::vector<std::string> out;
  out.reserve(by_file_.size());
  for (const auto &[file, index] : by_file_)
    out.push_back(file);
  return out;
}

} // namespace hot::eng
