//===- JitMemory.cpp - One reservation for an engine's sections -----------===//
//
// Pages are handed out in order and never reused: an engine compiles one
// module, and its sections are freed together when it is destroyed.
//
//===----------------------------------------------------------------------===//
#include "runtime/JitMemory.h"

#include "llvm/Support/Process.h"

#include <sys/mman.h>

namespace nabla::jit {
namespace {

/// Address space per engine: far more than any model's code (the object of
/// the 1000-layer step is 0.7 MiB), and within the small code model's
/// 2 GiB. Where a limit on address space (ulimit -v) refuses that much,
/// halves of it, down to the least.
constexpr size_t kReservedBytes = size_t(256) << 20;
constexpr size_t kLeastReservedBytes = size_t(16) << 20;

} // namespace

NearMemoryMapper::NearMemoryMapper() {
  for (size_t bytes = kReservedBytes; bytes >= kLeastReservedBytes;
       bytes /= 2) {
    void *reserved = ::mmap(nullptr, bytes, PROT_NONE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (reserved != MAP_FAILED) {
      base = static_cast<char *>(reserved);
      reservedBytes = bytes;
      return;
    }
  }
}

NearMemoryMapper::~NearMemoryMapper() {
  if (base)
    ::munmap(base, reservedBytes);
}

llvm::sys::MemoryBlock NearMemoryMapper::allocateMappedMemory(
    llvm::SectionMemoryManager::AllocationPurpose, size_t bytes,
    const llvm::sys::MemoryBlock *, unsigned flags, std::error_code &error) {
  size_t page = llvm::sys::Process::getPageSizeEstimate();
  size_t rounded = (bytes + page - 1) / page * page;
  std::lock_guard<std::mutex> lock(mutex);
  if (!base || rounded > reservedBytes - used) {
    error = std::make_error_code(std::errc::not_enough_memory);
    return {};
  }
  llvm::sys::MemoryBlock block(base + used, rounded);
  used += rounded;
  error = llvm::sys::Memory::protectMappedMemory(block, flags);
  if (error)
    return {};
  return block;
}

std::error_code
NearMemoryMapper::protectMappedMemory(const llvm::sys::MemoryBlock &block,
                                      unsigned flags) {
  return llvm::sys::Memory::protectMappedMemory(block, flags);
}

std::error_code
NearMemoryMapper::releaseMappedMemory(llvm::sys::MemoryBlock &block) {
  // The pages go back to the kernel; the addresses stay reserved.
  if (::mmap(block.base(), block.allocatedSize(), PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
             0) == MAP_FAILED)
    return std::error_code(errno, std::generic_category());
  block = llvm::sys::MemoryBlock();
  return {};
}

} // namespace nabla::jit
