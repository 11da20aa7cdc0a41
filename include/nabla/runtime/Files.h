//===- Files.h - Reading a user's files safely ------------------*- C++ -*-===//
//
// Every file nabla reads (a .nb source, data, a checkpoint, a compile cache
// entry) is named by a user or by the file system, and may be a
// directory, a device that never ends (/dev/zero), a FIFO or a symlink to
// one. Readers go through here: only a regular file is read, and only up
// to a size limit, so such a path ends in an error instead of a hang or
// running out of memory.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_FILES_H
#define NABLA_RUNTIME_FILES_H

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <limits>
#include <memory>

namespace nabla {

/// The contents of `path` (symlinks followed) when it is a regular file of
/// at most `maxBytes`; otherwise an error saying why ("not a regular file
/// (a character device)", "is 3.2 GB, more than ..."), without the path:
/// callers name the file their way.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readRegularFile(llvm::StringRef path,
                uint64_t maxBytes = std::numeric_limits<uint64_t>::max(),
                bool isText = false);

/// Flushes `os`. A write that failed (a full disk, /dev/full) becomes an
/// error naming `path` and the cause, and is cleared: an unchecked stream
/// error otherwise aborts the process with "LLVM ERROR: IO failure".
llvm::Error flushOrError(llvm::raw_fd_ostream &os, const llvm::Twine &path);

} // namespace nabla

#endif // NABLA_RUNTIME_FILES_H
