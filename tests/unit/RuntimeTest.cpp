//===- RuntimeTest.cpp - Tensors, seeded init, .npy -----------------------===//
#include "nabla/runtime/Init.h"
#include "nabla/runtime/Npy.h"
#include "nabla/runtime/Tensor.h"

#include "llvm/Support/FileSystem.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace nabla;

namespace {

struct Moments {
  double mean, std, min, max;
};

Moments moments(const Tensor &t) {
  double sum = 0, sq = 0, lo = INFINITY, hi = -INFINITY;
  int64_t n = t.getNumElements();
  for (int64_t i = 0; i < n; ++i) {
    double v = t.get(i);
    sum += v;
    sq += v * v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  double mean = sum / n;
  return {mean, std::sqrt(sq / n - mean * mean), lo, hi};
}

Tensor initialized(const InitSpec &spec, std::vector<int64_t> shape,
                   uint64_t seed = 0, const char *name = "w") {
  Tensor t(ElementType::F32, shape);
  std::string error;
  EXPECT_TRUE(initialize(t, spec, seed, name, error)) << error;
  return t;
}

InitSpec kind(const char *k) {
  InitSpec spec;
  spec.kind = k;
  return spec;
}

TEST(Fans, FollowTorchNnInit) {
  // A [in, out] weight: fan_in = in, fan_out = out.
  EXPECT_EQ(fans({64, 10}), std::make_pair(64.0, 10.0));
  // A conv2d weight [out, in, kH, kW]: PyTorch's fans.
  EXPECT_EQ(fans({32, 16, 3, 3}), std::make_pair(144.0, 288.0));
  EXPECT_EQ(fans({8, 4, 5}), std::make_pair(20.0, 40.0));
  EXPECT_EQ(fans({10}), std::make_pair(10.0, 10.0));
}

// 256*256 = 65536 draws: the standard error of a sample std is about
// std / sqrt(2n) = 0.28% of it, so 2% is a seven-sigma bound; the mean's
// standard error is std / 256.
TEST(Init, NormalVariantsHaveTheirStandardDeviations) {
  const double fanIn = 256, fanOut = 256;
  struct Case {
    const char *kind;
    double std;
  } cases[] = {{"he_normal", std::sqrt(2 / fanIn)},
               {"xavier_normal", std::sqrt(2 / (fanIn + fanOut))},
               {"lecun_normal", std::sqrt(1 / fanIn)}};
  for (const Case &c : cases) {
    Moments m = moments(initialized(kind(c.kind), {256, 256}));
    EXPECT_NEAR(m.std, c.std, 0.02 * c.std) << c.kind;
    EXPECT_NEAR(m.mean, 0, 6 * c.std / 256) << c.kind;
  }
}

TEST(Init, UniformVariantsStayInTheirBounds) {
  const double fanIn = 256, fanOut = 128;
  struct Case {
    const char *kind;
    double bound;
  } cases[] = {{"he_uniform", std::sqrt(6 / fanIn)},
               {"xavier_uniform", std::sqrt(6 / (fanIn + fanOut))},
               {"lecun_uniform", std::sqrt(3 / fanIn)}};
  for (const Case &c : cases) {
    Moments m = moments(initialized(kind(c.kind), {256, 128}));
    EXPECT_GE(m.min, -c.bound) << c.kind;
    EXPECT_LE(m.max, c.bound) << c.kind;
    // A uniform on [-b, b] has std b / sqrt(3).
    EXPECT_NEAR(m.std, c.bound / std::sqrt(3.0), 0.02 * c.bound) << c.kind;
    // ...and reaches close to both ends.
    EXPECT_GT(m.max, 0.99 * c.bound) << c.kind;
  }
}

TEST(Init, NormalAndUniformTakeTheirArguments) {
  InitSpec normal = kind("normal");
  normal.mean = 3;
  normal.std = 0.5;
  Moments m = moments(initialized(normal, {100000}));
  EXPECT_NEAR(m.mean, 3, 6 * 0.5 / std::sqrt(100000.0));
  EXPECT_NEAR(m.std, 0.5, 0.01);
  InitSpec uniform = kind("uniform");
  uniform.low = 2;
  uniform.high = 4;
  m = moments(initialized(uniform, {100000}));
  EXPECT_GE(m.min, 2);
  EXPECT_LT(m.max, 4);
  EXPECT_NEAR(m.mean, 3, 0.01);
}

TEST(Init, SameSeedSameNumbersOtherSeedOthers) {
  Tensor a = initialized(kind("he_normal"), {16, 16}, 42, "Dense_1.w");
  Tensor b = initialized(kind("he_normal"), {16, 16}, 42, "Dense_1.w");
  Tensor c = initialized(kind("he_normal"), {16, 16}, 43, "Dense_1.w");
  Tensor d = initialized(kind("he_normal"), {16, 16}, 42, "Dense_2.w");
  EXPECT_EQ(a.toDoubles(), b.toDoubles());
  EXPECT_NE(a.toDoubles(), c.toDoubles());
  // Each parameter has its own stream.
  EXPECT_NE(a.toDoubles(), d.toDoubles());
}

TEST(Init, ConstantsAndLiterals) {
  EXPECT_EQ(initialized(kind("zeros"), {3}).toDoubles(),
            (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(initialized(kind("ones"), {2}).toDoubles(),
            (std::vector<double>{1, 1}));
  InitSpec lit = kind("literal");
  lit.literal = {0.5, -2};
  EXPECT_EQ(initialized(lit, {2}).toDoubles(), (std::vector<double>{0.5, -2}));
  Tensor t(ElementType::F32, {3});
  std::string error;
  EXPECT_FALSE(initialize(t, lit, 0, "w", error));
  EXPECT_EQ(error, "literal has 2 values but the parameter has 3");
  EXPECT_FALSE(initialize(t, kind("glorot"), 0, "w", error));
}

TEST(Tensor, HalfPrecisionRoundsToNearestEven) {
  Tensor h = Tensor::fromDoubles(ElementType::F16, {3}, {1.0, 0.1, 65504});
  // 0.1 in f16 is 0.0999755859375 (nearest representable).
  EXPECT_EQ(h.get(0), 1.0);
  EXPECT_EQ(h.get(1), 0.0999755859375);
  EXPECT_EQ(h.get(2), 65504);
  Tensor bf = Tensor::fromDoubles(ElementType::BF16, {1}, {0.1});
  // bf16 keeps 8 bits of mantissa: 0.1 -> 0.10009765625.
  EXPECT_EQ(bf.get(0), 0.10009765625);
  EXPECT_EQ(h.typeString(), "f16[3]");
}

// A data set's arrays are taken, not copied: converting to the type a
// tensor already has and reshaping both keep its bytes where they are.
TEST(Tensor, MovedConversionAndReshapeKeepTheBytes) {
  Tensor t = Tensor::fromDoubles(ElementType::F32, {2, 3}, {1, 2, 3, 4, 5, 6});
  const void *bytes = t.data();
  Tensor same = std::move(t).convertTo(ElementType::F32);
  EXPECT_EQ(same.data(), bytes);
  Tensor flat = std::move(same).reshaped({6});
  EXPECT_EQ(flat.data(), bytes);
  EXPECT_EQ(flat.getShape(), (std::vector<int64_t>{6}));
  EXPECT_EQ(flat.toDoubles(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(same.getNumElements(), 0);
  // Another type is a conversion, as from a const tensor.
  Tensor half = std::move(flat).convertTo(ElementType::F16);
  EXPECT_EQ(half.typeString(), "f16[6]");
  EXPECT_EQ(half.toDoubles(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
}

TEST(Npy, RoundTripsAndRejectsBadFiles) {
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("nabla", "npy", path));
  Tensor t = Tensor::fromDoubles(ElementType::F32, {2, 3}, {1, 2, 3, 4, 5, 6});
  ASSERT_FALSE(llvm::errorToBool(writeNpy(t, path)));
  auto back = readNpy(path);
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->getShape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(back->toDoubles(), t.toDoubles());
  llvm::sys::fs::remove(path);

  auto notNpy = parseNpy("hello", "x.npy");
  ASSERT_FALSE(bool(notNpy));
  EXPECT_EQ(llvm::toString(notNpy.takeError()),
            "x.npy: not a valid .npy file: it does not start with \\x93NUMPY");
  std::string truncated = "\x93NUMPY\x01\x00\x40\x00{'descr'";
  auto shortHeader = parseNpy(truncated, "y.npy");
  ASSERT_FALSE(bool(shortHeader));
  EXPECT_NE(llvm::toString(shortHeader.takeError()).find("truncated"),
            std::string::npos);
  auto missing = readNpy("/nonexistent/z.npy");
  ASSERT_FALSE(bool(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("/nonexistent/z.npy"),
            std::string::npos);
}

TEST(Npy, ChecksTheDataSize) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }";
  std::string file = std::string("\x93NUMPY\x01\x00", 8) +
                     char(header.size()) + char(0) + header +
                     std::string(8, '\0'); // 2 floats, not 4
  auto t = parseNpy(file, "short.npy");
  ASSERT_FALSE(bool(t));
  EXPECT_NE(llvm::toString(t.takeError())
                .find("shape (4,) needs 16 bytes of data, found 8"),
            std::string::npos);
}

// numpy takes the last of a key given twice; nabla would take the first:
// such a header is refused rather than read differently.
TEST(Npy, RefusesAKeyGivenTwice) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': "
                       "(2,), 'descr': '<f8', }";
  std::string file = std::string("\x93NUMPY\x01\x00", 8) + char(header.size()) +
                     char(0) + header + std::string(8, '\0');
  auto t = parseNpy(file, "twice.npy");
  ASSERT_FALSE(bool(t));
  EXPECT_EQ(llvm::toString(t.takeError()),
            "twice.npy: not a valid .npy file: the header gives 'descr' twice");
}

// A header whose shape claims far more than the file holds is refused
// before the tensor is allocated (a 128-byte file claimed 2^46 floats).
TEST(Npy, ChecksAHugeShapeBeforeAllocating) {
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 65536), }";
  std::string file = std::string("\x93NUMPY\x01\x00", 8) + char(header.size()) +
                     char(0) + header + std::string(8, '\0');
  auto t = parseNpy(file, "huge.npy");
  ASSERT_FALSE(bool(t));
  EXPECT_NE(llvm::toString(t.takeError())
                .find("needs 274877906944 bytes of data, found 8"),
            std::string::npos);
}

} // namespace
