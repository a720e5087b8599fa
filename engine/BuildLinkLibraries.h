// engine/: the link libraries of a CMake build. When compile_commands.json sits in a CMake build
// folder (CMakeCache.txt next to it), the build knows how the program is linked: each linked
// target's command is in CMakeFiles/<target>.dir/link.txt (Unix Makefiles, and any generator
// that writes link.txt) or in a link statement of build.ninja (Ninja, Ninja Multi-Config:
// LINK_LIBRARIES, LINK_PATH, LINK_FLAGS). planBuildLibraries() finds the executable the units
// make up (its objects are the database's outputs for those units) and lists the libraries it
// links, leaving out the libraries built in the same tree whose sources are units themselves:
// their code is already JIT code and must not be loaded a second time.
#pragma once

#include <string>
#include <vector>

namespace hot::eng {

class CompileDatabase;

/// One library argument of a link line, in link order.
struct LinkInput {
  enum class Kind { Name, Path };
  Kind kind = Kind::Path;
  /// "z" for -lz, ":libz.so.1" for -l:libz.so.1; for a path, absolute and normalized.
  std::string value;
  bool prefer_static = false; ///< After -Wl,-Bstatic or -static: -lNAME means libNAME.a.
  bool whole_archive = false; ///< Between -Wl,--whole-archive and -Wl,--no-whole-archive.
  bool operator==(const LinkInput &) const = default;
};

/// What one compiler-driver link command links.
struct LinkLine {
  std::string output;                    ///< After -o: absolute ("" if none).
  std::vector<std::string> objects;      ///< .o/.obj/.lo inputs: absolute.
  std::vector<LinkInput> inputs;         ///< Libraries, in order.
  std::vector<std::string> library_dirs; ///< -L (also -Wl,-L): absolute.
  /// -Wl,-rpath / -rpath-link / -R dirs: absolute, $ORIGIN replaced by the output's folder.
  std::vector<std::string> rpath;
  bool shared = false;                   ///< -shared.
};

/// Parses the words of a link command run in `cwd` (words[0] is the driver, or a launcher
/// followed by it). @file arguments are read in place (relative to `cwd`, at most 64 per command).
/// Ignored without a word, as they change nothing the JIT does: compile and code-generation
/// flags (-O2, -g, -fPIC, -m64, -fuse-ld=...), -rdynamic, -pthread (glibc has it built in),
/// and linker options that do not name libraries (-Wl,--as-needed, -Wl,-z,relro,
/// -Wl,-soname,..., -Wl,--gc-sections, --version-script, -T script, ...).
LinkLine parseLinkCommand(const std::vector<std::string> &words, const std::string &cwd);

/// A linked target of a CMake build (not an object library, a module or a utility).
struct BuildTarget {
  enum class Kind { Executable, SharedLibrary, StaticLibrary };
  std::string name;
  Kind kind = Kind::Executable;
  std::string origin;               ///< The link.txt path, or "<build>/build.ninja:LINE".
  LinkLine link;                    ///< A static library: output and objects only.
  std::vector<std::string> aliases; ///< Other paths of the output (libfoo.so for libfoo.so.1.2).
};

/// Every linked target of the CMake build folder `build_dir`: from the link.txt of each target
/// folder (CMakeFiles/TargetDirectories.txt, else a bounded walk of the tree), then from
/// build.ninja and the files it includes. Files that cannot be read are skipped (`notes` says
/// which, if not null).
std::vector<BuildTarget> readBuildTargets(const std::string &build_dir,
                                          std::vector<std::string> *notes);

/// True if `source` (a C or C++ file's text) appears to define main(): `int main(`,
/// `auto main(` or `signed main(` outside comments and strings.
bool definesMain(const std::string &source);

/// What to load for the program the units make up.
struct BuildLibraries {
  std::string build_dir;      ///< The CMake build folder ("" when the database is not in one).
  std::string target, origin; ///< The chosen executable and its link.txt / build.ninja line.
  std::string why;            ///< Why it was chosen over `others` ("" when it is the only one).
  std::vector<std::string> others;       ///< Other executables that link some of the units.
  std::vector<LinkInput> load;           ///< In link order.
  std::vector<std::string> library_dirs; ///< The link line's -L dirs.
  std::vector<std::string> rpath;        ///< Its rpath dirs (where its libraries' own needs are).
  std::vector<std::string> already_units; ///< Built here, every source a unit: not loaded.
  std::vector<std::string> notes;         ///< Partly-unit libraries, objects that are no unit...
};

/// The database's CMake build folder (CMakeCache.txt next to the database, also through a
/// symlinked compile_commands.json), the executable whose objects are the units' (several:
/// the one linking the unit that defines main(), then the one linking the most units, then the
/// first by name), and the libraries its link line names. `units` are absolute paths.
BuildLibraries planBuildLibraries(const CompileDatabase &db, const std::vector<std::string> &units);

/// `path` relative to `dir` when inside it, else `path` (for messages).
std::string shortPath(const std::string &path, const std::string &dir);

} // namespace hot::eng
