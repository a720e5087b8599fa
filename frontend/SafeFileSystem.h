// frontend/: the file system every compile reads through. Private to the frontend.
#pragma once

#include "llvm/ADT/IntrusiveRefCntPtr.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/VirtualFileSystem.h"

#include <memory>

namespace hot::fe::detail {

/// Headers and sources larger than this are not read (a runaway generated file).
constexpr std::uint64_t kMaxIncludedFileBytes = 64ull << 20;

/// The real file system, except that a FIFO, device or socket (`#include "/dev/stdin"` while
/// the program's stdin is a pipe, `#include "/dev/zero"`) or a file over
/// kMaxIncludedFileBytes is never opened: reading one would block forever or exhaust memory.
/// Clang sees a one-line file with an `#error` naming it instead, so the user gets a located
/// error ("In file included from a.cpp:3: /dev/zero:1:2: error: ...") and the compile ends.
llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> safeFileSystem();

/// llvm::MemoryBuffer::getFile() for the frontend's own reads (hashing headers, re-reading a
/// file for an outline or a diagnostic): fails with `invalid_argument` instead of reading
/// anything safeFileSystem() refuses.
llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> readFileSafely(const llvm::Twine &path,
                                                                  bool is_text = false,
                                                                  bool null_terminated = true);

} // namespace hot::fe::detail
