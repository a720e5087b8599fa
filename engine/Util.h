// engine/: small helpers shared by the engine's files.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hot::util {

/// Source and config files larger than this are refused (a runaway generated file, /dev/zero
/// behind a symlink): reading them would only exhaust memory.
constexpr std::uint64_t kMaxSourceBytes = 64ull << 20;
/// Reads a whole regular file of at most kMaxSourceBytes; never blocks on a FIFO or device.
/// On failure returns false and, if `why` is given, says why ("permission denied", "is a
/// FIFO, not a regular file: it is never read", ...).
bool readFile(const std::string &path, std::string &out, std::string *why = nullptr);
/// Why `path` cannot be read as a source file, in the words readFile() uses.
std::string pathProblem(const std::string &path);
/// Hex of a 64-bit content hash.
std::string hashText(const std::string &text);
/// Line and column (1-based) of the first whole-word occurrence of `ident`, or {0,0}.
std::pair<unsigned, unsigned> findIdentifier(const std::string &text, const std::string &ident);
std::int64_t nowMs();
/// Milliseconds of the steady clock since `t`.
inline double msSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}
/// Line and column (1-based) of a JSON parse error that nlohmann reports as `bytesRead` (the
/// end of the offending token). With `unexpectedLiteral` ("unexpected string/number/...
/// literal" errors, where the whole token was read) it is where that token starts.
std::pair<std::size_t, std::size_t> jsonErrorPosition(const std::string &text, std::size_t bytesRead,
                                                      bool unexpectedLiteral = false);
/// Lexically normalized absolute path.
std::string absolutePath(const std::string &path);
/// The shared libraries a GNU ld script names in GROUP/INPUT (AS_NEEDED ones too), or nothing
/// if `path` is not a script. Debian's libm.so and libc.so are scripts: dlopen cannot read
/// them, a native link follows them.
std::vector<std::string> linkerScriptInputs(const std::string &path);

} // namespace hot::util
