//===- JitAllocator.cpp - The heap of compiled code -----------------------===//
#include "runtime/JitAllocator.h"

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace nabla::jit {

namespace {

/// Freed blocks are kept up to this many bytes in all; past it, a freed
/// block goes back to glibc (a process that compiles many models with
/// different shapes does not hoard memory).
constexpr size_t kMaxCachedBytes = size_t{1} << 30;

/// Each block starts with a header holding its size; the pointer handed
/// out follows it, 16-byte aligned as malloc's are.
struct alignas(16) Header {
  size_t bytes;
};

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<Header *>> free; // by size
  size_t cached = 0;
};

Cache &cache() {
  // Never destroyed: compiled code may free after static destructors ran.
  static Cache *instance = new Cache();
  return *instance;
}

/// Puts a freed block in the shared cache, or back to glibc past the bound.
void releaseShared(Header *h) {
  Cache &c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.cached + h->bytes <= kMaxCachedBytes) {
      c.free[h->bytes].push_back(h);
      c.cached += h->bytes;
      return;
    }
  }
  std::free(h);
}

/// The blocks one thread freed last, reused by it without the lock. A
/// fused kernel's parallel loop allocates each tile's temporaries in every
/// iteration: through the one mutex, two OpenMP threads took turns (a
/// tenth of W7's step at 2 threads went to the lock and the allocator).
struct LocalCache {
  static constexpr int kSlots = 32;
  static constexpr size_t kMaxBytes = size_t{256} << 20;
  Header *blocks[kSlots];
  int count = 0;
  size_t bytes = 0;

  Header *take(size_t size) {
    for (int i = count - 1; i >= 0; --i)
      if (blocks[i]->bytes == size) {
        Header *h = blocks[i];
        blocks[i] = blocks[--count];
        bytes -= size;
        return h;
      }
    return nullptr;
  }
  bool keep(Header *h) {
    if (count == kSlots || bytes + h->bytes > kMaxBytes)
      return false;
    blocks[count++] = h;
    bytes += h->bytes;
    return true;
  }
  // A thread that ends hands its blocks to the shared cache.
  ~LocalCache() {
    for (int i = 0; i < count; ++i)
      releaseShared(blocks[i]);
  }
};

thread_local LocalCache local;

} // namespace

void *allocate(size_t bytes) {
  if (Header *h = local.take(bytes))
    return h + 1;
  Cache &c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free.find(bytes);
    if (it != c.free.end() && !it->second.empty()) {
      Header *h = it->second.back();
      it->second.pop_back();
      c.cached -= bytes;
      return h + 1;
    }
  }
  auto *h = static_cast<Header *>(std::malloc(sizeof(Header) + bytes));
  if (!h)
    return nullptr;
  h->bytes = bytes;
  return h + 1;
}

void release(void *ptr) {
  if (!ptr)
    return;
  Header *h = static_cast<Header *>(ptr) - 1;
  if (!local.keep(h))
    releaseShared(h);
}

size_t cachedBytes() {
  Cache &c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.cached + local.bytes;
}

} // namespace nabla::jit
