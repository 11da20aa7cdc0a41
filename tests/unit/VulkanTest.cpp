//===- VulkanTest.cpp - The Vulkan backend computes what the CPU does -----===//
//
// The same model compiled for the CPU (LLVM JIT) and for Vulkan (SPIR-V,
// on lavapipe where there is no GPU), given the same parameters and
// inputs: forward outputs, gradients, and parameters after several
// training steps (Adam with clipping, momentum with accumulation, f16
// mixed precision with loss scaling) must agree.
//
// Tolerances. Both sides compute in f32 (unit roundoff 6e-8) but not in
// the same order: the CPU's matmul kernels sum in tiles with FMAs,
// the SPIR-V kernels one product at a time, and lavapipe may contract to
// FMAs or not. The sums here have at most 256 terms, so forward values
// and gradients agree to ~1e-5 relative (256 * 6e-8 = 1.5e-5 in the worst
// case, much less in practice), plus 1e-6 absolute for values that are
// differences of O(1) terms. A training step moves a parameter by at most
// lr (Adam) or lr * |g| (momentum); rounding differences in g change the
// step by a relative 1e-5, so after k steps parameters agree to well under
// 1e-5 absolute with lr = 1e-3. f16 rounds at 1e-3 relative: the mixed
// precision test allows 1e-2 relative on the loss and 1e-4 absolute on
// the parameters (a few steps of lr = 1e-3 each changed by 1e-2).
//
// Every kernel the tests run also passes spirv-val (the last test).
//
// Each test is skipped, saying why, only when there is no Vulkan device.
//
//===----------------------------------------------------------------------===//
#include "nabla/Gradcheck.h"
#include "nabla/Model.h"
#include "nabla/Trainer.h"
#include "nabla/runtime/VulkanEngine.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace nabla;

namespace {

/// Skips the test when the machine has no Vulkan device at all.
#define REQUIRE_VULKAN()                                                       \
  do {                                                                         \
    auto devices = listVulkanDevices();                                        \
    if (!devices)                                                              \
      GTEST_SKIP() << "no Vulkan device: "                                     \
                   << llvm::toString(devices.takeError());                     \
  } while (0)

/// Every kernel these tests compile is written (NABLA_DUMP_SPIRV) to a
/// folder of its own under this one; the last test runs spirv-val on all.
std::string kernelRoot() {
  static std::string root = [] {
    llvm::SmallString<128> dir;
    (void)llvm::sys::fs::createUniqueDirectory("nabla-vulkan-kernels", dir);
    return std::string(dir);
  }();
  return root;
}

/// Points NABLA_DUMP_SPIRV at a fresh folder for the next compilation.
void dumpKernelsToFreshFolder() {
  static int count = 0;
  std::string dir = kernelRoot() + "/" + std::to_string(count++);
  (void)llvm::sys::fs::create_directories(dir);
  ::setenv("NABLA_DUMP_SPIRV", dir.c_str(), 1);
}

std::string path(const char *relative) {
  return std::string(NABLA_SOURCE_DIR) + "/" + relative;
}

CompileOptions optionsFor(const char *device, bool gradients = false) {
  CompileOptions options;
  options.device = device;
  options.gradients = gradients;
  options.training = gradients; // gradients as the training step sees them
  options.dims["N"] = 16;
  return options;
}

void expectClose(const Tensor &cpu, const Tensor &vulkan, double relative,
                 double absolute, const std::string &what) {
  ASSERT_EQ(cpu.getShape(), vulkan.getShape()) << what;
  int reported = 0;
  for (int64_t i = 0; i < cpu.getNumElements(); ++i) {
    double a = cpu.get(i), b = vulkan.get(i);
    if (std::abs(a - b) <= absolute + relative * std::abs(a))
      continue;
    ADD_FAILURE() << what << "[" << i << "]: cpu " << a << ", vulkan " << b;
    if (++reported == 5)
      return;
  }
}

/// Compiles `file` for the CPU and for Vulkan, runs both on the same
/// random inputs with the same parameters, and compares every output.
void compareRun(const char *file, bool gradients) {
  std::vector<std::vector<Tensor>> results;
  std::vector<std::string> names;
  for (const char *device : {"cpu", "vulkan"}) {
    dumpKernelsToFreshFolder();
    auto model = Model::compileFile(path(file), optionsFor(device, gradients));
    ASSERT_TRUE(!!model) << device << ": " << llvm::toString(model.takeError());
    ASSERT_FALSE((*model)->initParameters(7));
    std::map<std::string, Tensor> inputs;
    fillRandomInputs((*model)->getSignature(), 3, inputs);
    auto outputs = (*model)->run(inputs);
    ASSERT_TRUE(!!outputs) << device << ": "
                           << llvm::toString(outputs.takeError());
    results.push_back(std::move(*outputs));
    names.clear();
    for (const TensorInfo &o : (*model)->getSignature().outputs)
      names.push_back(o.gradOf.empty() ? o.name : "dL/d" + o.gradOf);
  }
  for (size_t i = 0; i < names.size(); ++i)
    expectClose(results[0][i], results[1][i], 1e-5, 1e-6,
                std::string(file) + " " + names[i]);
}

TEST(Vulkan, ForwardOutputsMatchCpu) {
  REQUIRE_VULKAN();
  compareRun("examples/digits.nb", false);
  compareRun("tests/unit/models/small_residual.nb", false);
  compareRun("tests/unit/models/small_convnet.nb", false);
}

TEST(Vulkan, GradientsMatchCpu) {
  REQUIRE_VULKAN();
  compareRun("examples/digits.nb", true);
  compareRun("tests/unit/models/small_residual.nb", true);
  compareRun("tests/unit/models/small_convnet.nb", true);
}

/// Every activation (abs, square, rsqrt, erf, silu, selu, gelu both ways,
/// leaky_relu, elu, softplus, clamp) and its derivative rule: forward
/// values and gradients as on the CPU. The GPU runs the same scalar bodies
/// (erf is a rational function in arith on both), but its exp, tanh and
/// rsqrt are the driver's, a few ulp from the CPU's polynomials: well
/// inside the 1e-5 relative of compareRun.
TEST(Vulkan, ActivationsMatchCpu) {
  REQUIRE_VULKAN();
  compareRun("tests/unit/models/activations.nb", false);
  compareRun("tests/unit/models/activations.nb", true);
}

/// Trains `file` `steps` steps on each device from the same parameters and
/// batches; compares the losses and grad norms of every step and the
/// parameters at the end.
void compareTraining(const char *file, const TrainOptions &train, int steps,
                     double lossTolerance, double paramTolerance) {
  std::vector<std::vector<double>> losses(2), norms(2);
  std::vector<std::map<std::string, Tensor>> params(2);
  for (int d = 0; d < 2; ++d) {
    auto source = Source::fromFile(path(file));
    ASSERT_TRUE(!!source) << llvm::toString(source.takeError());
    CompileOptions options = optionsFor(d ? "vulkan" : "cpu");
    options.requireScalarLoss = true;
    dumpKernelsToFreshFolder();
    auto trainer = Trainer::create(**source, options, train);
    ASSERT_TRUE(!!trainer) << llvm::toString(trainer.takeError());
    ASSERT_FALSE((*trainer)->initParameters(11));
    auto sig = (*source)->check(options);
    ASSERT_TRUE(!!sig) << llvm::toString(sig.takeError());
    for (int s = 0; s < steps; ++s) {
      std::vector<std::map<std::string, Tensor>> micro(train.step.accumulate);
      for (int64_t m = 0; m < train.step.accumulate; ++m)
        fillRandomInputs(*sig, 100 * s + m, micro[m]);
      auto result = (*trainer)->step(micro);
      ASSERT_TRUE(!!result) << llvm::toString(result.takeError());
      losses[d].push_back(result->loss);
      for (auto &[name, norm] : result->gradNorms)
        norms[d].push_back(norm);
    }
    for (const std::string &name : (*trainer)->getParameterNames())
      params[d][name] = *(*trainer)->getParameter(name);
    for (const std::string &name : (*trainer)->getStateNames())
      params[d][name] = *(*trainer)->getParameter(name);
  }
  for (int s = 0; s < steps; ++s)
    EXPECT_NEAR(losses[1][s], losses[0][s],
                lossTolerance * std::abs(losses[0][s]))
        << file << " loss at step " << s + 1;
  for (size_t i = 0; i < norms[0].size(); ++i)
    EXPECT_NEAR(norms[1][i], norms[0][i],
                lossTolerance * std::abs(norms[0][i]) + 1e-6)
        << file << " gradient norm " << i;
  for (auto &[name, cpu] : params[0])
    expectClose(cpu, params[1][name], 0, paramTolerance,
                std::string(file) + " " + name);
}

TEST(Vulkan, AdamWithClippingMatchesCpu) {
  REQUIRE_VULKAN();
  TrainOptions train;
  train.step.optimizer = nabla::Optimizer::Adam;
  train.step.clipNorm = 0.5;
  compareTraining("examples/digits.nb", train, 5, 1e-5, 1e-5);
  compareTraining("tests/unit/models/small_residual.nb", train, 5, 1e-5, 1e-5);
  // Batch norm's running statistics too (compared with the parameters).
  compareTraining("tests/unit/models/small_convnet.nb", train, 3, 1e-5, 1e-5);
}

TEST(Vulkan, MomentumWithAccumulationMatchesCpu) {
  REQUIRE_VULKAN();
  TrainOptions train;
  train.step.optimizer = nabla::Optimizer::Momentum;
  train.lr = 0.05;
  train.step.clipValue = 0.1;
  train.step.accumulate = 2;
  compareTraining("tests/unit/models/small_residual.nb", train, 4, 1e-5, 1e-5);
}

TEST(Vulkan, MixedPrecisionF16MatchesCpu) {
  REQUIRE_VULKAN();
  auto devices = listVulkanDevices();
  ASSERT_TRUE(!!devices);
  if (!(*devices)[0].float16)
    GTEST_SKIP() << (*devices)[0].name << " has no 16-bit floats";
  TrainOptions train;
  train.precision = nabla::Precision::F16;
  train.lossScale = LossScaler::dynamic();
  compareTraining("examples/digits.nb", train, 3, 1e-2, 1e-4);
}

/// bf16 computes in f32 rounded to bf16 after each op on both sides; it is
/// stored as i16 on the GPU. bf16 keeps 8 bits (relative rounding 4e-3):
/// a value rounded differently after a different summation order moves by
/// one bf16 ulp, so the losses agree to 1e-2 relative and the parameters,
/// which the f32 update moves by at most lr = 1e-3 a step, to 1e-4.
TEST(Vulkan, MixedPrecisionBF16MatchesCpu) {
  REQUIRE_VULKAN();
  auto devices = listVulkanDevices();
  ASSERT_TRUE(!!devices);
  if (!(*devices)[0].int16)
    GTEST_SKIP() << (*devices)[0].name << " has no 16-bit integers";
  TrainOptions train;
  train.precision = nabla::Precision::BF16;
  compareTraining("examples/digits.nb", train, 3, 1e-2, 1e-4);
  compareTraining("tests/unit/models/small_residual.nb", train, 3, 1e-2, 1e-4);
}

/// Parameters and optimizer state stay on the device: a training step
/// uploads its batch and hyperparameters and downloads the loss and the
/// gradient norms, nothing more; reading a parameter copies it back.
TEST(Vulkan, ParametersStayOnTheDevice) {
  REQUIRE_VULKAN();
  auto source = Source::fromFile(path("examples/digits.nb"));
  ASSERT_TRUE(!!source) << llvm::toString(source.takeError());
  CompileOptions options = optionsFor("vulkan");
  options.requireScalarLoss = true;
  TrainOptions train; // adam: two state tensors per parameter
  auto trainer = Trainer::create(**source, options, train);
  ASSERT_TRUE(!!trainer) << llvm::toString(trainer.takeError());
  ASSERT_FALSE((*trainer)->initParameters(5));
  auto sig = (*source)->check(options);
  ASSERT_TRUE(!!sig);
  std::map<std::string, Tensor> batch;
  fillRandomInputs(*sig, 1, batch);
  const auto &engine = static_cast<const VulkanEngine &>((*trainer)->getEngine());
  ASSERT_TRUE(bool((*trainer)->step({batch})));
  auto before = engine.getTransferStats();
  const int steps = 3;
  for (int s = 0; s < steps; ++s)
    ASSERT_TRUE(bool((*trainer)->step({batch})));
  auto after = engine.getTransferStats();

  // Per step: x (16x64 f32) and label (16 i32), lr and step (f32 scalars);
  // the loss and one gradient norm per parameter (6), f32 scalars.
  uint64_t up = 16 * 64 * 4 + 16 * 4 + 2 * 4;
  uint64_t down = 4 + 6 * 4;
  EXPECT_EQ(after.uploaded - before.uploaded, steps * up);
  EXPECT_EQ(after.downloaded - before.downloaded, steps * down);

  // Reading a parameter brings its current value back, once.
  Tensor *w = (*trainer)->getParameter("Dense_1.w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(engine.getTransferStats().downloaded - after.downloaded,
            uint64_t(w->sizeInBytes()));
}

/// Last (tests run in the order of this file): every kernel the tests
/// above ran passes spirv-val for Vulkan 1.1.
TEST(Vulkan, EveryKernelPassesSpirvVal) {
  REQUIRE_VULKAN();
  auto spirvVal = llvm::sys::findProgramByName("spirv-val");
  if (!spirvVal)
    GTEST_SKIP() << "spirv-val is not installed (apt install spirv-tools)";
  std::error_code ec;
  int kernels = 0;
  for (llvm::sys::fs::recursive_directory_iterator it(kernelRoot(), ec), end;
       it != end && !ec; it.increment(ec)) {
    if (llvm::sys::path::extension(it->path()) != ".spv")
      continue;
    ++kernels;
    std::string error;
    int rc = llvm::sys::ExecuteAndWait(
        *spirvVal, {*spirvVal, "--target-env", "vulkan1.1", it->path()},
        std::nullopt, {}, 0, 0, &error);
    EXPECT_EQ(rc, 0) << it->path() << " fails spirv-val " << error;
  }
  EXPECT_GT(kernels, 100) << "the tests above wrote too few kernels to "
                          << kernelRoot();
  if (!HasFailure())
    (void)llvm::sys::fs::remove_directories(kernelRoot());
}

} // namespace
