// engine/: CMake's compile_commands.json -> per-file driver flags for the in-process frontend.
//
// Each entry ({"directory", "file", "arguments": [...]} or {"directory", "file", "command": "..."})
// is turned into flags for fe::CompileJob::args: include paths, defines, -std=, language -f flags
// and -m flags are kept (paths made absolute against "directory"); everything the JIT decides
// for itself (-O, -g, -fPIC), build-system plumbing (-o, -c, -MD -MF, -pipe, -fdiagnostics-*),
// warnings (-W*, -w, -pedantic), link-only flags (-l, -L, -Wl,) and a few g++-only flags clang
// rejects are dropped. See translateArguments() for the full list.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "hot/status.h"

namespace hot::eng {

/// How one source file is compiled, according to the database.
struct CompileCommand {
  std::string file;               ///< Absolute, lexically normalized.
  std::string directory;          ///< Absolute, normalized working directory of the entry.
  std::vector<std::string> args;  ///< Translated driver flags: no compiler, no input, no -o/-c.
  std::string origin;             ///< "<database path> entry #12" (1-based), for messages.
  /// The object file the entry writes (its "output", else its -o), absolute and normalized;
  /// "" when the entry names none. Lets a build's link lines be matched to the units.
  std::string output;
};

/// A loaded compile_commands.json. Immutable after load; safe to read from several threads.
class CompileDatabase {
public:
  CompileDatabase() = default;

  /// Reads and translates `path` (a compile_commands.json, or a directory holding one).
  /// Unreadable file -> IoError naming the path. Malformed content -> ConfigError naming
  /// "<path>:LINE:COL" (JSON syntax) or "<path> entry #N (file 'x.cpp')" (bad entry).
  /// Never throws.
  static Result<CompileDatabase> load(const std::string &path);
  /// Same, from text already read. `path` is used in messages and to resolve a relative
  /// "directory" (against the database's own folder).
  static Result<CompileDatabase> fromJson(const std::string &text, const std::string &path);

  /// The command for `absolute_file` (normalized before lookup; a path reaching the same file
  /// through a symlink also matches), or null when the database does not list it.
  const CompileCommand *find(const std::string &absolute_file) const;
  /// Every source file, absolute, sorted, unique.
  std::vector<std::string> files() const;
  /// The source file whose entry writes the object `absolute_object` (normalized), or "".
  /// Entries ignored as duplicates count too: one source built by two targets writes two
  /// objects.
  std::string sourceOfObject(const std::string &absolute_object) const;
  /// Things a user may want to know: duplicated files ("file X appears 2 times; using entry
  /// #3 (ignored: #7)"), dropped flags that change behaviour (-fopenmp, -fsanitize=, -m32),
  /// missing response files, extra inputs. Notes repeated across entries are reported once
  /// with a count. Only notes from the entries actually used are kept.
  const std::vector<std::string> &notes() const { return notes_; }
  /// The database path as given to load() (or fromJson()).
  const std::string &path() const { return path_; }
  std::size_t size() const { return commands_.size(); }

private:
  std::string path_;
  std::vector<CompileCommand> commands_;                     ///< One per file, in file order.
  std::map<std::string, std::size_t> by_file_;               ///< Normalized path -> index.
  std::unordered_map<std::string, std::size_t> by_canonical_; ///< Symlink-resolved -> index.
  std::unordered_map<std::string, std::string> by_object_;   ///< Output object -> file.
  std::vector<std::string> notes_;
};

/// Splits a "command" string the way a POSIX shell would (no expansion): whitespace separates
/// words; '...' is literal; "..." is literal except \" \\ \$ \` and \<newline>; outside quotes
/// a backslash escapes the next character. Adjacent pieces join ("-DX="a b"" -> -DX=a b).
/// Unterminated quote or trailing backslash -> ConfigError (message without origin).
Result<std::vector<std::string>> splitCommandLine(const std::string &command);

/// Translates a g++/clang++ command line (args[0] is the compiler; a ccache/sccache/distcc
/// launcher before it is skipped too) into flags for the in-process frontend. `directory` is
/// the absolute working directory; `file` the absolute input (dropped from the output).
///
/// Kept: -I -isystem -iquote -idirafter -isysroot --sysroot (paths made absolute; "-Ifoo" and
/// "-I foo" both accepted), -include/-imacros (absolute when the file exists in `directory`),
/// -D -U (joined), -std= (C standards dropped: the JIT compiles C++), -f flags not in the deny
/// list, -m flags (except -m32/-m16/-mx32), -pthread, -Xclang/-mllvm/-target pairs, unknown
/// flags starting with '-' (clang will diagnose them).
/// Dropped: the compiler, inputs, -o -c -S -E -x, -M* (-MF/-MT/-MQ/-MJ with their value),
/// -O* (-Ofast becomes -ffast-math), -g*, -W* -w -pedantic*, -pipe -v -H -save-temps,
/// link-only (-l -L -Wl, -Xlinker -shared -static* -rdynamic -pie -no-pie -nostdlib ...),
/// --driver-mode=, -include-pch (also as -Xclang pairs), and -f flags (or their -fno- form):
/// -fpic/-fPIC/-fpie/-fPIE (the frontend adds -fPIC), -fdiagnostics-*, -fcolor-diagnostics,
/// -fmessage-length=, -fprofile-*, -fcoverage*, -ftest-coverage, --coverage, -fdebug-*,
/// -ffile-prefix-map=, -fmacro-prefix-map=, -flto*, -ffat-lto-objects, -fsanitize* (noted),
/// -fuse-ld=, -fmodules*/-fmodule-*/-fdeps-* (C++20 module plumbing), -fopenmp (noted; the
/// OpenMP runtime is not linked; -fopenmp-simd is kept), -fpch-*, -ftime-*, -fdump-*, and
/// g++-only flags clang rejects: -fconcepts*, -fno-gnu-unique, -f(no-)ext-numeric-literals,
/// -fno-canonical-system-headers, -fipa-*, -ftree-*, -fgcse*, -fvar-tracking*,
/// -ftrack-macro-expansion*, -fstack-usage, -fcallgraph-info*, -fopt-info*,
/// -frecord-gcc-switches, -fuse-linker-plugin. -fmax-errors=N becomes -ferror-limit=N.
/// -Wp,a,b is expanded to a b (its -MD/-MMD forms dropped); @file is expanded in place
/// (relative to `directory`, shell quoting, nested up to 16 levels); a missing one is noted.
/// Notes go to `notes` (may be null). Throws nothing.
std::vector<std::string> translateArguments(const std::vector<std::string> &args,
                                            const std::string &directory,
                                            const std::string &file,
                                            std::vector<std::string> *notes);

} // namespace hot::eng
