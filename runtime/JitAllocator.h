//===- JitAllocator.h - The heap of compiled code ---------------*- C++ -*-===//
//
// Compiled code allocates its temporaries with malloc and frees them
// before it returns, so a training step allocates and frees the same
// sizes every step. glibc returns large blocks to the kernel on free and
// takes them back on the next malloc, one page fault per 4 KiB: on W1
// that was a third of the step. The JIT binds compiled code's malloc and
// free to these instead, which keep freed blocks for the next request of
// the same size (up to a bound, beyond which they go back to glibc). Each
// thread keeps the last blocks it freed for itself, without a lock.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_JITALLOCATOR_H
#define NABLA_RUNTIME_JITALLOCATOR_H

#include <cstddef>

namespace nabla::jit {

void *allocate(size_t bytes);
void release(void *ptr);

/// Bytes held for reuse (freed by compiled code, not yet given back): in
/// the shared cache and in the calling thread's own.
size_t cachedBytes();

} // namespace nabla::jit

#endif // NABLA_RUNTIME_JITALLOCATOR_H
