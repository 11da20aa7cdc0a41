//===- DropoutTest.cpp - dropout's masks against a reference generator ----===//
//
// dropout's mask comes from Philox-4x32-10 computed inside the compiled
// kernel. Here the generator is written out again in plain C++, checked
// against Random123's published known-answer vectors, and the JIT's masks
// are compared with it bit for bit: for two ops (streams), at 1 and at 2
// threads, and in the backward pass (the gradient of sum(dropout(x)^2) is
// 2 * mask^2 * x with the forward's mask).
//
//===----------------------------------------------------------------------===//
#include "nabla/Model.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>

using namespace nabla;

namespace {

using Words = std::array<uint32_t, 4>;

/// Random123's philox4x32_10 (counter, key) -> four words.
Words philox4x32(Words c, uint32_t k0, uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    uint64_t p0 = uint64_t(0xD2511F53u) * c[0];
    uint64_t p1 = uint64_t(0xCD9E8D57u) * c[2];
    c = {uint32_t(p1 >> 32) ^ c[1] ^ k0, uint32_t(p1),
         uint32_t(p0 >> 32) ^ c[3] ^ k1, uint32_t(p0)};
  }
  return c;
}

/// The mask element the op's description defines, in f32 as the kernel.
float maskAt(uint32_t index, uint32_t seed, uint32_t counter, uint32_t stream,
             double p) {
  uint32_t bits = philox4x32({index, 0, counter, 0}, seed, stream)[0];
  float u = float(bits >> 8) * (1.0f / 16777216.0f);
  return u >= float(p) ? float(1.0 / (1.0 - p)) : 0.0f;
}

TEST(Dropout, ReferenceGeneratorMatchesRandom123) {
  // Random123's kat_vectors: philox4x32 10, counter, key -> words.
  EXPECT_EQ(philox4x32({0, 0, 0, 0}, 0, 0),
            (Words{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
                       0xffffffff, 0xffffffff),
            (Words{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
                       0xa4093822, 0x299f31d0),
            (Words{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

constexpr const char *kModel = R"(model M(x: f32[64, 32, 16]) {
  a = dropout(x, 0.3)
  b = dropout(x, p = 0.75)
  return sum(a * a), a, b
})";

std::unique_ptr<Model> compile(bool gradients) {
  auto source = Source::fromString(kModel, "dropout.nb");
  EXPECT_TRUE(!!source) << llvm::toString(source.takeError());
  CompileOptions options;
  options.training = true;
  options.gradients = gradients;
  if (gradients)
    options.wrt = {"x"};
  auto model = Model::compile(**source, options);
  EXPECT_TRUE(!!model) << llvm::toString(model.takeError());
  EXPECT_FALSE((*model)->initParameters(0));
  return std::move(*model);
}

Tensor randomInput() {
  Tensor x(ElementType::F32, {64, 32, 16});
  for (int64_t i = 0; i < x.getNumElements(); ++i)
    x.set(i, std::sin(0.37 * double(i)) + 0.1);
  return x;
}

TEST(Dropout, MasksArePhiloxAtAnyThreadCount) {
  auto model = compile(false);
  const uint32_t seed = 0x9d2c5680, counter = 41;
  model->getParameter("dropout_seed")->set(0, double(int32_t(seed)));
  model->getParameter("dropout_counter")->set(0, counter);
  Tensor x = randomInput();
  std::vector<std::vector<Tensor>> runs;
  for (int threads : {1, 2}) {
    setNumThreads(threads);
    auto out = model->run({{"x", x}});
    ASSERT_TRUE(!!out) << llvm::toString(out.takeError());
    runs.push_back(std::move(*out));
  }
  setNumThreads(0);
  for (auto [stream, p] : {std::pair{1u, 0.3}, std::pair{2u, 0.75}}) {
    const Tensor &y = runs[0][stream];
    int64_t kept = 0, n = y.getNumElements(), wrong = 0;
    for (int64_t i = 0; i < n; ++i) {
      float mask = maskAt(uint32_t(i), seed, counter, stream - 1, p);
      float expected = float(x.get(i)) * mask;
      wrong += float(y.get(i)) != expected;
      wrong += runs[1][stream].get(i) != y.get(i);
      kept += mask != 0;
    }
    EXPECT_EQ(wrong, 0) << "p = " << p;
    // 32768 draws: the kept fraction is 1 - p within 5 standard deviations.
    double sd = std::sqrt(p * (1 - p) / double(n));
    EXPECT_NEAR(double(kept) / double(n), 1 - p, 5 * sd) << "p = " << p;
  }
}

TEST(Dropout, NewCounterNewMaskAndTheBackwardPassReusesIt) {
  auto model = compile(true);
  Tensor x = randomInput();
  for (uint32_t counter : {0u, 1u}) {
    model->getParameter("dropout_counter")->set(0, counter);
    auto out = model->run({{"x", x}});
    ASSERT_TRUE(!!out) << llvm::toString(out.takeError());
    const Tensor &grad = out->back(); // d/dx sum(a * a) = 2 mask^2 x
    int64_t wrong = 0;
    for (int64_t i = 0; i < x.getNumElements(); ++i) {
      double mask = maskAt(uint32_t(i), 0, counter, 0, 0.3);
      double expected = 2 * mask * mask * x.get(i);
      wrong += std::abs(grad.get(i) - expected) > 1e-5 * std::abs(expected);
    }
    EXPECT_EQ(wrong, 0) << "counter " << counter;
  }
}

TEST(Dropout, InferenceFormIsTheIdentity) {
  auto source = Source::fromString(kModel, "dropout.nb");
  ASSERT_TRUE(!!source);
  auto model = Model::compile(**source, {});
  ASSERT_TRUE(!!model) << llvm::toString(model.takeError());
  Tensor x = randomInput();
  auto out = (*model)->run({{"x", x}});
  ASSERT_TRUE(!!out) << llvm::toString(out.takeError());
  for (int64_t i = 0; i < x.getNumElements(); ++i)
    ASSERT_EQ((*out)[1].get(i), x.get(i));
}

} // namespace
