// engine/: which library on this system defines a symbol nothing linked defines, so that an
// unresolved-symbol error can say what to add ("defined by /usr/lib/x86_64-linux-gnu/libz.so:
// add -l z") instead of leaving the user to guess.
//
// The index covers the shared libraries (lib*.so, lib*.so.N...) of the system library folders
// (/usr/lib/x86_64-linux-gnu, /lib/x86_64-linux-gnu, /usr/local/lib, /lib, /usr/lib) and of
// every -L folder registered with addLibrarySearchDirs(). It is built once per process, on the
// first query (a link error), from each library's dynamic symbol table, and bounded in time:
// a folder not indexed within the budget is not searched. Unreadable files are skipped. It
// keeps a 32-bit hash per symbol (a few MB for the ~400k symbols of a full Debian system) and
// confirms a hit against the library's symbol table before naming it.
#pragma once

#include <string>
#include <vector>

namespace hot::eng {

/// Folders to search besides the system ones (the -L dirs of an engine). Safe from any
/// thread; a folder added after the index was built is indexed at the next query.
void addLibrarySearchDirs(const std::vector<std::string> &dirs);

/// " (defined by /usr/lib/x86_64-linux-gnu/libz.so: add -l z)" when a library in the searched
/// folders defines `symbol` (the raw, mangled name) in its dynamic symbol table, else "". A
/// library that `-l NAME` finds (a lib<NAME>.so development link or linker script) is
/// preferred; one reachable only as libNAME.so.N is named by path ("add -l <path>").
std::string libraryHint(const std::string &symbol);

} // namespace hot::eng
