//===- AllReduce.cpp - A data-parallel step's buckets, averaged aside -----===//
#include "nabla/runtime/AllReduce.h"

#include <chrono>
#include <cstring>

namespace nabla {

namespace {

thread_local BucketReducer *active = nullptr;

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// A ranked memref's descriptor as MLIR lays it out: the allocated and
/// aligned pointers, the offset, then `rank` sizes and `rank` strides (all
/// in elements).
struct Descriptor {
  char *allocated;
  char *aligned;
  int64_t offset;
  int64_t sizesAndStrides[1];
};

/// Copies between the memref described by (rank, descriptor) and the
/// dense row-major `dense`, in the direction `toDense` says.
void copyStrided(int64_t rank, void *descriptor, char *dense,
                 size_t elementBytes, bool toDense) {
  auto *d = static_cast<Descriptor *>(descriptor);
  const int64_t *sizes = d->sizesAndStrides;
  const int64_t *strides = d->sizesAndStrides + rank;
  char *base = d->aligned + d->offset * int64_t(elementBytes);
  int64_t count = 1, expected = 1;
  bool rowMajor = true;
  for (int64_t i = rank - 1; i >= 0; --i) {
    rowMajor = rowMajor && (sizes[i] == 1 || strides[i] == expected);
    expected *= sizes[i];
    count *= sizes[i];
  }
  if (rowMajor) {
    size_t bytes = size_t(count) * elementBytes;
    toDense ? std::memcpy(dense, base, bytes) : std::memcpy(base, dense, bytes);
    return;
  }
  std::vector<int64_t> index(size_t(rank), 0);
  for (int64_t n = 0; n < count; ++n) {
    int64_t at = 0;
    for (int64_t i = 0; i < rank; ++i)
      at += index[i] * strides[i];
    char *element = base + at * int64_t(elementBytes);
    char *packed = dense + n * int64_t(elementBytes);
    toDense ? std::memcpy(packed, element, elementBytes)
            : std::memcpy(element, packed, elementBytes);
    for (int64_t i = rank - 1; i >= 0 && ++index[i] == sizes[i]; --i)
      index[i] = 0;
  }
}

/// Where no reducer is active: one process, whose means are its values.
BucketReducer &current() {
  if (active)
    return *active;
  thread_local BucketReducer alone(
      [](Tensor &) { return llvm::Error::success(); },
      /*ownThread=*/false);
  return alone;
}

} // namespace

BucketReducer::BucketReducer(Average average, bool ownThread)
    : average(std::move(average)) {
  if (ownThread)
    worker = std::thread([this] { serve(); });
}

BucketReducer::~BucketReducer() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  changed.notify_all();
  if (worker.joinable())
    worker.join();
}

BucketReducer::Bucket &BucketReducer::bucketAt(int64_t bucket) {
  std::lock_guard<std::mutex> lock(mutex);
  if (size_t(bucket) >= buckets.size())
    buckets.resize(size_t(bucket) + 1);
  if (!buckets[size_t(bucket)])
    buckets[size_t(bucket)] = std::make_unique<Bucket>();
  return *buckets[size_t(bucket)];
}

void BucketReducer::begin(int64_t bucket, ElementType type, int64_t elements) {
  Bucket &b = bucketAt(bucket);
  // Kept from step to step: the same bucket has the same size each time.
  if (b.values.getElementType() != type ||
      b.values.getNumElements() != elements || b.values.getRank() != 1)
    b.values = Tensor(type, {elements});
}

void BucketReducer::put(int64_t bucket, int64_t offset, int64_t rank,
                        void *descriptor) {
  copy(bucket, offset, rank, descriptor, /*intoBucket=*/true);
}

void BucketReducer::copy(int64_t bucket, int64_t offset, int64_t rank,
                         void *descriptor, bool intoBucket) {
  Bucket &b = bucketAt(bucket);
  size_t element = elementSize(b.values.getElementType());
  copyStrided(rank, descriptor,
              static_cast<char *>(b.values.data()) + offset * int64_t(element),
              element, intoBucket);
}

void BucketReducer::averageOne(Bucket &b) {
  auto began = std::chrono::steady_clock::now();
  bool failed;
  {
    std::lock_guard<std::mutex> lock(mutex);
    failed = !error.empty();
  }
  // After a failure the collective is in no state to go on: the buckets
  // left are only marked done, so that the step ends and reports it.
  llvm::Error e = failed ? llvm::Error::success() : average(b.values);
  double seconds = secondsSince(began);
  std::lock_guard<std::mutex> lock(mutex);
  if (e && error.empty())
    error = llvm::toString(std::move(e));
  else
    llvm::consumeError(std::move(e));
  stats.buckets += 1;
  stats.bytes += b.values.sizeInBytes();
  stats.averaging += seconds;
  b.done = true;
}

void BucketReducer::start(int64_t bucket) {
  Bucket &b = bucketAt(bucket);
  if (!worker.joinable()) {
    b.done = false;
    averageOne(b);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    b.done = false;
    queue.push_back(bucket);
  }
  changed.notify_all();
}

void BucketReducer::serve() {
  std::unique_lock<std::mutex> lock(mutex);
  for (;;) {
    changed.wait(lock, [&] { return stopping || !queue.empty(); });
    if (queue.empty())
      return; // stopping, with nothing left
    Bucket *b = buckets[size_t(queue.front())].get();
    queue.erase(queue.begin());
    lock.unlock();
    averageOne(*b);
    changed.notify_all();
    lock.lock();
  }
}

void BucketReducer::wait(int64_t bucket) {
  Bucket &b = bucketAt(bucket);
  auto began = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex);
  changed.wait(lock, [&] { return b.done; });
  stats.waiting += secondsSince(began);
}

void BucketReducer::get(int64_t bucket, int64_t offset, int64_t rank,
                        void *descriptor) {
  copy(bucket, offset, rank, descriptor, /*intoBucket=*/false);
}

llvm::Error BucketReducer::takeError() {
  std::lock_guard<std::mutex> lock(mutex);
  if (error.empty())
    return llvm::Error::success();
  std::string message = std::move(error);
  error.clear();
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

BucketReducer::Stats BucketReducer::getStats() const {
  std::lock_guard<std::mutex> lock(mutex);
  return stats;
}

ActiveReducer::ActiveReducer(BucketReducer &reducer) : previous(active) {
  active = &reducer;
}

ActiveReducer::~ActiveReducer() { active = previous; }

} // namespace nabla

extern "C" {
void nabla_all_reduce_begin_f32(int64_t bucket, int64_t elements) {
  nabla::current().begin(bucket, nabla::ElementType::F32, elements);
}
void nabla_all_reduce_begin_f64(int64_t bucket, int64_t elements) {
  nabla::current().begin(bucket, nabla::ElementType::F64, elements);
}
void nabla_all_reduce_begin_bf16(int64_t bucket, int64_t elements) {
  nabla::current().begin(bucket, nabla::ElementType::BF16, elements);
}
void nabla_all_reduce_put(int64_t bucket, int64_t offset, int64_t rank,
                          void *descriptor) {
  nabla::current().put(bucket, offset, rank, descriptor);
}
void nabla_all_reduce_start(int64_t bucket) { nabla::current().start(bucket); }
void nabla_all_reduce_wait(int64_t bucket) { nabla::current().wait(bucket); }
void nabla_all_reduce_get(int64_t bucket, int64_t offset, int64_t rank,
                          void *descriptor) {
  nabla::current().get(bucket, offset, rank, descriptor);
}
}
