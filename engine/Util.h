// engine/: small helpers shared by the engine's files.
#pragma once

#include <chrono>
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
/// Lexically normalized absolute path.
std::string absolutePath(const std::string &path);

} // namespace hot::util
