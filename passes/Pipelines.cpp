//===- Pipelines.cpp - The training step as a registered pipeline --------===//
#include "nabla/passes/Pipelines.h"

#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

namespace nabla {

void buildTrainPipeline(OpPassManager &pm,
                        const TrainPipelineSettings &settings) {
  pm.addPass(createAutodiff());
  if (settings.precision != Precision::F32) {
    MixedPrecisionOptions mixed;
    mixed.dtype = settings.precision;
    pm.addNestedPass<func::FuncOp>(createMixedPrecision(mixed));
  }
  TrainingStepOptions step = settings.step;
  step.eraseSources = true;
  pm.addPass(createTrainingStep(step));
}

TrainPipelineOptions::TrainPipelineOptions() {
  // The defaults are the passes' (Passes.td), not written again here.
  TrainPipelineSettings defaults;
  optimizer = defaults.step.optimizer;
  precision = defaults.precision;
  momentum = defaults.step.momentum;
  beta1 = defaults.step.beta1;
  beta2 = defaults.step.beta2;
  eps = defaults.step.eps;
  weightDecay = defaults.step.weightDecay;
  clipNorm = defaults.step.clipNorm;
  clipValue = defaults.step.clipValue;
  accumulate = defaults.step.accumulate;
  lossScaling = defaults.step.lossScaling;
  split = defaults.step.split;
  allReduce = defaults.step.allReduce;
  bucketBytes = defaults.step.bucketBytes;
  allReduceBF16 = defaults.step.allReduceBF16;
}

TrainPipelineSettings TrainPipelineOptions::settings() const {
  TrainPipelineSettings s;
  s.step.optimizer = optimizer;
  s.precision = precision;
  s.step.momentum = momentum;
  s.step.beta1 = beta1;
  s.step.beta2 = beta2;
  s.step.eps = eps;
  s.step.weightDecay = weightDecay;
  s.step.clipNorm = clipNorm;
  s.step.clipValue = clipValue;
  s.step.accumulate = accumulate;
  s.step.lossScaling = lossScaling;
  s.step.split = split;
  s.step.allReduce = allReduce;
  s.step.bucketBytes = bucketBytes;
  s.step.allReduceBF16 = allReduceBF16;
  return s;
}

void registerTrainPipeline() {
  PassPipelineRegistration<TrainPipelineOptions>(
      "nabla-train-pipeline",
      "Build the training step of a module of nabla models: autodiff, "
      "mixed precision, optimizer (what nablac --emit=mixed prints)",
      [](OpPassManager &pm, const TrainPipelineOptions &options) {
        buildTrainPipeline(pm, options.settings());
      });
}

} // namespace nabla
