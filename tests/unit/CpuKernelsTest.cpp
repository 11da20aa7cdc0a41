//===- CpuKernelsTest.cpp - The CPU performance work, checked for meaning -===//
//
// The fast paths of the CPU pipeline against references written here:
//  - matmuls large enough to be blocked and packed (B copied into panels,
//    transposed operands read through), against a double-precision loop;
//  - exp, log, tanh and sigmoid (polynomial approximations on vectors)
//    against <cmath>;
//  - parallel loops: the same model on 1 and 2 threads gives bitwise the
//    same results (threads split loops over disjoint outputs; no sum is
//    split), so any race or wrong partition shows;
//  - the caching allocator of compiled code, and the teams of its loops.
//
// Tolerances. A matmul element sums K = 208 f32 products; each rounding
// adds at most one unit roundoff (6e-8) of the running sum, so the error
// is below K * 6e-8 * sum|a b| = 1.25e-5 * sum|a b|: we allow 2e-5 of it.
// The approximations are within a few ulp (upstream's claim; 2e-7
// relative for 4 ulp): we allow 1e-6 relative plus 1e-30 absolute (exp of
// large negative arguments underflows to denormals).
//
//===----------------------------------------------------------------------===//
#include "nabla/Model.h"
#include "runtime/JitAllocator.h"
#include "tests/unit/CompiledModels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <thread>

using namespace nabla;
using nabla::test::compileText;
using nabla::test::run;

extern "C" int omp_get_dynamic(void); // libomp's (see runtime/Threads.cpp)

namespace {

std::vector<double> uniform(int64_t n, uint64_t seed, double lo, double hi) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(n);
  for (double &x : v)
    x = static_cast<float>(dist(rng)); // exactly representable in f32
  return v;
}

Tensor f32(std::vector<int64_t> shape, const std::vector<double> &values) {
  return Tensor::fromDoubles(ElementType::F32, shape, values);
}

// K and N multiples of 16: a transposed B is packed by 16 x 16 transposes
// in registers (with AVX-512).
constexpr int64_t M = 96, K = 208, N = 160;

/// c = a @ b with a: M x K and b: K x N given row-major, or transposed
/// (stored K x M, N x K) where the flags say so; also sum |a b| per entry.
void reference(const std::vector<double> &a, bool aT, const std::vector<double> &b,
               bool bT, std::vector<double> &c, std::vector<double> &scale) {
  c.assign(M * N, 0);
  scale.assign(M * N, 0);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j)
      for (int64_t k = 0; k < K; ++k) {
        double x = aT ? a[k * M + i] : a[i * K + k];
        double y = bT ? b[j * K + k] : b[k * N + j];
        c[i * N + j] += x * y;
        scale[i * N + j] += std::fabs(x * y);
      }
}

void checkMatmul(const std::string &expr, bool aT, bool bT) {
  auto shape = [](int64_t rows, int64_t columns) {
    return "[" + std::to_string(rows) + ", " + std::to_string(columns) + "]";
  };
  std::string aShape = aT ? shape(K, M) : shape(M, K);
  std::string bShape = bT ? shape(N, K) : shape(K, N);
  auto model = compileText("model Mm(a: f32" + aShape + ", b: f32" + bShape +
                           ") {\n  return " + expr + "\n}\n");
  ASSERT_TRUE(model);
  std::vector<double> a = uniform(M * K, 1, -1, 1), b = uniform(K * N, 2, -1, 1);
  auto out = run(*model, {{"a", f32(aT ? std::vector<int64_t>{K, M}
                                       : std::vector<int64_t>{M, K}, a)},
                          {"b", f32(bT ? std::vector<int64_t>{N, K}
                                       : std::vector<int64_t>{K, N}, b)}});
  ASSERT_EQ(out.size(), 1u);
  std::vector<double> c, scale;
  reference(a, aT, b, bT, c, scale);
  for (int64_t i = 0; i < M * N; ++i)
    ASSERT_NEAR(out[0].get(i), c[i], 2e-5 * scale[i] + 1e-30)
        << expr << " at " << i / N << ", " << i % N;
}

TEST(CpuKernels, BlockedPackedMatmul) { checkMatmul("a @ b", false, false); }

TEST(CpuKernels, MatmulOfTransposedB) {
  checkMatmul("a @ transpose(b)", false, true);
}

TEST(CpuKernels, MatmulOfTransposedA) {
  checkMatmul("transpose(a) @ b", true, false);
}

// A long reduction (a weight gradient over 4096 rows in W7) is split into
// chunks of k whose sums add into C; every row block, column block and
// chunk must land in its place.
TEST(CpuKernels, MatmulWithALongReduction) {
  constexpr int64_t m = 32, k = 2048, n = 64;
  auto model = compileText("model Mm(a: f32[32, 2048], b: f32[2048, 64]) {\n"
                           "  return a @ b\n}\n");
  ASSERT_TRUE(model);
  std::vector<double> a = uniform(m * k, 3, -1, 1),
                      b = uniform(k * n, 4, -1, 1);
  auto out = run(*model, {{"a", f32({m, k}, a)}, {"b", f32({k, n}, b)}});
  ASSERT_EQ(out.size(), 1u);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double c = 0, scale = 0;
      for (int64_t p = 0; p < k; ++p) {
        c += a[i * k + p] * b[p * n + j];
        scale += std::fabs(a[i * k + p] * b[p * n + j]);
      }
      ASSERT_NEAR(out[0].get(i * n + j), c, 2e-5 * scale) << i << ", " << j;
    }
}

TEST(CpuKernels, MatmulWithTenColumns) {
  // A classifier's output: a block of vector<10xf32> rows, not scalar loops.
  auto model = compileText("model Head(a: f32[96, 208], b: f32[208, 10]) {\n"
                           "  return a @ b\n}\n");
  ASSERT_TRUE(model);
  std::vector<double> a = uniform(M * K, 12, -1, 1), b = uniform(K * 10, 13, -1, 1);
  auto out = run(*model, {{"a", f32({M, K}, a)}, {"b", f32({K, 10}, b)}});
  ASSERT_EQ(out.size(), 1u);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < 10; ++j) {
      double c = 0, scale = 0;
      for (int64_t k = 0; k < K; ++k) {
        c += a[i * K + k] * b[k * 10 + j];
        scale += std::fabs(a[i * K + k] * b[k * 10 + j]);
      }
      ASSERT_NEAR(out[0].get(i * 10 + j), c, 2e-5 * scale + 1e-30)
          << "at " << i << ", " << j;
    }
}

TEST(CpuKernels, MatmulWithBiasReluEpilogue) {
  auto model = compileText("model Dense(a: f32[96, 208], b: f32[208, 160], "
                           "c: f32[160]) {\n  return relu(a @ b + c)\n}\n");
  ASSERT_TRUE(model);
  std::vector<double> a = uniform(M * K, 3, -1, 1), b = uniform(K * N, 4, -1, 1),
                      bias = uniform(N, 5, -1, 1);
  auto out = run(*model,
                 {{"a", f32({M, K}, a)}, {"b", f32({K, N}, b)}, {"c", f32({N}, bias)}});
  ASSERT_EQ(out.size(), 1u);
  std::vector<double> c, scale;
  reference(a, false, b, false, c, scale);
  for (int64_t i = 0; i < M * N; ++i)
    ASSERT_NEAR(out[0].get(i), std::max(0.0, c[i] + bias[i % N]),
                2e-5 * (scale[i] + std::fabs(bias[i % N])) + 1e-30)
        << "at " << i;
}

TEST(CpuKernels, VectorReductionsMatchADoubleReference) {
  // Each form of nabla-cpu-vectorize-reductions: a column sum (innermost
  // loop parallel), a whole sum of squares and row maxima (innermost loop
  // reduced, into 64 partial sums), and a row sum of 10 (left scalar).
  constexpr int64_t R = 96, C = 320;
  auto model = compileText(
      "model Red(x: f32[96, 320], y: f32[96, 10]) {\n"
      "  return sum(x, axis = 0), sum(x * x), max(x, axis = 1), "
      "sum(y, axis = 1)\n}\n");
  ASSERT_TRUE(model);
  std::vector<double> x = uniform(R * C, 8, -2, 2), y = uniform(R * 10, 9, -2, 2);
  auto out = run(*model, {{"x", f32({R, C}, x)}, {"y", f32({R, 10}, y)}});
  ASSERT_EQ(out.size(), 4u);
  // A sum of n f32 terms in any order is within n * 2^-24 * sum |term| of
  // the exact sum (the classic bound for recursive summation).
  auto bound = [](double n, double sumAbs) { return n * 6e-8 * sumAbs; };
  double squares = 0;
  for (int64_t c = 0; c < C; ++c) {
    double column = 0, columnAbs = 0;
    for (int64_t r = 0; r < R; ++r) {
      column += x[r * C + c];
      columnAbs += std::fabs(x[r * C + c]);
    }
    EXPECT_NEAR(out[0].get(c), column, bound(R, columnAbs)) << "column " << c;
  }
  for (int64_t r = 0; r < R; ++r) {
    double maximum = -INFINITY, row = 0, rowAbs = 0;
    for (int64_t c = 0; c < C; ++c) {
      maximum = std::max(maximum, x[r * C + c]);
      squares += x[r * C + c] * x[r * C + c];
    }
    for (int64_t k = 0; k < 10; ++k) {
      row += y[r * 10 + k];
      rowAbs += std::fabs(y[r * 10 + k]);
    }
    EXPECT_EQ(out[2].get(r), maximum) << "row " << r; // max rounds nothing
    EXPECT_NEAR(out[3].get(r), row, bound(10, rowAbs)) << "row " << r;
  }
  EXPECT_NEAR(out[1].get(0), squares, bound(R * C, squares));
}

TEST(CpuKernels, LargeElementwiseResultsWithNontemporalStores) {
  // 40 MiB of result: above nabla-cpu-vectorize-elementwise's 32 MiB, so
  // written with stores that bypass the cache (64-byte aligned: the
  // runtime's tensors start on cache lines). Every element is checked.
  constexpr int64_t n = 10 << 20;
  auto model = compileText("model Big(x: f32[" + std::to_string(n) +
                           "], a: f32, b: f32) {\n  return relu(x * a + b)\n}\n");
  ASSERT_TRUE(model);
  std::vector<double> x = uniform(n, 11, -4, 4);
  auto out = run(*model, {{"x", f32({n}, x)},
                          {"a", f32({}, {1.5})},
                          {"b", f32({}, {-0.25})}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(out[0].data()) % 64, 0u);
  const float *y = static_cast<const float *>(out[0].data());
  for (int64_t i = 0; i < n; ++i) {
    // x * a + b in f32, rounded at each step as the kernel does (no FMA
    // contraction: arith ops are not marked contractable).
    float expected = std::max(0.0f, float(float(x[i]) * 1.5f) - 0.25f);
    ASSERT_EQ(y[i], expected) << "at " << i;
  }
}

TEST(CpuKernels, TranscendentalsMatchLibm) {
  auto model = compileText(
      "model F(x: f32[4096], p: f32[4096]) {\n"
      "  return exp(x), log(p), tanh(x), sigmoid(x)\n}\n");
  ASSERT_TRUE(model);
  std::vector<double> x = uniform(4096, 6, -80, 80), p = uniform(4096, 7, 1e-6, 1e6);
  auto out = run(*model, {{"x", f32({4096}, x)}, {"p", f32({4096}, p)}});
  ASSERT_EQ(out.size(), 4u);
  auto close = [](double actual, double expected) {
    return std::fabs(actual - expected) <= 1e-6 * std::fabs(expected) + 1e-30;
  };
  for (int64_t i = 0; i < 4096; ++i) {
    // exp(80) is within f32's range (3.4e38 > 5.5e34).
    EXPECT_TRUE(close(out[0].get(i), std::exp(x[i])))
        << "exp(" << x[i] << ") = " << out[0].get(i);
    EXPECT_TRUE(close(out[1].get(i), std::log(p[i])))
        << "log(" << p[i] << ") = " << out[1].get(i);
    EXPECT_TRUE(close(out[2].get(i), std::tanh(x[i])))
        << "tanh(" << x[i] << ") = " << out[2].get(i);
    EXPECT_TRUE(close(out[3].get(i), 1 / (1 + std::exp(-x[i]))))
        << "sigmoid(" << x[i] << ") = " << out[3].get(i);
  }
}

TEST(CpuKernels, OneAndTwoThreadsAgreeBitwise) {
  // Compiled with 2 threads, the loops are OpenMP loops, run here on 1 and
  // on 2 threads; compiled with 1, they are plain loops (jitCpuTarget).
  // All three compute the same bits.
  int before = getNumThreads();
  const char *text = R"(
layer Dense(x: f32[N, I], out: int, act = relu) -> f32[N, out] {
  param w: f32[I, out] = he
  param b: f32[out] = zeros
  return act(x @ w + b)
}
model Mlp(x: f32[256, 300], label: i32[256]) {
  logits = Dense(Dense(Dense(x, 512), 512), 10, act = identity)
  return cross_entropy(logits, label), softmax(logits, axis = 1)
}
)";
  setNumThreads(2);
  auto model = compileText(text);
  setNumThreads(1);
  auto sequential = compileText(text);
  setNumThreads(before);
  ASSERT_TRUE(model && sequential);
  std::vector<double> labels(256);
  for (int64_t i = 0; i < 256; ++i)
    labels[i] = i % 10;
  std::map<std::string, Tensor> in = {
      {"x", f32({256, 300}, uniform(256 * 300, 8, -1, 1))},
      {"label", Tensor::fromDoubles(ElementType::I32, {256}, labels)}};
  setNumThreads(1);
  auto one = run(*model, in);
  auto plain = run(*sequential, in);
  setNumThreads(2);
  auto two = run(*model, in);
  setNumThreads(before);
  ASSERT_EQ(one.size(), 2u);
  ASSERT_EQ(two.size(), 2u);
  ASSERT_EQ(plain.size(), 2u);
  for (size_t r = 0; r < one.size(); ++r) {
    ASSERT_EQ(one[r].sizeInBytes(), two[r].sizeInBytes());
    EXPECT_EQ(std::memcmp(one[r].data(), two[r].data(), one[r].sizeInBytes()), 0)
        << "result " << r << " differs between 1 and 2 threads";
    EXPECT_EQ(
        std::memcmp(one[r].data(), plain[r].data(), one[r].sizeInBytes()), 0)
        << "result " << r << " differs between OpenMP and plain loops";
  }
}

TEST(CpuKernels, AllocatorReusesFreedBlocksOfTheSameSize) {
  size_t cached = jit::cachedBytes();
  void *a = jit::allocate(12345);
  ASSERT_NE(a, nullptr);
  std::memset(a, 1, 12345);
  jit::release(a);
  EXPECT_EQ(jit::cachedBytes(), cached + 12345);
  void *other = jit::allocate(999); // another size: a new block
  EXPECT_NE(other, a);
  void *again = jit::allocate(12345);
  EXPECT_EQ(again, a);
  EXPECT_EQ(jit::cachedBytes(), cached);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(again) % 16, 0u); // malloc's alignment
  jit::release(again);
  jit::release(other);
  jit::release(nullptr); // as free(nullptr)
}

// Compiled code runs its parallel loops on teams that libomp sizes to the
// idle cores (useLoadBalancedTeams), in whatever thread calls it: a new
// thread starts with libomp's default (fixed teams) and has load-balanced
// teams once it has run a model.
TEST(CpuKernels, ParallelLoopsGetLoadBalancedTeams) {
  if (std::getenv("OMP_DYNAMIC"))
    GTEST_SKIP() << "OMP_DYNAMIC is set: the user's choice is kept";
  auto model = compileText("model Twice(x: f32[4]) {\n  return x + x\n}\n");
  ASSERT_TRUE(model);
  std::thread caller([&] {
    EXPECT_FALSE(omp_get_dynamic());
    auto out = run(*model, {{"x", f32({4}, {1, 2, 3, 4})}});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].get(3), 8);
    EXPECT_TRUE(omp_get_dynamic());
  });
  caller.join();
}

// A thread keeps the blocks it frees for itself (no lock); when it ends,
// they go to the shared cache, where another thread finds them.
TEST(CpuKernels, AllocatorHandsAThreadsBlocksOnWhenItEnds) {
  void *freedThere = nullptr;
  std::thread worker([&] {
    void *p = jit::allocate(777777);
    jit::release(p);
    EXPECT_EQ(jit::allocate(777777), p); // its own, again
    jit::release(p);
    freedThere = p;
  });
  worker.join();
  void *here = jit::allocate(777777);
  EXPECT_EQ(here, freedThere);
  jit::release(here);
}

} // namespace
