//===- FusionTest.cpp - Fused and unfused code compute the same -----------===//
//
// nabla-fusion only regroups loops: tiles split the rows, and a reduction
// over the rows still adds them in increasing order, so every value is the
// same sequence of IEEE operations with or without fusion. The tolerance,
// 1e-5 relative, leaves room for a few ulps of difference in how LLVM
// compiles the same operations (e.g. libm calls vs. inlined code) carried
// through ten Adam steps; a wrong fusion (a missing tile, a reduction reset
// per tile, a stale value) is off by far more.
//
//===----------------------------------------------------------------------===//
#include "nabla/Trainer.h"
#include "nabla/runtime/Init.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace nabla;

namespace {

constexpr double kTol = 1e-5;

std::unique_ptr<Source> load(const std::string &path) {
  auto source = Source::fromFile(path);
  EXPECT_TRUE(bool(source)) << llvm::toString(source.takeError());
  return std::move(*source);
}

/// Random inputs of the model's shapes: floats in [0, 1), labels in range.
std::map<std::string, Tensor> randomBatch(const Source &source,
                                          const CompileOptions &options) {
  auto sig = source.check(options);
  EXPECT_TRUE(bool(sig)) << llvm::toString(sig.takeError());
  Rng rng(7);
  std::map<std::string, Tensor> batch;
  for (const ArgInfo &arg : sig->args) {
    if (arg.isParam)
      continue;
    Tensor t(arg.type, arg.shape);
    for (int64_t i = 0; i < t.getNumElements(); ++i)
      t.set(i, arg.type == ElementType::I32
                   ? double(rng.next() % uint64_t(std::max<int64_t>(1, arg.classes)))
                   : rng.uniform());
    batch.emplace(arg.name, std::move(t));
  }
  return batch;
}

void expectClose(const Tensor &a, const Tensor &b, const std::string &what) {
  ASSERT_EQ(a.getNumElements(), b.getNumElements()) << what;
  for (int64_t i = 0; i < a.getNumElements(); ++i)
    ASSERT_NEAR(a.get(i), b.get(i), kTol * (1 + std::fabs(b.get(i))))
        << what << " [" << i << "]";
}

class FusionAgrees : public ::testing::TestWithParam<const char *> {};

TEST_P(FusionAgrees, OnOutputsAndGradients) {
  auto source = load(GetParam());
  std::vector<Tensor> results[2];
  for (bool fusion : {false, true}) {
    CompileOptions options;
    options.dims["N"] = 24;
    options.gradients = true;
    options.fusion = fusion;
    auto model = Model::compile(*source, options);
    ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
    ASSERT_FALSE(bool((*model)->initParameters(3)));
    auto out = (*model)->run(randomBatch(*source, options));
    ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
    results[fusion] = std::move(*out);
  }
  ASSERT_EQ(results[0].size(), results[1].size());
  for (size_t i = 0; i < results[0].size(); ++i)
    expectClose(results[1][i], results[0][i], "output " + std::to_string(i));
}

TEST_P(FusionAgrees, OnParametersAfterTenSteps) {
  auto source = load(GetParam());
  std::vector<std::vector<Tensor>> params(2);
  std::vector<double> losses[2];
  for (bool fusion : {false, true}) {
    CompileOptions options;
    options.dims["N"] = 24;
    options.fusion = fusion;
    TrainOptions train;
    train.step.optimizer = nabla::Optimizer::Adam;
    train.step.clipNorm = 1.0; // exercises the norm groups too
    auto trainer = Trainer::create(*source, options, train);
    ASSERT_TRUE(bool(trainer)) << llvm::toString(trainer.takeError());
    ASSERT_FALSE(bool((*trainer)->initParameters(3)));
    auto batch = randomBatch(*source, options);
    for (int step = 0; step < 10; ++step) {
      auto r = (*trainer)->step({batch});
      ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
      losses[fusion].push_back(r->loss);
    }
    for (const std::string &name : (*trainer)->getParameterNames())
      params[fusion].push_back(*(*trainer)->getParameter(name));
  }
  for (size_t s = 0; s < losses[0].size(); ++s)
    EXPECT_NEAR(losses[1][s], losses[0][s], kTol * (1 + std::fabs(losses[0][s])))
        << "loss at step " << s;
  for (size_t i = 0; i < params[0].size(); ++i)
    expectClose(params[1][i], params[0][i], "parameter " + std::to_string(i));
}

INSTANTIATE_TEST_SUITE_P(Examples, FusionAgrees,
                         ::testing::Values("examples/digits.nb",
                                           "tests/unit/models/small_residual.nb"));

} // namespace
