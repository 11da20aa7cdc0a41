//===- Trainer.h - Training a model from C++ --------------------*- C++ -*-===//
//
//   nabla::CompileOptions compile;
//   compile.dims["N"] = 32;                  // the batch size
//   nabla::TrainOptions train;
//   train.optimizer = "adam";
//   train.lr = 1e-3;
//   auto trainer = nabla::Trainer::create(*source, compile, train);
//   (*trainer)->initParameters(/*seed=*/0);
//   auto result = (*trainer)->step({{{"x", x}, {"label", y}}});
//
// The whole step (forward, backward, clipping, optimizer) is one compiled
// function made by nabla-training-step. Parameters and optimizer state live
// in the trainer across steps; each step writes the new values into a
// second set of buffers and swaps, so nothing is copied per step.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_TRAINER_H
#define NABLA_TRAINER_H

#include "nabla/LossScaler.h"
#include "nabla/nabla.h"
#include "nabla/runtime/Checkpoint.h"
#include "nabla/runtime/Engine.h"

namespace nabla {

struct TrainOptions {
  std::string optimizer = "adam"; // sgd, momentum, nesterov, adam, adamw
  double lr = 1e-3;
  double momentum = 0.9, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double weightDecay = -1; // -1: 0, or 0.01 for adamw (torch's defaults)
  double clipNorm = 0, clipValue = 0; // 0: off
  int64_t accumulate = 1;             // micro-batches per step
  /// Check the loss and gradients of every step; on a NaN or infinity the
  /// step is not applied and locateNonFinite() can name the op that made
  /// it. Off by default: then nothing extra is compiled or run.
  bool checkNumerics = false;
  /// Mixed precision: "f32" (off), "bf16" or "f16". Matmuls and elementwise
  /// ops compute in 16 bits; losses, softmax, reductions and the optimizer
  /// stay f32, and the parameters (master weights) and state are f32.
  std::string precision = "f32";
  /// Loss scaling (needed with f16, whose small gradients underflow).
  LossScaler lossScale = LossScaler::none();
};

struct StepResult {
  double loss = 0; // the mean over the step's micro-batches
  /// With checkNumerics: the loss or a gradient was not finite, and the
  /// step was not applied (parameters and state are unchanged).
  bool nonFinite = false;
  /// With dynamic loss scaling: the gradients overflowed at this scale, the
  /// step was not applied, and the scale was halved.
  bool skipped = false;
  /// The loss scale this step used (1 without loss scaling).
  double lossScale = 1;
  /// The L2 norm of each parameter's gradient (before clipping), by name.
  std::vector<std::pair<std::string, double>> gradNorms;
};

/// The module nabla-training-step makes for `source`, in nabla ops:
/// `<model>_train_step` (and `_accumulate`, `_apply` with accumulation);
/// `model` receives the model's name. Trainer::create compiles it; tools
/// print it or count its kernels.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildTrainingStep(mlir::MLIRContext &context, const Source &source,
                  const CompileOptions &compile, const TrainOptions &train,
                  std::string &model);

class Trainer {
public:
  static llvm::Expected<std::unique_ptr<Trainer>>
  create(const Source &source, const CompileOptions &compile,
         const TrainOptions &train);
  ~Trainer();

  llvm::Error initParameters(uint64_t seed);

  /// One optimizer step. Takes `accumulate` micro-batches, each mapping the
  /// model's input names to tensors of their declared shapes.
  llvm::Expected<StepResult>
  step(llvm::ArrayRef<std::map<std::string, Tensor>> microBatches);

  /// The parameters in the model's order.
  const std::vector<std::string> &getParameterNames() const { return names; }
  /// The parameter's current value (copied back from a GPU first); the
  /// caller may change it.
  Tensor *getParameter(llvm::StringRef name);
  /// Optimizer steps taken so far.
  int64_t getStep() const { return stepCount; }
  const LossScaler &getLossScaler() const { return scaler; }
  /// Seconds in nabla's passes (down to the LLVM dialect), and how the
  /// machine code was made (LLVM, or the compile cache).
  double getLoweringSeconds() const { return loweringSeconds; }
  const CompileInfo &getCompileInfo() const { return engine->getCompileInfo(); }
  /// The engine that runs the step (its per-dispatch profile on Vulkan).
  const Engine &getEngine() const { return *engine; }
  const TrainOptions &getOptions() const { return options; }

  /// Parameters ("param:NAME"), optimizer state ("SLOT:NAME") and metadata
  /// (step, optimizer, the loss scaler's state) as a checkpoint, and back.
  /// On a GPU this copies the parameters and state back from the device.
  llvm::Expected<Checkpoint> toCheckpoint() const;
  llvm::Error restore(const Checkpoint &checkpoint);
  /// With checkNumerics, after a non-finite step: re-runs the forward and
  /// backward graph on `batch` with the current parameters and returns the
  /// first op (in program order) whose result holds a NaN or infinity, as
  /// an error in the user's words at that op's line and column, e.g.
  /// `model.nb:12:9: error: log produced -inf at step 3 (its input holds 0)`.
  llvm::Error locateNonFinite(const Source &source,
                              const std::map<std::string, Tensor> &batch);

  /// The same, through a safetensors file written atomically.
  llvm::Error save(llvm::StringRef path) const;
  llvm::Error load(llvm::StringRef path);

private:
  Trainer() = default;
  llvm::Error callFunction(llvm::StringRef name, std::vector<Tensor *> args,
                           std::vector<Tensor *> outputs);

  TrainOptions options;
  Signature stepSignature; // @M_train_step (names of state slots, inputs)
  std::string model;
  std::vector<std::string> names, inputNames;
  std::vector<Tensor> params, nextParams, state, nextState, sums, nextSums;
  std::vector<std::string> stateNames; // "SLOT:NAME", in argument order
  std::vector<Tensor> norms;
  Tensor loss, lr, stepTensor, lossScaleTensor;
  LossScaler scaler = LossScaler::none();
  int64_t stepCount = 0;
  double loweringSeconds = 0;
  std::unique_ptr<Engine> engine;
  /// A copy back from the device that failed in getParameter, for step().
  std::string deviceError;
  struct Probe; // the nabla-level @M_grad kept for locateNonFinite
  std::unique_ptr<Probe> probe;
};

} // namespace nabla

#endif // NABLA_TRAINER_H
