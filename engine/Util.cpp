#include "engine/Util.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "llvm/Support/xxhash.h"

namespace hot::util {

bool readFile(const std::string &path, std::string &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

std::string hashText(const std::string &text) {
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(llvm::xxh3_64bits(text)));
  return buf;
}

static bool isIdent(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::pair<unsigned, unsigned> findIdentifier(const std::string &text, const std::string &ident) {
  if (ident.empty()) return {0, 0};
  for (size_t pos = text.find(ident); pos != std::string::npos; pos = text.find(ident, pos + 1)) {
    bool start = pos == 0 || !isIdent(text[pos - 1]);
    bool end = pos + ident.size() >= text.size() || !isIdent(text[pos + ident.size()]);
    if (!start || !end) continue;
    unsigned line = 1 + unsigned(std::count(text.begin(), text.begin() + long(pos), '\n'));
    size_t bol = text.rfind('\n', pos);
    unsigned col = unsigned(pos - (bol == std::string::npos ? 0 : bol + 1)) + 1;
    return {line, col};
  }
  return {0, 0};
}

std::int64_t nowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string absolutePath(const std::string &path) {
  std::error_code ec;
  auto p = std::filesystem::absolute(path, ec);
  return (ec ? std::filesystem::path(path) : p).lexically_normal().string();
}

/// nlohmann reports the position as a count of bytes read, i.e. the end of the offending
/// token; users want the line:column where that token starts. `unexpectedLiteral` is true for
/// "unexpected string/number/true/false/null literal" errors, where the whole token was read.
std::pair<std::size_t, std::size_t> jsonErrorPosition(const std::string &text, std::size_t bytesRead,
                                                      bool unexpectedLiteral) {
  std::size_t pos = std::min(bytesRead == 0 ? 0 : bytesRead - 1, text.size());
  if (unexpectedLiteral && pos < text.size()) {
    if (text[pos] == '"') { // back to the opening quote (skipping escaped ones)
      for (std::size_t j = pos; j-- > 0;) {
        std::size_t slashes = 0;
        while (slashes < j && text[j - 1 - slashes] == '\\')
          ++slashes;
        if (text[j] == '"' && slashes % 2 == 0) {
          pos = j;
          break;
        }
      }
    } else {
      auto inToken = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-';
      };
      while (pos > 0 && inToken(text[pos - 1]))
        --pos;
    }
  }
  std::size_t line = 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + long(pos), '\n'));
  std::size_t newline = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
  std::size_t column = pos - (newline == std::string::npos ? 0 : newline + 1) + 1;
  return {line, column};
}

} // namespace hot::util
