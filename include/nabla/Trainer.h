//===- Trainer.h - Training a model from C++ --------------------*- C++ -*-===//
//
//   nabla::CompileOptions compile;
//   compile.dims["N"] = 32;                  // the batch size
//   nabla::TrainOptions train;
//   train.step.optimizer = nabla::Optimizer::Adam;
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

#include "nabla/Collective.h"
#include "nabla/LossScaler.h"
#include "nabla/Model.h"
#include "nabla/runtime/AllReduce.h"
#include "nabla/runtime/Checkpoint.h"
#include "nabla/runtime/Engine.h"

namespace nabla {

/// How to train: the training step's settings (TrainPipelineSettings: the
/// optimizer and its hyper-parameters as nabla-training-step's options, the
/// precision) and what the step takes at run time.
struct TrainOptions : TrainPipelineSettings {
  double lr = 1e-3;
  /// Check the loss and gradients of every step; on a NaN or infinity the
  /// step is not applied and locateNonFinite() can name the op that made
  /// it. Off by default: then nothing extra is compiled or run.
  bool checkNumerics = false;
  /// Loss scaling (needed with f16, whose small gradients underflow).
  LossScaler lossScale = LossScaler::none();
  /// Data parallel (not owned; null: this process alone): every process
  /// compiles the step for its share of the batch, and the gradients are
  /// averaged over the processes before clipping and the update, as are
  /// the reported loss and the model's state; parameters start from
  /// process 0's. On the CPU the compiled step averages them itself, in
  /// buckets, while its backward pass goes on (averagesInStep). With
  /// accumulation, or on a GPU, the step is split in two and the Trainer
  /// averages the sums between @M_accumulate and @M_apply (on the host for
  /// a GPU). Trainer::getBytesAveraged counts the bytes either way.
  Collective *collective = nullptr;
  bool dataParallel() const { return collective && collective->size() > 1; }
  /// Whether the step for `device` averages over the processes inside.
  bool averagesInStep(llvm::StringRef device) const {
    return dataParallel() && step.accumulate == 1 && !step.split &&
           step.bucketBytes > 0 && device == "cpu";
  }

  /// The settings the step for `device` is built with (loss scaling on
  /// when lossScale is; data parallelism inside the step or split in two).
  TrainPipelineSettings pipelineSettings(llvm::StringRef device = "cpu") const {
    TrainPipelineSettings settings = *this;
    settings.step.lossScaling = lossScale.enabled();
    settings.step.allReduce = averagesInStep(device);
    settings.step.split =
        step.split || (dataParallel() && !settings.step.allReduce);
    return settings;
  }
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
  /// caller may change it. Also the model's state by its name
  /// ("state:BatchNorm_1.running_mean").
  Tensor *getParameter(llvm::StringRef name);
  /// The model's `state` in its order ("state:NAME"), empty without any.
  const std::vector<std::string> &getStateNames() const { return bufferNames; }
  /// Optimizer steps taken so far.
  int64_t getStep() const { return stepCount; }
  const LossScaler &getLossScaler() const { return scaler; }
  /// Data parallel: the bytes of gradients and state averaged over the
  /// processes so far (on a GPU, each also copied to the host and back).
  uint64_t getBytesAveraged() const {
    return bytesAveraged + (reducer ? reducer->getStats().bytes : 0);
  }
  /// Data parallel inside the step: its buckets, the seconds spent
  /// averaging them (on the reducer's thread) and the seconds the step
  /// waited for them (the part the backward pass did not hide). Zero
  /// otherwise.
  BucketReducer::Stats getAveragingStats() const {
    return reducer ? reducer->getStats() : BucketReducer::Stats();
  }
  /// Seconds in nabla's passes (down to the LLVM dialect), and how the
  /// machine code was made (LLVM, or the compile cache).
  double getLoweringSeconds() const { return loweringSeconds; }
  const CompileInfo &getCompileInfo() const { return engine->getCompileInfo(); }
  /// The engine that runs the step (its per-dispatch profile on Vulkan).
  const Engine &getEngine() const { return *engine; }
  const TrainOptions &getOptions() const { return options; }
  /// The learning rate the next steps use (a schedule changes it per step;
  /// the step reads it at run time, so nothing is recompiled).
  void setLearningRate(double lr) { options.lr = lr; }

  /// Parameters ("param:NAME"), optimizer state ("SLOT:NAME"), the model's
  /// state ("state:NAME") and metadata
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
  /// Calls @M_<function> ("train_step", "accumulate", "apply") with its
  /// arguments and results bound by role and name; `batch` holds the
  /// micro-batch's inputs in the order of inputNames.
  llvm::Error callBound(llvm::StringRef function, std::vector<Tensor> &batch);
  /// Whether a step is @M_accumulate per micro-batch, then @M_apply.
  bool split() const {
    return options.step.accumulate > 1 || options.step.split ||
           (options.dataParallel() && !reducer);
  }
  /// Data parallel: the gradient sums averaged over the processes (and the
  /// loss with them), between accumulate and apply.
  llvm::Error averageOverProcesses(double &loss);

  TrainOptions options;
  Signature stepSignature; // @M_train_step (names of state slots, inputs)
  /// The step functions' signatures: "train_step", "accumulate", "apply".
  std::map<std::string, Signature> signatures;
  std::string model;
  std::vector<std::string> names, inputNames;
  std::vector<Tensor> params, nextParams, state, nextState, sums, nextSums;
  std::vector<std::string> stateNames; // "SLOT:NAME", in argument order
  /// The model's own state (batch_norm's running statistics): written by
  /// every call of train_step or accumulate, so swapped after each.
  std::vector<Tensor> buffers, nextBuffers;
  std::vector<std::string> bufferNames; // "state:NAME"
  std::vector<InitSpec> bufferInits;
  /// Dropout's key: the seed of initParameters and the forward calls made
  /// before this one (steps times micro-batches), as i32 scalars.
  uint64_t seed = 0;
  Tensor dropoutSeed, dropoutCounter;
  std::vector<Tensor> norms;
  Tensor loss, lr, stepTensor, lossScaleTensor;
  LossScaler scaler = LossScaler::none();
  int64_t stepCount = 0;
  uint64_t bytesAveraged = 0;
  /// Data parallel inside the step: what its buckets call (null otherwise).
  std::unique_ptr<BucketReducer> reducer;
  double loweringSeconds = 0;
  std::unique_ptr<Engine> engine;
  /// A copy back from the device that failed in getParameter, for step().
  std::string deviceError;
  struct Probe; // the nabla-level @M_grad kept for locateNonFinite
  std::unique_ptr<Probe> probe;
};

} // namespace nabla

#endif // NABLA_TRAINER_H
