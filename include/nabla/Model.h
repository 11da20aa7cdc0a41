//===- Model.h - The nabla C++ API: Source and Model -----------*- C++ -*-===//
//
// Compile a .nb model and call it from C++:
//
//   nabla::CompileOptions options;
//   options.dims["N"] = 32;
//   auto model = nabla::Model::compileFile("examples/mlp.nb", options);
//   if (!model) { llvm::errs() << llvm::toString(model.takeError()); ... }
//   (*model)->initParameters(/*seed=*/0);
//   auto outputs = (*model)->run({{"x", x}, {"y", y}});
//
// Errors are returned as llvm::Error; their text is the diagnostics a user
// would see from nablac (file:line:col, the source line and a caret).
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_MODEL_H
#define NABLA_MODEL_H

#include "nabla/Stages.h"
#include "nabla/runtime/Signature.h"
#include "nabla/runtime/Tensor.h"
#include "nabla/runtime/Threads.h" // setNumThreads: CPU threads

#include "llvm/Support/Error.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
class ModuleOp;
class PassManager;
template <typename OpTy> class OwningOpRef;
} // namespace mlir

namespace nabla {

namespace ast {
struct Module;
}
class Engine;
struct CompileInfo;

/// An MLIRContext with every dialect and interface nabla's pipeline needs.
std::unique_ptr<mlir::MLIRContext> createContext();

struct CompileOptions {
  /// Sizes of named dims, e.g. {"N": 128}.
  std::map<std::string, int64_t> dims;
  /// The model to compile; empty means the file's only (or first) model.
  std::string model;
  /// Reject models whose first result is not a float scalar (training).
  bool requireScalarLoss = false;
  /// Compile @M_grad (nabla-autodiff) instead of @M: run() then returns the
  /// model's outputs followed by the gradient of the loss with respect to
  /// each parameter (or to the names in `wrt`).
  bool gradients = false;
  std::vector<std::string> wrt;
  /// Compute in f64 wherever the model says f32 (for gradient checking).
  bool promoteToF64 = false;
  /// Compile the model's training form, as the training step sees it
  /// (batch_norm with the batch's statistics): run() then also returns the
  /// new value of each `state` ("state:NAME") after the model's outputs.
  /// Off, the inference form (running statistics), what `nablac run` and
  /// `eval` use. The training step is always built from the training form.
  bool training = false;
  /// Compile the model's prediction form: its first input only, and the
  /// outputs that do not read the others (the targets): the loss goes,
  /// the logits stay. What `nablac predict` runs and `nablac export`
  /// compiles. Implies the inference form (training off).
  bool predict = false;
  /// Group ops into fused kernels (nabla-fusion); false compiles every op
  /// as a kernel of its own (nablac --no-fusion).
  bool fusion = true;
  /// Where compiled code runs: "cpu" (the default, JIT-compiled with LLVM),
  /// "vulkan" (the first discrete GPU, else the first Vulkan device) or
  /// "vulkan:N" (device N of `nablac devices`).
  std::string device = "cpu";
  /// Time every kernel (`--profile`): Vulkan's dispatches with timestamp
  /// queries; on the CPU, clock reads compiled in around each kernel
  /// (nabla-cpu-profile-kernels). Engine::getLastProfile has the times.
  bool profile = false;
  /// Verify the IR after every compiler pass (nablac --verify-each), to
  /// find the pass that breaks it; off, it is verified once at the end of
  /// each pipeline, and a large model compiles a third faster.
  bool verifyEachPass = false;
  /// Called on every pass manager the compiler builds (nablac uses it to
  /// apply --mlir-print-ir-after-all, --mlir-timing, ...). Set, it also
  /// makes the passes run when the compile cache holds the model's code.
  std::function<void(mlir::PassManager &)> configurePassManager;
};

/// One setting of a file's `train { ... }` block, as written: `lr = 0.01`
/// is {"lr", "0.01", Number}; a call or a list is its text without spaces
/// (`augment = [random_crop(padding = 2), hflip]` is
/// "random_crop(padding=2),hflip", Expression). What settings exist and what
/// they mean is the caller's (nablac's settings table); the file only says
/// where.
struct TrainBlockSetting {
  enum class Kind { Number, Integer, Name, String, Expression, Other };
  std::string name;
  std::string value; // the number, name or string; empty for Other
  Kind kind = Kind::Other;
  llvm::SMLoc loc;      // the setting's name
  llvm::SMLoc valueLoc; // its value
};

/// A parsed .nb file: the source, its syntax tree and the diagnostics state.
/// Parsing is separate from compiling so that named dims can be inferred
/// from the data a user passes before shapes are fixed.
class Source {
public:
  /// A .nb file, or an ONNX model (`.onnx`: imported as .nb source, its
  /// symbolic input dims bound by `dims`, its initializers loaded from
  /// the file).
  static llvm::Expected<std::unique_ptr<Source>>
  fromFile(llvm::StringRef path,
           const std::map<std::string, int64_t> &dims = {});
  static llvm::Expected<std::unique_ptr<Source>>
  fromString(llvm::StringRef text, llvm::StringRef name);
  ~Source();

  /// An independent copy, parsed again from the same text under the same
  /// name: a Source (its syntax tree, its diagnostics state) is used by one
  /// thread at a time, so a compile on another thread takes a copy.
  llvm::Expected<std::unique_ptr<Source>> copy() const;

  const ast::Module &getAST() const;
  llvm::StringRef getName() const { return name; }
  /// The model file's text, as read.
  llvm::StringRef getText() const;

  /// The settings of the file's train block, in order (none without one).
  std::vector<TrainBlockSetting> trainSettings() const;

  /// The names, in order, of the inputs of `model` (empty: the first).
  llvm::Expected<std::vector<std::string>>
  inputNames(llvm::StringRef model = "") const;

  /// The batch dimension of `model`: the name of its first input's first
  /// dimension (N, B, batch, ...), or "N" when that is not a name.
  /// Training, evaluation and prediction bind it to their batch size.
  std::string batchDim(llvm::StringRef model = "") const;

  /// Adds to `options.dims` the named dims of `model`'s inputs implied by
  /// data: a shape for each input given as an array, or only an element
  /// count (shape {-1, count}) for a flat list of values.
  llvm::Error
  inferDims(const std::map<std::string, std::vector<int64_t>> &shapes,
            CompileOptions &options) const;

  /// Elaborates the model into the nabla dialect (with @M_grad when
  /// `options.gradients`), for tools and tests that work on the IR.
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  generate(mlir::MLIRContext &context, const CompileOptions &options) const;

  /// Elaborates the model and builds its training step with `train`
  /// (nabla-train-pipeline: @M_train_step, and @M_accumulate and @M_apply
  /// with accumulation), lowered as far as `stage` (Mixed: not at all;
  /// Fused, Linalg, ...: as runToStage does). `model` receives the model's
  /// name. Trainer compiles it; tools print it or count its kernels.
  llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
  buildTrainingStep(mlir::MLIRContext &context, const CompileOptions &options,
                    const TrainPipelineSettings &train, Stage stage,
                    std::string &model) const;

  /// Elaborates and type-checks `options.model`, returning its signature.
  llvm::Expected<Signature> check(const CompileOptions &options) const;

  /// An error at `loc` in this source, formatted like every diagnostic
  /// (file:line:col, the line, a caret).
  llvm::Error errorAt(llvm::SMLoc loc, const llvm::Twine &message) const;
  /// The same at a 1-based line and column of this source.
  llvm::Error errorAt(unsigned line, unsigned column,
                      const llvm::Twine &message) const;

  /// Prints `stage` of the compilation to `os`. Stages Mixed and Fused
  /// are of the training step built with `train` (Mixed in bf16 when
  /// `train` says f32, to show the casts); the others of the model.
  llvm::Error emit(Stage stage, const CompileOptions &options,
                   llvm::raw_ostream &os,
                   const TrainPipelineSettings &train = {}) const;

  /// The parsed state (defined in api/Model.cpp).
  struct Impl;

private:
  Source(std::string name, std::unique_ptr<Impl> impl);
  std::string name;
  std::unique_ptr<Impl> impl;
  friend class Model;
};

/// A model compiled to native code, with its parameters.
class Model {
public:
  static llvm::Expected<std::unique_ptr<Model>>
  compile(const Source &source, const CompileOptions &options);
  static llvm::Expected<std::unique_ptr<Model>>
  compileFile(llvm::StringRef path, const CompileOptions &options);
  /// Compiles `function` of a module in the nabla dialect (a copy of the
  /// module is lowered; `module` is not changed).
  static llvm::Expected<std::unique_ptr<Model>>
  compileModule(mlir::ModuleOp module, llvm::StringRef function,
                const CompileOptions &options = {});
  ~Model();

  const Signature &getSignature() const { return signature; }
  /// Whether the machine code came from the compile cache, and its file.
  const CompileInfo &getCompileInfo() const;
  /// The engine that runs the compiled code (its profile, with
  /// CompileOptions::profile on Vulkan).
  const Engine &getEngine() const { return *engine; }

  /// Sets every parameter and `state` from its init spec; the same seed
  /// gives the same values on every run and machine.
  llvm::Error initParameters(uint64_t seed);
  /// The parameter called `name` (e.g. "Dense_1.w"), the state (e.g.
  /// "state:BatchNorm_1.running_mean") or a hyper-parameter of the training
  /// form ("dropout_seed", "dropout_counter": 0 until set), or null.
  Tensor *getParameter(llvm::StringRef name);

  /// Evaluates the model on `inputs` (by name; each must have the declared
  /// shape; values are converted to the declared element type). Returns the
  /// outputs in order.
  llvm::Expected<std::vector<Tensor>>
  run(const std::map<std::string, Tensor> &inputs);

  /// run() without its copies, for latency-bound callers: `inputs` are
  /// the model's inputs in declared order, each of exactly the declared
  /// element type and shape; `outputs` must have the outputs' types and
  /// shapes and are written in place. Neither is converted or allocated.
  llvm::Error runInPlace(llvm::ArrayRef<Tensor *> inputs,
                         llvm::ArrayRef<Tensor *> outputs);

private:
  Model() = default;
  /// Lowers `module` (nabla ops) for options.device and loads it.
  static llvm::Expected<std::unique_ptr<Model>>
  fromModule(mlir::ModuleOp module, Signature signature,
             const CompileOptions &options,
             llvm::function_ref<llvm::Error(mlir::PassManager &)> run);
  Signature signature;
  /// One per parameter and state argument (ArgInfo::isHeld), in order.
  std::vector<Tensor> parameters;
  std::unique_ptr<Engine> engine;
};

} // namespace nabla

#endif // NABLA_MODEL_H
