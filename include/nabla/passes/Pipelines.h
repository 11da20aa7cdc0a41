//===- Pipelines.h - The training step as a registered pipeline -*- C++ -*-===//
//
// nabla-train-pipeline takes a module of nabla models to the training step
// that gets compiled: nabla-autodiff, nabla-mixed-precision (with a 16-bit
// precision), nabla-training-step. The same builder serves the API
// (Trainer, nablac) and nabla-opt:
//
//   nabla-opt model.mlir --nabla-train-pipeline="optimizer=sgd precision=bf16"
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_PASSES_PIPELINES_H
#define NABLA_PASSES_PIPELINES_H

#include "nabla/passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace nabla {

/// What the training step is built with. Plain, copyable settings: the
/// passes' own option structs, which TrainOptions holds.
struct TrainPipelineSettings {
  TrainingStepOptions step;
  Precision precision = Precision::F32;
};

/// Adds autodiff, mixed precision and the training step to `pm` (a
/// module pass manager). The step functions alone remain.
void buildTrainPipeline(mlir::OpPassManager &pm,
                        const TrainPipelineSettings &settings);

/// nabla-train-pipeline's options: the settings as pass-pipeline options
/// (their defaults are TrainingStepOptions'), for nabla-opt.
struct TrainPipelineOptions : mlir::PassPipelineOptions<TrainPipelineOptions> {
  TrainPipelineOptions();
  Option<Optimizer> optimizer{*this, "optimizer",
                              llvm::cl::desc("The optimizer"),
                              clValues(kOptimizerNames)};
  Option<Precision> precision{*this, "precision",
                              llvm::cl::desc("What matmuls and elementwise "
                                             "ops compute in"),
                              clValues(kPrecisionNames)};
  Option<double> momentum{*this, "momentum",
                          llvm::cl::desc("Momentum (momentum, nesterov)")};
  Option<double> beta1{*this, "beta1", llvm::cl::desc("Adam's beta1")};
  Option<double> beta2{*this, "beta2", llvm::cl::desc("Adam's beta2")};
  Option<double> eps{*this, "eps", llvm::cl::desc("Adam's epsilon")};
  Option<double> weightDecay{
      *this, "weight-decay",
      llvm::cl::desc("L2 penalty (decoupled for adamw); -1: 0, or 0.01 for "
                     "adamw")};
  Option<double> clipNorm{*this, "clip-norm",
                          llvm::cl::desc("Clip the global gradient norm (0: "
                                         "off)")};
  Option<double> clipValue{*this, "clip-value",
                           llvm::cl::desc("Clip each gradient element to "
                                          "[-v, v] (0: off)")};
  Option<int64_t> accumulate{*this, "accumulate",
                             llvm::cl::desc("Micro-batches per step")};
  Option<bool> lossScaling{*this, "loss-scaling",
                           llvm::cl::desc("Take a loss_scale argument")};
  Option<bool> split{*this, "split",
                     llvm::cl::desc("@M_accumulate and @M_apply at "
                                    "accumulate = 1 too (data parallel)")};
  Option<bool> allReduce{*this, "all-reduce",
                         llvm::cl::desc("Average the gradients over the "
                                        "processes inside the step")};
  Option<bool> allReduceBF16{*this, "all-reduce-bf16",
                             llvm::cl::desc("Average the gradients in bf16")};
  Option<int64_t> bucketBytes{*this, "bucket-bytes",
                              llvm::cl::desc("Bytes an all-reduce bucket "
                                             "holds at most")};

  TrainPipelineSettings settings() const;
};

/// Registers nabla-train-pipeline (for nabla-opt and pipeline strings).
void registerTrainPipeline();

} // namespace nabla

#endif // NABLA_PASSES_PIPELINES_H
