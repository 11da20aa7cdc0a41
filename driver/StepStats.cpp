//===- StepStats.cpp - nablac stats and --emit=fused ----------------------===//
#include "driver/StepStats.h"

#include "nabla/codegen/Passes.h"
#include "nabla/runtime/Init.h"

#include "mlir/Pass/PassManager.h"

#include <algorithm>
#include <chrono>

namespace nabla::tools {

namespace {

llvm::Error makeError(const llvm::Twine &text) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), text);
}

/// The step module lowered to `stage`, and the step function's name.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
lowerStep(mlir::MLIRContext &context, const Source &source,
          const CompileOptions &options, const TrainOptions &train,
          CpuStage stage, std::string &stepName) {
  std::string model;
  auto module = buildTrainingStep(context, source, options, train, model);
  if (!module)
    return module.takeError();
  stepName = model + "_train_step";
  mlir::PassManager pm(&context);
  if (options.configurePassManager)
    options.configurePassManager(pm);
  buildCpuPipeline(pm, stage, options.fusion);
  if (mlir::failed(pm.run(**module)))
    return makeError("error: lowering the training step failed (a compiler "
                     "bug; please report it with the model)");
  return module;
}

/// One micro-batch of random inputs of the model's shapes: uniform [0, 1)
/// floats, and labels in [0, classes).
llvm::Expected<std::map<std::string, Tensor>>
randomBatch(const Source &source, const CompileOptions &options,
            uint64_t seed) {
  auto signature = source.check(options);
  if (!signature)
    return signature.takeError();
  Rng rng(seed);
  std::map<std::string, Tensor> batch;
  for (const ArgInfo &arg : signature->args) {
    if (arg.isParam)
      continue;
    Tensor t(arg.type, arg.shape);
    bool isFloat = arg.type == ElementType::F32 ||
                   arg.type == ElementType::F64 ||
                   arg.type == ElementType::F16 ||
                   arg.type == ElementType::BF16;
    for (int64_t i = 0; i < t.getNumElements(); ++i)
      t.set(i, isFloat ? rng.uniform()
                       : static_cast<double>(
                             rng.next() %
                             static_cast<uint64_t>(std::max<int64_t>(
                                 1, arg.classes))));
    batch.emplace(arg.name, std::move(t));
  }
  return batch;
}

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

} // namespace

llvm::Expected<StepStats> measureStep(const Source &source,
                                      const CompileOptions &options,
                                      const TrainOptions &train,
                                      int64_t steps, uint64_t seed) {
  StepStats stats;
  {
    auto context = createContext();
    std::string stepName;
    auto module =
        lowerStep(*context, source, options, train, CpuStage::Linalg, stepName);
    if (!module)
      return module.takeError();
    auto step = (*module)->lookupSymbol<mlir::func::FuncOp>(stepName);
    stats.kernels = countKernels(step);
  }
  auto start = Clock::now();
  auto trainer = Trainer::create(source, options, train);
  if (!trainer)
    return trainer.takeError();
  stats.compileSeconds = secondsSince(start);
  if (auto e = (*trainer)->initParameters(seed))
    return std::move(e);
  auto batch = randomBatch(source, options, seed);
  if (!batch)
    return batch.takeError();
  std::vector<std::map<std::string, Tensor>> micro(train.accumulate, *batch);
  std::vector<double> times;
  for (int64_t i = 0; i < steps + 2; ++i) {
    auto t0 = Clock::now();
    auto result = (*trainer)->step(micro);
    if (!result)
      return result.takeError();
    if (i >= 2) // the first steps warm caches and page in buffers
      times.push_back(secondsSince(t0));
  }
  std::sort(times.begin(), times.end());
  stats.medianSeconds = times.empty() ? 0 : times[times.size() / 2];
  return stats;
}

llvm::Error printFusedStep(const Source &source, const CompileOptions &options,
                           const TrainOptions &train, llvm::raw_ostream &os) {
  auto context = createContext();
  std::string stepName;
  auto module =
      lowerStep(*context, source, options, train, CpuStage::Fused, stepName);
  if (!module)
    return module.takeError();
  (*module)->print(os);
  os << "\n";
  return llvm::Error::success();
}

} // namespace nabla::tools
