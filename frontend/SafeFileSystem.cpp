#include "frontend/SafeFileSystem.h"

#include "llvm/Support/MemoryBuffer.h"

#include <string>

namespace hot::fe::detail {
namespace {

using llvm::sys::fs::file_type;

/// Why `st` must not be read, or "" if it may.
std::string refusal(const llvm::vfs::Status &st) {
  switch (st.getType()) {
  case file_type::regular_file:
    if (st.getSize() <= kMaxIncludedFileBytes) return "";
    return "is " + std::to_string(st.getSize() >> 20) + " MiB, over the " +
           std::to_string(kMaxIncludedFileBytes >> 20) + " MiB limit for a source file";
  case file_type::fifo_file: return "is a FIFO, not a regular file: hotengine never reads it";
  case file_type::socket_file: return "is a socket, not a regular file: hotengine never reads it";
  case file_type::block_file:
  case file_type::character_file:
    return "is a device, not a regular file: hotengine never reads it";
  default: return "";
  }
}

/// `text` inside a string literal on one line.
std::string quoted(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += (c == '\n' || c == '\r') ? '?' : c;
  }
  return out + "\"";
}

/// A stand-in for a refused file: one `#error` line that says why.
class RefusedFile : public llvm::vfs::File {
public:
  RefusedFile(const llvm::vfs::Status &real, const std::string &name, const std::string &why)
      : text_("#error " + quoted(name + " " + why) + "\n"),
        status_(name, real.getUniqueID(), real.getLastModificationTime(), real.getUser(),
                real.getGroup(), text_.size(), file_type::regular_file, real.getPermissions()) {}
  llvm::ErrorOr<llvm::vfs::Status> status() override { return status_; }
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> getBuffer(const llvm::Twine &name, int64_t,
                                                               bool, bool) override {
    return llvm::MemoryBuffer::getMemBufferCopy(text_, name);
  }
  std::error_code close() override { return {}; }

private:
  std::string text_;
  llvm::vfs::Status status_;
};

class SafeFileSystem : public llvm::vfs::ProxyFileSystem {
public:
  SafeFileSystem() : ProxyFileSystem(llvm::vfs::getRealFileSystem()) {}

  /// A refused file looks like the small regular file that stands in for it.
  llvm::ErrorOr<llvm::vfs::Status> status(const llvm::Twine &path) override {
    auto st = ProxyFileSystem::status(path);
    if (!st || refusal(*st).empty()) return st;
    return RefusedFile(*st, path.str(), refusal(*st)).status();
  }

  llvm::ErrorOr<std::unique_ptr<llvm::vfs::File>> openFileForRead(const llvm::Twine &path) override {
    // stat() before open(): opening a FIFO blocks until someone writes to it.
    auto st = ProxyFileSystem::status(path);
    if (st)
      if (std::string why = refusal(*st); !why.empty())
        return std::unique_ptr<llvm::vfs::File>(new RefusedFile(*st, path.str(), why));
    return ProxyFileSystem::openFileForRead(path);
  }
};

} // namespace

llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> readFileSafely(const llvm::Twine &path,
                                                                  bool is_text,
                                                                  bool null_terminated) {
  auto st = llvm::vfs::getRealFileSystem()->status(path);
  if (!st) return st.getError();
  if (!refusal(*st).empty() || st->getType() != file_type::regular_file)
    return std::make_error_code(std::errc::invalid_argument);
  return llvm::MemoryBuffer::getFile(path, is_text, null_terminated);
}

llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> safeFileSystem() {
  return llvm::makeIntrusiveRefCnt<SafeFileSystem>();
}

} // namespace hot::fe::detail
