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

} // namespace

void *allocate(size_t bytes) {
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

size_t cachedBytes() {
  Cache &c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.cached;
}

} // namespace nabla::jit
