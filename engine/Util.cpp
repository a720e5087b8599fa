#include "engine/Util.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llvm/Support/xxhash.h"

namespace hot::util {

namespace {
std::string describeErrno(int err) {
  switch (err) {
  case ENOENT: return "no such file (deleted?)";
  case EACCES:
  case EPERM: return "permission denied";
  case ELOOP: return "is a symlink loop";
  case ENOTDIR: return "a part of its path is not a folder";
  default: return std::strerror(err);
  }
}

std::string notRegular(mode_t mode) {
  if (S_ISFIFO(mode)) return "is a FIFO, not a regular file: it is never read";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "is a device, not a regular file: it is never read";
  if (S_ISSOCK(mode)) return "is a socket, not a regular file: it is never read";
  if (S_ISDIR(mode)) return "is a folder";
  return "is not a regular file";
}
} // namespace

bool readFile(const std::string &path, std::string &out, std::string *why) {
  auto fail = [&](std::string reason) {
    if (why) *why = std::move(reason);
    return false;
  };
  // O_NONBLOCK: opening a FIFO must not wait for a writer; anything but a regular file is
  // refused before a byte is read.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return fail(describeErrno(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int err = errno;
    ::close(fd);
    return fail(S_ISREG(st.st_mode) ? describeErrno(err) : notRegular(st.st_mode));
  }
  if (std::uint64_t(st.st_size) > kMaxSourceBytes) {
    ::close(fd);
    return fail("is " + std::to_string(st.st_size >> 20) + " MiB, over the " +
                std::to_string(kMaxSourceBytes >> 20) + " MiB limit for a source file");
  }
  std::string text;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) break;
    text.append(buf, size_t(n));
    if (text.size() > kMaxSourceBytes) break; // grew while we read
  }
  ::close(fd);
  if (text.size() > kMaxSourceBytes) return fail("grew past the source size limit while read");
  out = std::move(text);
  return true;
}

std::string pathProblem(const std::string &path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return describeErrno(errno);
  if (!S_ISREG(st.st_mode)) return notRegular(st.st_mode);
  if (::access(path.c_str(), R_OK) != 0) return describeErrno(errno);
  return "cannot be read";
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

/// The shared libraries a GNU ld script names in GROUP/INPUT (AS_NEEDED ones too), or nothing
/// if `path` is not a script. Debian's libm.so and libc.so are scripts: dlopen cannot read
/// them, a native link follows them.
std::vector<std::string> linkerScriptInputs(const std::string &path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec || size > (1u << 16)) return {}; // a script is a few lines; a library is not read
  std::string text;
  if (!readFile(path, text) || text.size() > (1u << 16) || text.find('\0') != text.npos)
    return {};
  if (text.find("GROUP") == text.npos && text.find("INPUT") == text.npos) return {};
  std::vector<std::string> out;
  std::string token;
  auto flush = [&] {
    if (token.find(".so") != token.npos && (token[0] == '/' || token.rfind("lib", 0) == 0))
      out.push_back(token);
    token.clear();
  };
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == ',') flush();
    else token += c;
  }
  flush();
  return out;
}

} // namespace hot::util
