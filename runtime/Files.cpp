//===- Files.cpp - Reading a user's files safely --------------------------===//
#include "nabla/runtime/Files.h"
#include "nabla/support/Error.h"

#include "llvm/Support/FileSystem.h"

namespace nabla {

namespace {

const char *describe(llvm::sys::fs::file_type type) {
  using llvm::sys::fs::file_type;
  switch (type) {
  case file_type::directory_file:
    return "a directory";
  case file_type::character_file:
    return "a character device";
  case file_type::block_file:
    return "a block device";
  case file_type::fifo_file:
    return "a pipe";
  case file_type::socket_file:
    return "a socket";
  default:
    return "not a plain file";
  }
}

} // namespace

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readRegularFile(llvm::StringRef path, uint64_t maxBytes, bool isText) {
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return makeError(ec.message());
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return makeError(llvm::Twine("not a regular file (") +
                     describe(status.type()) + ")");
  if (status.getSize() > maxBytes)
    return makeError("the file is " + llvm::Twine(status.getSize()) +
                     " bytes, more than the " + llvm::Twine(maxBytes) +
                     " this reader takes");
  auto buffer = llvm::MemoryBuffer::getFile(path, isText,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(buffer.getError().message());
  return std::move(*buffer);
}

llvm::Error flushOrError(llvm::raw_fd_ostream &os, const llvm::Twine &path) {
  os.flush();
  if (!os.has_error())
    return llvm::Error::success();
  std::error_code ec = os.error();
  os.clear_error();
  return makeError("error: cannot write '" + path + "': " + ec.message());
}

} // namespace nabla
