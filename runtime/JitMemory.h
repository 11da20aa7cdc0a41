//===- JitMemory.h - Where compiled code is placed -------------*- C++ -*-===//
//
// The JIT compiles for x86-64's small code model: a call to another
// function of the module is one `call rel32`, and a constant is read
// relative to the instruction pointer. LLVM's default for a JIT is the
// large code model, which loads every callee's address with a 64-bit move
// first; a deep model's step calls its kernels thousands of times, and
// LLVM's register allocation drowned in those addresses: llc-22 generates
// the 1000-layer step's code (the same optimized IR) in 24 s in the large
// model, 5.4 s in the small one.
//
// The small model needs every section of the module within 2 GiB of each
// other. mlir::ExecutionEngine links with RuntimeDyld, whose
// SectionMemoryManager maps code, read-only and writable data separately
// wherever the kernel puts them, possibly beyond a large tensor's mapping.
// NearMemoryMapper hands out pages from one reservation per engine instead.
// Calls out of the module (libm, OpenMP, the allocator) go through
// RuntimeDyld's stubs, which hold a 64-bit address.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_JITMEMORY_H
#define NABLA_RUNTIME_JITMEMORY_H

#include "llvm/ExecutionEngine/SectionMemoryManager.h"

#include <cstddef>
#include <mutex>

namespace nabla::jit {

class NearMemoryMapper : public llvm::SectionMemoryManager::MemoryMapper {
public:
  /// Reserves address space (not memory) for one engine's sections.
  NearMemoryMapper();
  ~NearMemoryMapper() override;

  llvm::sys::MemoryBlock
  allocateMappedMemory(llvm::SectionMemoryManager::AllocationPurpose purpose,
                       size_t bytes, const llvm::sys::MemoryBlock *near,
                       unsigned flags, std::error_code &error) override;
  std::error_code protectMappedMemory(const llvm::sys::MemoryBlock &block,
                                      unsigned flags) override;
  std::error_code releaseMappedMemory(llvm::sys::MemoryBlock &block) override;

private:
  char *base = nullptr;
  size_t reservedBytes = 0;
  size_t used = 0;
  std::mutex mutex;
};

} // namespace nabla::jit

#endif // NABLA_RUNTIME_JITMEMORY_H
