//===- MixedPrecisionTest.cpp - 16-bit training and loss scaling ----------===//
//
// The dynamic loss scaler against a reference written here from
// torch.cuda.amp.GradScaler's rules; the f16 underflow that loss scaling
// exists to prevent; 16-bit gradients against f32 ones; the scaler's state
// in checkpoints.
//
//===----------------------------------------------------------------------===//
#include "nabla/LossScaler.h"
#include "nabla/Trainer.h"
#include "nabla/runtime/Init.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace nabla;

namespace {

/// GradScaler's update, written out: halve (but, for nabla, not below 1)
/// and skip on a non-finite step; double after `interval` clean steps.
struct ReferenceScaler {
  double scale = 65536;
  int64_t clean = 0, interval;
  explicit ReferenceScaler(int64_t interval) : interval(interval) {}
  bool step(bool finite) {
    if (!finite) {
      scale = scale / 2 < 1 ? 1 : scale / 2;
      clean = 0;
      return false;
    }
    if (++clean == interval) {
      scale *= 2;
      clean = 0;
    }
    return true;
  }
};

TEST(LossScaler, MatchesTheReferenceOnRandomOverflows) {
  Rng rng(11);
  for (int64_t interval : {1, 3, 2000}) {
    LossScaler scaler = LossScaler::dynamic(65536, interval);
    ReferenceScaler reference(interval);
    for (int i = 0; i < 5000; ++i) {
      // Runs of overflows long enough to reach the floor of 1.
      bool finite = rng.uniform() < (i < 2500 ? 0.9 : 0.1);
      bool applied = scaler.update(finite);
      ASSERT_EQ(applied, reference.step(finite)) << "step " << i;
      ASSERT_EQ(scaler.getScale(), reference.scale) << "step " << i;
      ASSERT_EQ(scaler.getGrowthTracker(), reference.clean) << "step " << i;
    }
  }
}

TEST(LossScaler, HalvesSkipsGrowsAndNeverGoesBelowOne) {
  LossScaler scaler = LossScaler::dynamic(8, /*growthInterval=*/2);
  EXPECT_FALSE(scaler.update(false)); // skipped
  EXPECT_EQ(scaler.getScale(), 4);
  EXPECT_TRUE(scaler.update(true));
  EXPECT_EQ(scaler.getScale(), 4); // one clean step is not enough
  EXPECT_TRUE(scaler.update(true));
  EXPECT_EQ(scaler.getScale(), 8); // two are
  for (int i = 0; i < 10; ++i)
    EXPECT_FALSE(scaler.update(false));
  EXPECT_EQ(scaler.getScale(), 1);
  EXPECT_EQ(LossScaler::dynamic().getScale(), 65536);
  // A static scale never changes and never skips.
  LossScaler fixed = LossScaler::fixed(1024);
  EXPECT_TRUE(fixed.update(false));
  EXPECT_EQ(fixed.getScale(), 1024);
}

TEST(LossScaler, ParsesTheFlag) {
  EXPECT_EQ(cantFail(LossScaler::parse("none")).getMode(), LossScaler::Mode::None);
  EXPECT_EQ(cantFail(LossScaler::parse("dynamic")).getMode(),
            LossScaler::Mode::Dynamic);
  EXPECT_EQ(cantFail(LossScaler::parse("128")).getScale(), 128);
  for (const char *bad : {"0", "-4", "nan", "inf", "big"}) {
    auto s = LossScaler::parse(bad);
    ASSERT_FALSE(bool(s)) << bad;
    EXPECT_NE(llvm::toString(s.takeError()).find("--loss-scale"),
              std::string::npos);
  }
}

std::unique_ptr<Source> load(const std::string &path) {
  auto source = Source::fromFile(path);
  EXPECT_TRUE(bool(source)) << llvm::toString(source.takeError());
  return std::move(*source);
}

/// One SGD step of tests/unit/models/tiny_gradients.nb on a fixed batch:
/// the step's result, and w before and after it.
struct TinyStep {
  StepResult result;
  Tensor before, after;
};

TinyStep tinyStep(Precision precision, LossScaler scaler) {
  auto source = load("tests/unit/models/tiny_gradients.nb");
  CompileOptions compile;
  compile.dims["N"] = 16;
  TrainOptions train;
  train.step.optimizer = nabla::Optimizer::SGD;
  train.lr = 1e6; // moves w visibly with gradients of 1e-8
  train.precision = precision;
  train.lossScale = scaler;
  auto trainer = Trainer::create(*source, compile, train);
  EXPECT_TRUE(bool(trainer)) << llvm::toString(trainer.takeError());
  EXPECT_FALSE(bool((*trainer)->initParameters(5)));
  Rng rng(3);
  Tensor x(ElementType::F32, {16, 8}), y(ElementType::F32, {16, 1});
  for (int64_t i = 0; i < x.getNumElements(); ++i)
    x.set(i, rng.uniform());
  for (int64_t i = 0; i < y.getNumElements(); ++i)
    y.set(i, 4 + rng.uniform());
  TinyStep step;
  step.before = *(*trainer)->getParameter("w");
  auto result = (*trainer)->step({{{"x", x}, {"y", y}}});
  EXPECT_TRUE(bool(result)) << llvm::toString(result.takeError());
  step.result = *result;
  step.after = *(*trainer)->getParameter("w");
  return step;
}

// The lesson's warning, reproduced: f16 gradients of about 1e-8 are all
// zero without loss scaling, and right with it.
TEST(MixedPrecision, F16GradientsUnderflowWithoutLossScaling) {
  TinyStep f32 = tinyStep(Precision::F32, LossScaler::none());
  TinyStep f16 = tinyStep(Precision::F16, LossScaler::none());
  TinyStep scaled = tinyStep(Precision::F16, LossScaler::dynamic());
  double norm32 = f32.result.gradNorms[0].second;
  ASSERT_GT(norm32, 1e-9);
  ASSERT_LT(norm32, 1e-6); // the gradients are about 1e-8
  EXPECT_EQ(f16.result.gradNorms[0].second, 0.0)
      << "f16 gradients did not underflow";
  for (int64_t i = 0; i < f16.after.getNumElements(); ++i)
    EXPECT_EQ(f16.after.get(i), f16.before.get(i)) << "w moved at " << i;
  EXPECT_FALSE(scaled.result.skipped);
  EXPECT_EQ(scaled.result.lossScale, 65536);
  // f16 keeps 11 significant bits (unit roundoff 2^-11 = 4.9e-4); x, w,
  // the prediction, the residual and the product are each rounded once,
  // so 1% leaves room for those few roundings and nothing more.
  EXPECT_NEAR(scaled.result.gradNorms[0].second, norm32, 1e-2 * norm32);
  for (int64_t i = 0; i < f32.after.getNumElements(); ++i) {
    double step32 = f32.after.get(i) - f32.before.get(i);
    double stepScaled = scaled.after.get(i) - scaled.before.get(i);
    EXPECT_NE(stepScaled, 0.0) << i;
    EXPECT_NEAR(stepScaled, step32, 1e-2 * std::fabs(step32) + 1e-6) << i;
  }
}

// bf16 has f32's range, so it needs no scaling; its 8 significant bits
// (unit roundoff 2^-8 = 3.9e-3) put the gradient within a few percent.
TEST(MixedPrecision, Bf16GradientsAreCloseToF32) {
  TinyStep f32 = tinyStep(Precision::F32, LossScaler::none());
  TinyStep bf16 = tinyStep(Precision::BF16, LossScaler::none());
  double norm32 = f32.result.gradNorms[0].second;
  EXPECT_NEAR(bf16.result.gradNorms[0].second, norm32, 5e-2 * norm32);
  EXPECT_NE(bf16.result.gradNorms[0].second, norm32) << "bf16 was not used";
}

/// The loss and gradient norms of one SGD step of
/// tests/unit/models/small_residual.nb on a fixed batch.
StepResult residualStep(Precision precision) {
  auto source = load("tests/unit/models/small_residual.nb");
  CompileOptions compile;
  compile.dims["N"] = 16;
  TrainOptions train;
  train.step.optimizer = nabla::Optimizer::SGD;
  train.precision = precision;
  auto trainer = Trainer::create(*source, compile, train);
  EXPECT_TRUE(bool(trainer)) << llvm::toString(trainer.takeError());
  if (!trainer)
    return {};
  EXPECT_FALSE(bool((*trainer)->initParameters(5)));
  Rng rng(3);
  Tensor x(ElementType::F32, {16, 16}), y(ElementType::F32, {16, 16});
  for (int64_t i = 0; i < x.getNumElements(); ++i) {
    x.set(i, rng.uniform());
    y.set(i, rng.uniform());
  }
  auto result = (*trainer)->step({{{"x", x}, {"target", y}}});
  EXPECT_TRUE(bool(result)) << llvm::toString(result.takeError());
  return result ? *result : StepResult{};
}

// Where the CPU cannot convert f32 to bf16 itself (AVX2, or AVX-512
// without AVX512-BF16), LLVM rounds some bf16 values through compiler-rt's
// __truncsfbf2, which the JIT provides (libgcc 12 has none: the step did
// not link on an AVX2 Zen 3). The same 8-bit tolerance as above.
TEST(MixedPrecision, Bf16StepWithoutTheCpusBf16Conversions) {
  setenv("NABLA_CPU_FEATURES", "-avx512bf16", 1);
  StepResult f32 = residualStep(Precision::F32);
  StepResult bf16 = residualStep(Precision::BF16);
  unsetenv("NABLA_CPU_FEATURES");
  ASSERT_GT(f32.loss, 0);
  EXPECT_NEAR(bf16.loss, f32.loss, 5e-2 * f32.loss);
  EXPECT_NE(bf16.loss, f32.loss) << "bf16 was not used";
  ASSERT_EQ(bf16.gradNorms.size(), f32.gradNorms.size());
  for (size_t i = 0; i < f32.gradNorms.size(); ++i)
    EXPECT_NEAR(bf16.gradNorms[i].second, f32.gradNorms[i].second,
                5e-2 * f32.gradNorms[i].second)
        << f32.gradNorms[i].first;
}

TEST(MixedPrecision, OverflowSkipsTheStepAndHalvesTheScale) {
  // A scale this large overflows f16 (max 65504) in the backward pass:
  // the step must be skipped, w left as it was, and the scale halved.
  LossScaler scaler = LossScaler::dynamic(1e30);
  TinyStep step = tinyStep(Precision::F16, scaler);
  EXPECT_TRUE(step.result.skipped);
  EXPECT_EQ(step.result.lossScale, 1e30);
  for (int64_t i = 0; i < step.after.getNumElements(); ++i)
    EXPECT_EQ(step.after.get(i), step.before.get(i)) << i;
}

TEST(MixedPrecision, CheckpointCarriesTheScalerState) {
  auto source = load("tests/unit/models/tiny_gradients.nb");
  CompileOptions compile;
  compile.dims["N"] = 4;
  TrainOptions train;
  train.step.optimizer = nabla::Optimizer::SGD;
  train.precision = nabla::Precision::F16;
  train.lossScale = LossScaler::dynamic(1e30, 2000);
  auto trainer = Trainer::create(*source, compile, train);
  ASSERT_TRUE(bool(trainer)) << llvm::toString(trainer.takeError());
  ASSERT_FALSE(bool((*trainer)->initParameters(1)));
  Tensor x(ElementType::F32, {4, 8}), y(ElementType::F32, {4, 1});
  for (int64_t i = 0; i < x.getNumElements(); ++i)
    x.set(i, 1.0);
  for (int i = 0; i < 3; ++i) // 1e30 -> 5e29 -> ... each overflowing
    ASSERT_TRUE(bool((*trainer)->step({{{"x", x}, {"y", y}}})));
  double scale = (*trainer)->getLossScaler().getScale();
  ASSERT_LT(scale, 1e30);
  auto c = (*trainer)->toCheckpoint();
  ASSERT_TRUE(bool(c)) << llvm::toString(c.takeError());
  auto fresh = Trainer::create(*source, compile, train);
  ASSERT_TRUE(bool(fresh));
  ASSERT_FALSE(bool((*fresh)->initParameters(1)));
  ASSERT_FALSE(bool((*fresh)->restore(*c)));
  EXPECT_EQ((*fresh)->getLossScaler().getScale(), scale);
  EXPECT_EQ((*fresh)->getLossScaler().getGrowthTracker(),
            (*trainer)->getLossScaler().getGrowthTracker());
}

} // namespace
