//===- AllReduce.h - A data-parallel step's buckets, averaged aside -*- C++
//-*-===//
//
// A training step compiled with nabla-training-step's `all-reduce` calls
// the runtime as its backward pass produces gradients: each bucket is
// copied out (nabla_all_reduce_put), started, and later waited on and
// copied back (nabla_all_reduce_get). A BucketReducer serves those calls:
// it averages each started bucket on a thread of its own, in the order
// they start, while the step goes on computing, so the averaging overlaps
// the rest of the backward pass. Every process runs the same compiled
// step, so every process starts the same buckets in the same order, which
// is what matching collectives need.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_ALLREDUCE_H
#define NABLA_RUNTIME_ALLREDUCE_H

#include "nabla/runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nabla {

class BucketReducer {
public:
  /// Replaces each element of a bucket by its mean over the processes.
  using Average = std::function<llvm::Error(Tensor &)>;
  /// With `ownThread`, buckets are averaged on a thread of the reducer's
  /// (the collective must accept calls from any one thread at a time);
  /// without, each is averaged when it starts, on the caller's thread.
  BucketReducer(Average average, bool ownThread);
  ~BucketReducer();
  BucketReducer(const BucketReducer &) = delete;
  BucketReducer &operator=(const BucketReducer &) = delete;

  // The calls the compiled step makes (through the active reducer).
  void begin(int64_t bucket, ElementType type, int64_t elements);
  /// Copies the memref described by (rank, descriptor) into the bucket
  /// from element `offset` on; get() copies it back.
  void put(int64_t bucket, int64_t offset, int64_t rank, void *descriptor);
  void start(int64_t bucket);
  void wait(int64_t bucket);
  void get(int64_t bucket, int64_t offset, int64_t rank, void *descriptor);

  /// The first error of an average since the last call (the step's results
  /// are then not to be used).
  llvm::Error takeError();

  struct Stats {
    int64_t buckets = 0;  // averaged, in all
    uint64_t bytes = 0;   // in those buckets
    double averaging = 0; // seconds in Average, summed over the buckets
    double waiting = 0;   // seconds the step was blocked in wait()
  };
  Stats getStats() const;

private:
  struct Bucket {
    Tensor values;
    bool done = true;
  };
  Bucket &bucketAt(int64_t bucket);
  /// Between the memref (rank, descriptor) and the bucket's elements from
  /// `offset` on, in the direction `intoBucket` says.
  void copy(int64_t bucket, int64_t offset, int64_t rank, void *descriptor,
            bool intoBucket);
  void averageOne(Bucket &b);
  void serve();

  Average average;
  mutable std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::unique_ptr<Bucket>> buckets;
  std::vector<int64_t> queue; // started, not yet averaged
  bool stopping = false;
  std::string error;
  Stats stats;
  std::thread worker;
};

/// Makes `reducer` the one this thread's compiled steps call, for the
/// scope's life. A step that runs with none active averages over one
/// process: its means are its own values.
class ActiveReducer {
public:
  explicit ActiveReducer(BucketReducer &reducer);
  ~ActiveReducer();
  ActiveReducer(const ActiveReducer &) = delete;
  ActiveReducer &operator=(const ActiveReducer &) = delete;

private:
  BucketReducer *previous;
};

} // namespace nabla

// Called by compiled steps; bound by the JIT (runtime/JitEngine.cpp).
// Buckets hold f32, f64 or bf16 (the suffix); a memref comes as its rank and a
// pointer to its descriptor (MLIR's unranked memref convention).
extern "C" {
void nabla_all_reduce_begin_f32(int64_t bucket, int64_t elements);
void nabla_all_reduce_begin_f64(int64_t bucket, int64_t elements);
void nabla_all_reduce_begin_bf16(int64_t bucket, int64_t elements);
void nabla_all_reduce_put(int64_t bucket, int64_t offset, int64_t rank,
                          void *descriptor);
void nabla_all_reduce_start(int64_t bucket);
void nabla_all_reduce_wait(int64_t bucket);
void nabla_all_reduce_get(int64_t bucket, int64_t offset, int64_t rank,
                          void *descriptor);
}

#endif // NABLA_RUNTIME_ALLREDUCE_H
