// engine/: small helpers shared by the engine's files.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace hot::util {

/// Reads a whole file; false if it cannot be read.
bool readFile(const std::string &path, std::string &out);
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

} // namespace hot::util
