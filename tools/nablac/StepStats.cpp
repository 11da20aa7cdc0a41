//===- StepStats.cpp - nablac stats and --emit=fused ----------------------===//
#include "tools/nablac/StepStats.h"
#include "nabla/Backend.h"
#include "nabla/Gradcheck.h"
#include "nabla/support/Error.h"

#include "nabla/codegen/Passes.h"

#include "mlir/Pass/PassManager.h"

#include <algorithm>
#include <chrono>

namespace nabla::tools {

namespace {

/// One micro-batch of random inputs of the model's shapes (the
/// values do not change the step's time).
llvm::Expected<std::map<std::string, Tensor>>
randomBatch(const Source &source, const CompileOptions &options,
            uint64_t seed) {
  auto signature = source.check(options);
  if (!signature)
    return signature.takeError();
  std::map<std::string, Tensor> batch;
  fillRandomInputs(*signature, seed, batch);
  return batch;
}

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

} // namespace

namespace {

/// A compiled training step, ready to time.
struct PreparedStep {
  StepStats stats;
  std::unique_ptr<Trainer> trainer;
  std::vector<std::map<std::string, Tensor>> micro;
  std::vector<double> times;
};

llvm::Expected<PreparedStep> prepareStep(const Source &source,
                                         const CompileOptions &options,
                                         const TrainOptions &train,
                                         uint64_t seed) {
  PreparedStep prepared;
  if (options.device == "cpu") { // a GPU's dispatches are counted as it runs
    auto context = createContext();
    std::string model;
    auto module = source.buildTrainingStep(
        *context, options, train.pipelineSettings(), Stage::Linalg, model);
    if (!module)
      return module.takeError();
    auto step =
        (*module)->lookupSymbol<mlir::func::FuncOp>(model + "_train_step");
    prepared.stats.kernels = countKernels(step);
    prepared.stats.memory = measureStepMemory(step);
  }
  auto start = Clock::now();
  auto trainer = Trainer::create(source, options, train);
  if (!trainer)
    return trainer.takeError();
  prepared.stats.compileSeconds = secondsSince(start);
  prepared.stats.loweringSeconds = (*trainer)->getLoweringSeconds();
  prepared.stats.codegenSeconds = (*trainer)->getCompileInfo().codegenSeconds;
  prepared.stats.cacheHit = (*trainer)->getCompileInfo().cacheHit;
  prepared.stats.passesSkipped = (*trainer)->getCompileInfo().passesSkipped;
  prepared.trainer = std::move(*trainer);
  if (auto e = prepared.trainer->initParameters(seed))
    return std::move(e);
  auto batch = randomBatch(source, options, seed);
  if (!batch)
    return batch.takeError();
  prepared.micro.assign(train.step.accumulate, *batch);
  return prepared;
}

llvm::Error timeOneStep(PreparedStep &prepared, bool record) {
  auto t0 = Clock::now();
  auto result = prepared.trainer->step(prepared.micro);
  if (!result)
    return result.takeError();
  if (record)
    prepared.times.push_back(secondsSince(t0));
  return llvm::Error::success();
}

} // namespace

llvm::Expected<std::array<StepStats, 2>>
measureFusion(const Source &source, CompileOptions options,
              const TrainOptions &train, int64_t steps, uint64_t seed) {
  std::array<PreparedStep, 2> prepared;
  bool onDevice = options.device != "cpu";
  options.profile = onDevice; // the dispatches and their device time
  for (bool fusion : {false, true}) {
    options.fusion = fusion;
    auto step = prepareStep(source, options, train, seed);
    if (!step)
      return step.takeError();
    prepared[fusion] = std::move(*step);
  }
  // Steps alternate between the two, so that whatever else the machine
  // does slows both alike; the first steps warm caches and page in buffers.
  for (int64_t i = 0; i < steps + 2; ++i)
    for (PreparedStep &step : prepared)
      if (auto e = timeOneStep(step, /*record=*/i >= 2))
        return std::move(e);
  std::array<StepStats, 2> result;
  for (bool fusion : {false, true}) {
    std::vector<double> &times = prepared[fusion].times;
    std::sort(times.begin(), times.end());
    result[fusion] = prepared[fusion].stats;
    result[fusion].medianSeconds = times.empty() ? 0 : times[times.size() / 2];
    if (!onDevice)
      continue;
    const auto &profile =
        prepared[fusion].trainer->getEngine().getLastProfile();
    result[fusion].onDevice = true;
    result[fusion].dispatches = profile.size();
    for (const DispatchTime &d : profile)
      result[fusion].deviceSeconds += d.seconds;
  }
  return result;
}

} // namespace nabla::tools
