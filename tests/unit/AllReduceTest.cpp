//===- AllReduceTest.cpp - A data-parallel step's buckets -----------------===//
//
// The runtime side of nabla.all_reduce_*: buckets copied out of and back
// into memrefs of any layout, averaged on the reducer's thread in the order
// they start, errors reported after the step, and one process's identity
// where no reducer is active.
//
//===----------------------------------------------------------------------===//
#include "nabla/runtime/AllReduce.h"
#include "nabla/support/Error.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace nabla;

namespace {

/// A rank-2 memref descriptor laid out as MLIR's.
struct Memref2D {
  float *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
};

/// Doubles every element (as two processes whose other one had the same
/// values would sum them) and records the order of the buckets.
struct Recorder {
  std::vector<float> firsts;
  BucketReducer::Average average() {
    return [this](Tensor &t) {
      float *p = static_cast<float *>(t.data());
      firsts.push_back(p[0]);
      for (int64_t i = 0; i < t.getNumElements(); ++i)
        p[i] *= 2;
      return llvm::Error::success();
    };
  }
};

} // namespace

// A transposed view (strides [1, 3] over a 3x2 storage) goes into the
// bucket in row-major order, and comes back into another strided view.
TEST(AllReduce, StridedMemrefsInAndOut) {
  Recorder recorder;
  BucketReducer reducer(recorder.average(), /*ownThread=*/false);
  float storage[6] = {0, 1, 2, 3, 4, 5}; // 2x3 row-major
  // Its transpose, 3x2: element (i, j) is storage[j * 3 + i].
  Memref2D view{storage, storage, 0, {3, 2}, {1, 3}};
  reducer.begin(0, ElementType::F32, 7);
  float one = 10;
  Memref2D scalar{&one, &one, 0, {1, 1}, {1, 1}};
  reducer.put(0, 0, 1, &scalar); // a rank-1 view of one element
  reducer.put(0, 1, 2, &view);
  reducer.start(0);
  reducer.wait(0);
  float out[12] = {};
  // Every other element of a 3x4 storage, shifted by one: (i, j) at
  // 1 + i * 4 + j * 2.
  Memref2D into{out, out, 1, {3, 2}, {4, 2}};
  reducer.get(0, 1, 2, &into);
  EXPECT_EQ(recorder.firsts, std::vector<float>{10});
  // Transposed order 0 3 1 4 2 5, doubled.
  float expected[12] = {0, 0, 0, 6, 0, 2, 0, 8, 0, 4, 0, 10};
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(out[i], expected[i]) << i;
  ASSERT_FALSE(bool(reducer.takeError()));
  BucketReducer::Stats stats = reducer.getStats();
  EXPECT_EQ(stats.buckets, 1);
  EXPECT_EQ(stats.bytes, 7u * sizeof(float));
}

// On its own thread the reducer averages in the order the buckets start
// (which every process shares), not in their numbers' order, and wait()
// returns only once a bucket is done.
TEST(AllReduce, OwnThreadKeepsTheStartOrder) {
  std::atomic<bool> release{false};
  std::vector<int> order;
  BucketReducer reducer(
      [&](Tensor &t) {
        while (!release)
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        order.push_back(int(static_cast<float *>(t.data())[0]));
        return llvm::Error::success();
      },
      /*ownThread=*/true);
  for (int bucket : {2, 0, 1}) {
    float value = float(bucket);
    Memref2D m{&value, &value, 0, {1, 1}, {1, 1}};
    reducer.begin(bucket, ElementType::F32, 1);
    reducer.put(bucket, 0, 2, &m);
    reducer.start(bucket);
  }
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    release = true;
  });
  for (int bucket : {0, 1, 2})
    reducer.wait(bucket);
  releaser.join();
  EXPECT_EQ(order, (std::vector<int>{2, 0, 1}));
  BucketReducer::Stats stats = reducer.getStats();
  EXPECT_EQ(stats.buckets, 3);
  // The step waited for the release (50 ms), which the first bucket's
  // averaging spent too.
  EXPECT_GT(stats.waiting, 0.0);
  EXPECT_GE(stats.averaging, stats.waiting * 0.5);
}

// A failed average is reported after the step; the buckets after it are
// not averaged (the collective is broken) but still end, so nothing hangs.
TEST(AllReduce, ErrorsComeBackAfterTheStep) {
  int calls = 0;
  BucketReducer reducer(
      [&](Tensor &) {
        ++calls;
        return makeError("error: MPI allreduce failed: peer gone");
      },
      /*ownThread=*/true);
  float value = 1;
  Memref2D m{&value, &value, 0, {1, 1}, {1, 1}};
  for (int bucket : {0, 1}) {
    reducer.begin(bucket, ElementType::F32, 1);
    reducer.put(bucket, 0, 2, &m);
    reducer.start(bucket);
  }
  reducer.wait(0);
  reducer.wait(1);
  EXPECT_EQ(calls, 1);
  llvm::Error e = reducer.takeError();
  ASSERT_TRUE(bool(e));
  EXPECT_EQ(llvm::toString(std::move(e)),
            "error: MPI allreduce failed: peer gone");
  EXPECT_FALSE(bool(reducer.takeError()));
}

// The functions compiled code calls: with a reducer active they use it;
// with none, the means are the values themselves (one process).
TEST(AllReduce, CompiledCallsUseTheActiveReducer) {
  float value = 3, out = 0;
  Memref2D in{&value, &value, 0, {1, 1}, {1, 1}};
  Memref2D back{&out, &out, 0, {1, 1}, {1, 1}};
  auto step = [&] {
    nabla_all_reduce_begin_f32(0, 1);
    nabla_all_reduce_put(0, 0, 2, &in);
    nabla_all_reduce_start(0);
    nabla_all_reduce_wait(0);
    nabla_all_reduce_get(0, 0, 2, &back);
  };
  step();
  EXPECT_EQ(out, 3);
  Recorder recorder;
  BucketReducer reducer(recorder.average(), /*ownThread=*/true);
  {
    ActiveReducer active(reducer);
    step();
  }
  EXPECT_EQ(out, 6);
  step();
  EXPECT_EQ(out, 3);
}
