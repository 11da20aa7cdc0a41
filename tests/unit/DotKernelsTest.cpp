//===- DotKernelsTest.cpp - bf16 matmuls on vdpbf16ps, checked ------------===//
//
// On a CPU with AVX512-BF16, bf16 x bf16 matmuls run on the dot-product
// kernel (codegen/cpu/DotKernels.cpp); NABLA_CPU_FEATURES=-avx512bf16 gives
// the widening kernel instead. Both are checked here.
//
// Exactness. The inputs are small integers (|x| <= 4), exact in bf16; every
// product and partial sum is then an integer below 2^24, exact in f32, so
// the f32 sums do not depend on the order of summation: each kernel must
// give exactly the double-precision sum, rounded once to bf16 (the result
// type) to nearest even. Any lost, doubled or misplaced pair of k shows as
// a different integer.
//
//===----------------------------------------------------------------------===//
#include "nabla/Backend.h"
#include "nabla/Model.h"
#include "tests/unit/CompiledModels.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

using namespace nabla;
using nabla::test::compileText;
using nabla::test::run;

namespace {

/// NABLA_CPU_FEATURES set while in scope (models compiled then use it).
struct CpuFeatures {
  explicit CpuFeatures(const char *value) {
    setenv("NABLA_CPU_FEATURES", value, 1);
  }
  ~CpuFeatures() { unsetenv("NABLA_CPU_FEATURES"); }
};

/// Integers in [-4, 4], as bf16.
Tensor integers(std::vector<int64_t> shape, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> dist(-4, 4);
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  std::vector<double> v(n);
  for (double &x : v)
    x = dist(rng);
  return Tensor::fromDoubles(ElementType::BF16, shape, v);
}

/// x rounded to bf16 (nearest even), as the tensor stores it.
double toBF16(double x) {
  return Tensor::fromDoubles(ElementType::BF16, {1}, {x}).get(0);
}

bool hostHasDotKernel() { return jitCpuTarget().bf16Dot; }

constexpr int64_t M = 90, K = 208, N = 160;

/// a @ b for a: M x K, b: K x N (or stored transposed where the flags say).
void checkAgainstExactSums(const std::string &expr, bool aT, bool bT) {
  auto dims = [](bool t, int64_t r, int64_t c) {
    return t ? std::vector<int64_t>{c, r} : std::vector<int64_t>{r, c};
  };
  auto text = [](const std::vector<int64_t> &d) {
    return "[" + std::to_string(d[0]) + ", " + std::to_string(d[1]) + "]";
  };
  auto aDims = dims(aT, M, K), bDims = dims(bT, K, N);
  auto model = compileText("model Mm(a: bf16" + text(aDims) + ", b: bf16" +
                           text(bDims) + ") {\n  return " + expr + "\n}\n");
  ASSERT_TRUE(model);
  Tensor a = integers(aDims, 1), b = integers(bDims, 2);
  auto out = run(*model, {{"a", a}, {"b", b}});
  ASSERT_EQ(out.size(), 1u);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double sum = 0;
      for (int64_t k = 0; k < K; ++k)
        sum += a.get(aT ? k * M + i : i * K + k) *
               b.get(bT ? j * K + k : k * N + j);
      ASSERT_EQ(out[0].get(i * N + j), toBF16(sum))
          << expr << " at " << i << ", " << j;
    }
}

void checkBothKernels(const std::string &expr, bool aT, bool bT) {
  if (!hostHasDotKernel())
    GTEST_SKIP() << "this CPU has no AVX512-BF16: only the widening kernel "
                    "runs (checked below)";
  checkAgainstExactSums(expr, aT, bT);
  CpuFeatures widen("-avx512bf16");
  ASSERT_FALSE(jitCpuTarget().bf16Dot);
  checkAgainstExactSums(expr, aT, bT);
}

TEST(DotKernels, Matmul) { checkBothKernels("a @ b", false, false); }

TEST(DotKernels, MatmulOfTransposedB) {
  // The k-pair panels are copied from b's rows.
  checkBothKernels("a @ transpose(b)", false, true);
}

TEST(DotKernels, MatmulOfTransposedA) {
  checkBothKernels("transpose(a) @ b", true, false);
}

TEST(DotKernels, WideningKernelWithoutTheDotProducts) {
  // What runs on CPUs without AVX512-BF16, on every machine.
  CpuFeatures widen("-avx512bf16");
  checkAgainstExactSums("a @ b", false, false);
}

/// The same model through both kernels gives the same bits: a convolution
/// (its patches gathered into A), batched matmuls (attention), and shapes
/// the dot kernel does not take (odd K, N not a multiple of 16: widened on
/// both paths) beside ones it does (M of 1 row).
TEST(DotKernels, SameBitsAsTheWideningKernel) {
  if (!hostHasDotKernel())
    GTEST_SKIP() << "this CPU has no AVX512-BF16";
  const char *text = R"(
model Mix(x: bf16[2, 4, 8, 8], w: bf16[32, 4, 3, 3], q: bf16[2, 3, 32, 16],
          k: bf16[2, 3, 16, 32], a: bf16[1, 48], b: bf16[48, 64],
          c: bf16[24, 7], d: bf16[7, 32], e: bf16[24, 32], f: bf16[32, 10]) {
  return conv2d(x, w, padding = 1, stride = 2), q @ k, a @ b, c @ d, e @ f
}
)";
  std::map<std::string, Tensor> in = {
      {"x", integers({2, 4, 8, 8}, 3)},   {"w", integers({32, 4, 3, 3}, 4)},
      {"q", integers({2, 3, 32, 16}, 5)}, {"k", integers({2, 3, 16, 32}, 6)},
      {"a", integers({1, 48}, 7)},        {"b", integers({48, 64}, 8)},
      {"c", integers({24, 7}, 9)},        {"d", integers({7, 32}, 10)},
      {"e", integers({24, 32}, 11)},      {"f", integers({32, 10}, 12)}};
  auto dot = compileText(text);
  ASSERT_TRUE(dot);
  auto fast = run(*dot, in);
  std::vector<Tensor> widened;
  {
    CpuFeatures widen("-avx512bf16");
    auto model = compileText(text);
    ASSERT_TRUE(model);
    widened = run(*model, in);
  }
  ASSERT_EQ(fast.size(), 5u);
  ASSERT_EQ(widened.size(), 5u);
  for (size_t o = 0; o < fast.size(); ++o) {
    ASSERT_EQ(fast[o].getShape(), widened[o].getShape());
    bool nonzero = false;
    for (int64_t i = 0; i < fast[o].getNumElements(); ++i) {
      ASSERT_EQ(fast[o].get(i), widened[o].get(i))
          << "output " << o << " at " << i;
      nonzero |= fast[o].get(i) != 0;
    }
    EXPECT_TRUE(nonzero) << "output " << o;
  }
}

TEST(DotKernels, FeaturesTurnedOffAreChecked) {
  {
    CpuFeatures off("-avx512f");
    CpuTarget t = jitCpuTarget();
    EXPECT_EQ(t.vectorBits, 256); // and no dot kernel without AVX-512
    EXPECT_FALSE(t.bf16Dot);
  }
  CpuFeatures wrong("-no_such_feature");
  auto source =
      Source::fromString("model M(a: f32[4]) {\n  return a\n}\n", "test.nb");
  ASSERT_TRUE(bool(source));
  auto model = Model::compile(**source, {});
  ASSERT_FALSE(bool(model));
  EXPECT_NE(llvm::toString(model.takeError()).find("NABLA_CPU_FEATURES"),
            std::string::npos);
}

} // namespace
