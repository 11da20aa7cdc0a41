//===- Trainer.cpp - Training a model from C++ ----------------------------===//
#include "nabla/Trainer.h"
#include "nabla/support/Error.h"

#include "nabla/Backend.h"

#include "nabla/codegen/Passes.h"
#include "nabla/ir/NablaDialect.h"
#include "nabla/passes/Passes.h"
#include "nabla/runtime/JitEngine.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Pass/PassManager.h"
#include "nabla/ir/NablaOps.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>

namespace nabla {

namespace {

/// Runs `pm` on `module`, turning MLIR diagnostics into the error text.
llvm::Error runPasses(mlir::PassManager &pm, mlir::ModuleOp module,
                      llvm::StringRef what) {
  std::string text;
  llvm::raw_string_ostream os(text);
  mlir::ScopedDiagnosticHandler handler(module->getContext(),
                                        [&](mlir::Diagnostic &d) {
                                          os << d << "\n";
                                          return mlir::success();
                                        });
  if (mlir::failed(pm.run(module)))
    return makeError("error: " + what +
                     " failed: " + llvm::StringRef(text).rtrim());
  return llvm::Error::success();
}

Tensor scalarF32(double v) {
  return Tensor::fromDoubles(ElementType::F32, {}, {v});
}

/// The model's own state ("state:NAME", declared with `state` in the
/// source), as opposed to the optimizer's ("exp_avg:NAME", ...).
bool isModelState(llvm::StringRef name) { return name.starts_with("state:"); }

} // namespace

/// For locateNonFinite: the nabla-level module with @M_grad, and its
/// context, kept from compilation; the probe model is built on first use.
struct Trainer::Probe {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

Trainer::~Trainer() = default;

llvm::Expected<std::unique_ptr<Trainer>>
Trainer::create(const Source &source, const CompileOptions &compile,
                const TrainOptions &train) {
  auto context = createContext();
  std::string model;
  auto module = source.buildTrainingStep(*context, compile,
                                         train.pipelineSettings(compile.device),
                                         Stage::Mixed, model);
  if (!module)
    return module.takeError();

  std::unique_ptr<Probe> probe;
  if (train.checkNumerics) {
    CompileOptions options = compile;
    options.gradients = true;
    probe = std::make_unique<Probe>();
    probe->context = createContext();
    // Generated in the probe's own context (a module cannot move between
    // contexts).
    auto copy = source.generate(*probe->context, options);
    if (!copy)
      return copy.takeError();
    probe->module = std::move(*copy);
  }

  std::unique_ptr<Trainer> trainer(new Trainer());
  trainer->options = train;
  trainer->scaler = train.lossScale;
  if (train.averagesInStep(compile.device)) {
    Collective *c = train.collective;
    trainer->reducer = std::make_unique<BucketReducer>(
        [c](Tensor &bucket) { return c->average(bucket); },
        c->callableFromAnyThread());
  }
  trainer->probe = std::move(probe);
  trainer->model = model;
  for (llvm::StringRef suffix : {"_train_step", "_accumulate", "_apply"}) {
    auto func =
        (*module)->lookupSymbol<mlir::func::FuncOp>(model + suffix.str());
    if (!func)
      continue;
    auto sig = readSignature(func);
    if (!sig)
      return sig.takeError();
    trainer->signatures[suffix.drop_front().str()] = std::move(*sig);
  }
  trainer->stepSignature = trainer->signatures.at("train_step");

  auto engine = createEngine(
      **module, compile,
      [&](mlir::PassManager &pm) {
        return runPasses(pm, **module, "lowering the training step");
      },
      &trainer->loweringSeconds);
  if (!engine)
    return engine.takeError();
  trainer->engine = std::move(*engine);
  for (llvm::StringRef suffix : {"_train_step", "_accumulate", "_apply"})
    if ((*module)->lookupSymbol(model + suffix.str()))
      if (auto e = trainer->engine->prepare(model + suffix.str()))
        return std::move(e);

  // Buffers: two of each parameter and state tensor (written, then
  // swapped), accumulated gradient sums, and the step's scalar outputs.
  uint64_t bytes = 0;
  for (const ArgInfo &arg : trainer->stepSignature.args)
    if (arg.role == TensorInfo::Role::Param ||
        arg.role == TensorInfo::Role::State)
      bytes += arg.sizeInBytes() * (arg.isParam && trainer->split() ? 4 : 2);
  if (auto e = checkFitsInMemory(bytes, "the parameters and optimizer state"))
    return std::move(e);
  for (const ArgInfo &arg : trainer->stepSignature.args) {
    using Role = TensorInfo::Role;
    if (arg.role == Role::Param) {
      trainer->names.push_back(arg.name);
      trainer->params.emplace_back(arg.type, arg.shape);
      trainer->nextParams.emplace_back(arg.type, arg.shape);
      if (trainer->split()) {
        trainer->sums.emplace_back(arg.type, arg.shape);
        trainer->nextSums.emplace_back(arg.type, arg.shape);
      }
      trainer->norms.emplace_back(arg.type, std::vector<int64_t>{});
    } else if (arg.role == Role::State && isModelState(arg.name)) {
      trainer->bufferNames.push_back(arg.name);
      trainer->bufferInits.push_back(arg.init);
      trainer->buffers.emplace_back(arg.type, arg.shape);
      trainer->nextBuffers.emplace_back(arg.type, arg.shape);
    } else if (arg.role == Role::State) {
      trainer->stateNames.push_back(arg.name);
      trainer->state.emplace_back(arg.type, arg.shape);
      trainer->nextState.emplace_back(arg.type, arg.shape);
    } else if (arg.role == Role::Input) {
      trainer->inputNames.push_back(arg.name);
    }
  }
  // Parameters, optimizer state and gradient sums stay on a GPU between
  // steps; they come back when the host reads them (getParameter,
  // toCheckpoint). The vectors are not resized after this.
  for (auto *set : {&trainer->params, &trainer->nextParams, &trainer->state,
                    &trainer->nextState, &trainer->sums, &trainer->nextSums,
                    &trainer->buffers, &trainer->nextBuffers})
    for (const Tensor &t : *set)
      trainer->engine->setResident(&t);
  trainer->loss = scalarF32(0);
  for (const TensorInfo &out : trainer->stepSignature.outputs)
    if (out.role == TensorInfo::Role::Output)
      trainer->loss = Tensor(out.type, {});
  return trainer;
}

llvm::Error Trainer::initParameters(uint64_t seed) {
  for (auto [i, arg] : llvm::enumerate(llvm::make_filter_range(
           stepSignature.args, [](const ArgInfo &a) { return a.isParam; }))) {
    std::string error;
    engine->hostChanged(&params[i]);
    if (!initialize(params[i], arg.init, seed, arg.name, error))
      return makeError("error: cannot initialize parameter '" + arg.name +
                       "': " + error);
  }
  for (Tensor &t : state) {
    t = Tensor(t.getElementType(), t.getShape());
    engine->hostChanged(&t);
  }
  for (auto [t, init, name] : llvm::zip(buffers, bufferInits, bufferNames)) {
    std::string error;
    engine->hostChanged(&t);
    if (!initialize(t, init, seed, name, error))
      return makeError("error: cannot initialize '" + name + "': " + error);
  }
  stepCount = 0;
  this->seed = seed;
  // The same seed gives the same values everywhere; process 0's are the
  // ones kept all the same (as torch's DistributedDataParallel does).
  if (options.dataParallel())
    for (auto *set : {&params, &buffers})
      for (Tensor &t : *set)
        if (auto e = options.collective->broadcastFromFirst(t))
          return e;
  return llvm::Error::success();
}

llvm::Error Trainer::averageOverProcesses(double &loss) {
  Collective &c = *options.collective;
  // Each process's sums are of the gradients of its share of the batch
  // (means over its rows): their mean is the gradient of the whole batch.
  // The model's state (batch_norm's running statistics) moved with each
  // process's own rows; its mean keeps the processes the same.
  // On a GPU they come to the host and go back (counted in bytesAveraged).
  // The f32 ones (all, but for f64 models) and the loss travel as one
  // buffer: one allreduce a step, not one per parameter (a 200-layer
  // chain has 400 parameters; each call costs the processes a meeting).
  std::vector<Tensor *> all, single;
  int64_t count = 1; // the loss
  for (auto *set : {&sums, &buffers})
    for (Tensor &t : *set) {
      if (auto e = engine->syncToHost(&t))
        return e;
      bool f32 = t.getElementType() == ElementType::F32;
      (f32 ? all : single).push_back(&t);
      count += f32 ? t.getNumElements() : 0;
      bytesAveraged += t.sizeInBytes();
    }
  Tensor bucket(ElementType::F32, {count});
  char *at = static_cast<char *>(bucket.data());
  for (Tensor *t : all) {
    std::memcpy(at, t->data(), t->sizeInBytes());
    at += t->sizeInBytes();
  }
  float lossF32 = static_cast<float>(loss);
  std::memcpy(at, &lossF32, sizeof lossF32);
  if (auto e = c.average(bucket))
    return e;
  at = static_cast<char *>(bucket.data());
  for (Tensor *t : all) {
    std::memcpy(t->data(), at, t->sizeInBytes());
    at += t->sizeInBytes();
  }
  std::memcpy(&lossF32, at, sizeof lossF32);
  loss = lossF32;
  for (Tensor *t : single)
    if (auto e = c.average(*t))
      return e;
  for (auto *set : {&sums, &buffers})
    for (Tensor &t : *set)
      engine->hostChanged(&t);
  return llvm::Error::success();
}

Tensor *Trainer::getParameter(llvm::StringRef name) {
  auto find = [&](const std::vector<std::string> &list,
                  std::vector<Tensor> &tensors) -> Tensor * {
    auto it = llvm::find(list, name);
    if (it == list.end())
      return nullptr;
    Tensor *t = &tensors[it - list.begin()];
    // A failed copy (a lost device) is reported by the next step.
    if (auto e = engine->syncToHost(t))
      deviceError = llvm::toString(std::move(e));
    engine->hostChanged(t); // the caller may write it
    return t;
  };
  if (Tensor *t = find(names, params))
    return t;
  return find(bufferNames, buffers);
}

llvm::Error Trainer::callFunction(llvm::StringRef name,
                                  std::vector<Tensor *> args,
                                  std::vector<Tensor *> outputs) {
  if (auto e = engine->call(name, args, outputs))
    return makeError("error: running " + name +
                     " failed: " + llvm::toString(std::move(e)));
  return llvm::Error::success();
}

/// The tensor each argument and result of a step function is bound to,
/// found by its role and name in the function's signature (never by
/// position): parameters and state by name, gradient sums
/// ("grad_sum:NAME"), the batch's inputs, the hyper-parameters lr, step and
/// loss_scale; results likewise, with the loss and gradient norms.
llvm::Error Trainer::callBound(llvm::StringRef function,
                               std::vector<Tensor> &batch) {
  const Signature &sig = signatures.at(function.str());
  auto indexOf = [](llvm::ArrayRef<std::string> list, llvm::StringRef name) {
    auto it = llvm::find(list, name);
    return it == list.end() ? -1 : int(it - list.begin());
  };
  auto slot = [&](llvm::StringRef name, std::vector<Tensor> &state,
                  std::vector<Tensor> &gradSums,
                  std::vector<Tensor> &modelState) -> Tensor * {
    if (name.consume_front("grad_sum:")) {
      int i = indexOf(names, name);
      return i < 0 ? nullptr : &gradSums[i];
    }
    if (isModelState(name)) {
      int i = indexOf(bufferNames, name);
      return i < 0 ? nullptr : &modelState[i];
    }
    int i = indexOf(stateNames, name);
    return i < 0 ? nullptr : &state[i];
  };
  std::vector<Tensor *> args, outs;
  for (const ArgInfo &arg : sig.args) {
    using Role = TensorInfo::Role;
    Tensor *t = nullptr;
    if (arg.role == Role::Param) {
      int i = indexOf(names, arg.name);
      t = i < 0 ? nullptr : &params[i];
    } else if (arg.role == Role::State) {
      t = slot(arg.name, state, sums, buffers);
    } else if (arg.role == Role::Input) {
      int i = indexOf(inputNames, arg.name);
      t = i < 0 || size_t(i) >= batch.size() ? nullptr : &batch[i];
    } else if (arg.role == Role::Hyper) {
      t = arg.name == "lr"                ? &lr
          : arg.name == "step"            ? &stepTensor
          : arg.name == "loss_scale"      ? &lossScaleTensor
          : arg.name == "dropout_seed"    ? &dropoutSeed
          : arg.name == "dropout_counter" ? &dropoutCounter
                                          : nullptr;
    }
    if (!t)
      return makeError("error: " + sig.function + " takes '" + arg.name +
                       "', which the trainer does not have (a compiler bug)");
    args.push_back(t);
  }
  for (const TensorInfo &out : sig.outputs) {
    using Role = TensorInfo::Role;
    Tensor *t = nullptr;
    llvm::StringRef name = out.name;
    if (out.role == Role::Update) {
      int i = indexOf(names, name);
      t = i < 0 ? nullptr : &nextParams[i];
    } else if (out.role == Role::State) {
      t = slot(name, nextState, nextSums, nextBuffers);
    } else if (out.role == Role::Output && name == "loss") {
      t = &loss;
    } else if (out.role == Role::Stat && name.consume_front("grad_norm:")) {
      int i = indexOf(names, name);
      t = i < 0 ? nullptr : &norms[i];
    }
    if (!t)
      return makeError("error: " + sig.function + " returns '" + out.name +
                       "', which the trainer does not have (a compiler bug)");
    outs.push_back(t);
  }
  return callFunction(sig.function, args, outs);
}

llvm::Expected<StepResult>
Trainer::step(llvm::ArrayRef<std::map<std::string, Tensor>> microBatches) {
  if (!deviceError.empty())
    return makeError(deviceError);
  if ((int64_t)microBatches.size() != options.step.accumulate)
    return makeError("error: a step takes " +
                     llvm::Twine(options.step.accumulate) +
                     " micro-batches, got " + llvm::Twine(microBatches.size()));
  // Each micro-batch's inputs, checked and converted to the declared types.
  std::vector<std::vector<Tensor>> inputs;
  for (const auto &batch : microBatches) {
    std::vector<Tensor> converted;
    for (const ArgInfo &arg : stepSignature.args) {
      if (arg.role != TensorInfo::Role::Input)
        continue;
      auto it = batch.find(arg.name);
      if (it == batch.end())
        return makeError("error: missing input '" + arg.name + "' (" +
                         arg.typeString() + ")");
      if (it->second.getShape() != arg.shape)
        return makeError("error: input '" + arg.name + "' must be " +
                         arg.typeString() + ", got " + it->second.typeString());
      converted.push_back(it->second.convertTo(arg.type));
      if (auto e = checkLabels(arg, converted.back()))
        return std::move(e);
    }
    inputs.push_back(std::move(converted));
  }

  ++stepCount;
  lr = scalarF32(options.lr);
  stepTensor = scalarF32(static_cast<double>(stepCount));
  lossScaleTensor = scalarF32(scaler.getScale());
  // Dropout's masks: a new one for every forward call, the same for the
  // same seed and call on any thread count or device (and after --resume).
  dropoutSeed = Tensor::fromDoubles(
      ElementType::I32, {}, {double(int32_t(uint32_t(seed ^ (seed >> 32))))});
  auto setCall = [&](int64_t micro) {
    int64_t call = (stepCount - 1) * options.step.accumulate + micro;
    // Data parallel: each process draws its own masks for its rows.
    if (options.dataParallel())
      call = call * options.collective->size() + options.collective->rank();
    dropoutCounter = Tensor::fromDoubles(ElementType::I32, {},
                                         {double(int32_t(uint32_t(call)))});
  };
  StepResult result;
  if (!split()) {
    setCall(0);
    {
      std::optional<ActiveReducer> averaging;
      if (reducer)
        averaging.emplace(*reducer);
      if (auto e = callBound("train_step", inputs[0]))
        return std::move(e);
    }
    if (reducer)
      if (auto e = reducer->takeError())
        return std::move(e);
    result.loss = loss.get(0);
  } else {
    for (Tensor &s : sums) {
      s = Tensor(s.getElementType(), s.getShape());
      engine->hostChanged(&s);
    }
    double total = 0;
    for (auto [m, micro] : llvm::enumerate(inputs)) {
      setCall(int64_t(m));
      if (auto e = callBound("accumulate", micro))
        return std::move(e);
      std::swap(sums, nextSums);
      // Each micro-batch moves the running statistics, as each forward
      // call of a torch module in training mode does.
      std::swap(buffers, nextBuffers);
      total += loss.get(0);
    }
    result.loss = total / options.step.accumulate;
    if (options.dataParallel())
      if (auto e = averageOverProcesses(result.loss))
        return std::move(e);
    std::vector<Tensor> noBatch;
    if (auto e = callBound("apply", noBatch))
      return std::move(e);
  }
  for (auto [name, norm] : llvm::zip(names, norms))
    result.gradNorms.push_back({name, norm.get(0)});
  result.lossScale = scaler.getScale();
  if (scaler.enabled()) {
    // The norms are of the unscaled gradients: any overflow shows in them.
    bool finite = llvm::all_of(result.gradNorms, [](const auto &named) {
      return std::isfinite(named.second);
    });
    if (!scaler.update(finite)) {
      result.skipped = true;
      --stepCount;
      return result;
    }
  }
  if (options.checkNumerics) {
    bool finite = std::isfinite(result.loss);
    for (auto &[name, norm] : result.gradNorms)
      finite = finite && std::isfinite(norm);
    if (!finite) {
      // Not applied: the current buffers still hold the step's inputs.
      result.nonFinite = true;
      --stepCount;
      return result;
    }
  }
  // The new values become current; the old buffers are written next step.
  std::swap(params, nextParams);
  std::swap(state, nextState);
  if (!split())
    std::swap(buffers, nextBuffers);
  return result;
}

namespace {

/// Builds @probe from @M_grad: the same arguments, returning every float
/// result of every op in program order (forward, then backward).
mlir::func::FuncOp buildProbe(mlir::func::FuncOp grad,
                              std::vector<mlir::Operation *> &ops) {
  mlir::OpBuilder b(grad);
  b.setInsertionPointAfter(grad);
  auto probe = llvm::cast<mlir::func::FuncOp>(b.clone(*grad));
  probe.setSymName("probe");
  probe->removeAttr(attrs::kGradientOf);
  mlir::Block &block = probe.getBody().front();
  std::vector<mlir::Value> values;
  for (mlir::Operation &op : block.without_terminator()) {
    if (op.getNumResults() != 1 || llvm::isa<ConstantOp>(op))
      continue;
    auto type =
        llvm::dyn_cast<mlir::RankedTensorType>(op.getResult(0).getType());
    if (!type || !llvm::isa<mlir::FloatType>(type.getElementType()))
      continue;
    ops.push_back(&op);
    values.push_back(op.getResult(0));
  }
  mlir::Operation *ret = block.getTerminator();
  b.setInsertionPoint(ret);
  mlir::func::ReturnOp::create(b, ret->getLoc(), values);
  ret->erase();
  llvm::SmallVector<mlir::Type> types;
  llvm::SmallVector<mlir::Attribute> attrsList;
  for (auto [i, v] : llvm::enumerate(values)) {
    types.push_back(v.getType());
    attrsList.push_back(b.getDictionaryAttr(b.getNamedAttr(
        attrs::kOutput, b.getStringAttr("v" + std::to_string(i)))));
  }
  probe.setType(b.getFunctionType(probe.getArgumentTypes(), types));
  probe.setAllResultAttrs(attrsList);
  return probe;
}

/// "NaN", "inf" or "-inf": the first non-finite element of `t`, if any.
std::optional<std::string> nonFinite(const Tensor &t) {
  for (int64_t i = 0; i < t.getNumElements(); ++i) {
    double v = t.get(i);
    if (std::isnan(v))
      return std::string("NaN");
    if (std::isinf(v))
      return std::string(v > 0 ? "inf" : "-inf");
  }
  return std::nullopt;
}

bool holds(const Tensor *t, bool (*pred)(double)) {
  for (int64_t i = 0; t && i < t->getNumElements(); ++i)
    if (pred(t->get(i)))
      return true;
  return false;
}

/// Why `op` produced a non-finite value from `inputs` (null where unknown).
std::string explain(mlir::Operation *op,
                    const std::vector<const Tensor *> &inputs) {
  for (const Tensor *t : inputs)
    if (holds(t, [](double v) { return !std::isfinite(v); }))
      return "one of its inputs already holds a NaN or infinity";
  auto isZero = [](double v) { return v == 0; };
  auto isNegative = [](double v) { return v < 0; };
  if (llvm::isa<LogOp>(op) && holds(inputs[0], isZero))
    return "its input holds 0";
  if (llvm::isa<LogOp, SqrtOp>(op) && holds(inputs[0], isNegative))
    return "its input holds a negative number";
  if (llvm::isa<DivOp>(op) && inputs.size() == 2 && holds(inputs[1], isZero))
    return "it divides by 0";
  return "its inputs are finite: the result overflowed";
}

} // namespace

llvm::Error
Trainer::locateNonFinite(const Source &source,
                         const std::map<std::string, Tensor> &batch) {
  if (!probe)
    return makeError("error: locating a NaN needs checkNumerics");
  mlir::ModuleOp module = *probe->module;
  mlir::func::FuncOp grad;
  for (auto f : module.getOps<mlir::func::FuncOp>())
    if (f->hasAttr(attrs::kGradientOf))
      grad = f;
  std::vector<mlir::Operation *> ops;
  if (auto old = module.lookupSymbol<mlir::func::FuncOp>("probe"))
    old.erase();
  buildProbe(grad, ops);
  auto model = Model::compileModule(module, "probe");
  if (!model)
    return model.takeError();
  for (const std::string &name : names)
    *(*model)->getParameter(name) = *getParameter(name);
  auto values = (*model)->run(batch);
  if (!values)
    return values.takeError();
  // Where each op's operands come from: an earlier result or an argument.
  llvm::DenseMap<mlir::Value, const Tensor *> known;
  mlir::func::FuncOp probeFunc =
      module.lookupSymbol<mlir::func::FuncOp>("probe");
  for (auto [arg, info] :
       llvm::zip(probeFunc.getArguments(), (*model)->getSignature().args)) {
    auto it = batch.find(info.name);
    known[arg] = info.isParam        ? (*model)->getParameter(info.name)
                 : it != batch.end() ? &it->second
                                     : nullptr;
  }
  for (auto [op, t] : llvm::zip(ops, *values))
    known[op->getResult(0)] = &t;
  for (auto [op, t] : llvm::zip(ops, *values)) {
    auto what = nonFinite(t);
    if (!what)
      continue;
    std::vector<const Tensor *> inputs;
    for (mlir::Value operand : op->getOperands())
      inputs.push_back(known.lookup(operand)); // null: a constant
    std::string opName = op->getName().stripDialect().str();
    // Inside a layer the location names the instance: "Dense_3"(file:l:c).
    mlir::Location loc = op->getLoc();
    if (auto named = llvm::dyn_cast<mlir::NameLoc>(loc)) {
      opName += " in " + named.getName().str();
      loc = named.getChildLoc();
    }
    std::string message = opName + " produced " + *what + " at step " +
                          std::to_string(stepCount + 1) + " (" +
                          explain(op, inputs) + ")";
    if (auto fileLoc = llvm::dyn_cast<mlir::FileLineColLoc>(loc))
      return source.errorAt(fileLoc.getLine(), fileLoc.getColumn(), message);
    return makeError("error: " + message);
  }
  return makeError("error: the step was not finite, but no op of the model "
                   "produced a NaN or infinity on this batch");
}

llvm::Expected<Checkpoint> Trainer::toCheckpoint() const {
  for (auto *set : {&params, &state, &buffers})
    for (const Tensor &t : *set)
      if (auto e = engine->syncToHost(const_cast<Tensor *>(&t)))
        return std::move(e);
  Checkpoint c;
  for (auto [name, t] : llvm::zip(names, params))
    c.tensors["param:" + name] = t;
  for (auto [name, t] : llvm::zip(stateNames, state))
    c.tensors[name] = t;
  for (auto [name, t] : llvm::zip(bufferNames, buffers))
    c.tensors[name] = t;
  c.metadata["step"] = std::to_string(stepCount);
  c.metadata["seed"] = std::to_string(seed);
  c.metadata["optimizer"] = toString(options.step.optimizer).str();
  c.metadata["model"] = model;
  // The options, for the record (resuming uses the caller's options).
  auto number = [](double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.17g", v);
    return std::string(buffer);
  };
  c.metadata["lr"] = number(options.lr);
  c.metadata["momentum"] = number(options.step.momentum);
  c.metadata["beta1"] = number(options.step.beta1);
  c.metadata["beta2"] = number(options.step.beta2);
  c.metadata["eps"] = number(options.step.eps);
  c.metadata["weight_decay"] = number(options.step.weightDecay);
  c.metadata["clip_norm"] = number(options.step.clipNorm);
  c.metadata["clip_value"] = number(options.step.clipValue);
  c.metadata["accumulate"] = std::to_string(options.step.accumulate);
  c.metadata["precision"] = toString(options.precision).str();
  c.metadata["loss_scale_mode"] = scaler.describe();
  c.metadata["loss_scale"] = number(scaler.getScale());
  c.metadata["loss_scale_growth_tracker"] =
      std::to_string(scaler.getGrowthTracker());
  return c;
}

llvm::Error Trainer::save(llvm::StringRef path) const {
  auto checkpoint = toCheckpoint();
  if (!checkpoint)
    return checkpoint.takeError();
  return writeCheckpoint(*checkpoint, path);
}

llvm::Error Trainer::load(llvm::StringRef path) {
  auto checkpoint = readCheckpoint(path);
  if (!checkpoint)
    return checkpoint.takeError();
  return restore(*checkpoint);
}

llvm::Error Trainer::restore(const Checkpoint &c) {
  auto take = [&](const std::string &key, Tensor &into) -> llvm::Error {
    auto t = checkpointTensor(c, key, into.getElementType(), into.getShape());
    if (!t)
      return makeError("error: " + llvm::toString(t.takeError()));
    into = **t;
    return llvm::Error::success();
  };
  auto optimizer = c.metadata.find("optimizer");
  if (optimizer != c.metadata.end() &&
      optimizer->second != toString(options.step.optimizer))
    return makeError("error: the checkpoint was trained with " +
                     optimizer->second + ", not " +
                     toString(options.step.optimizer) +
                     "; its optimizer state does not carry over");
  for (auto [name, t] : llvm::zip(names, params)) {
    engine->hostChanged(&t);
    if (auto e = take("param:" + name, t))
      return e;
  }
  for (auto [name, t] : llvm::zip(stateNames, state)) {
    engine->hostChanged(&t);
    if (auto e = take(name, t))
      return e;
  }
  for (auto [name, t] : llvm::zip(bufferNames, buffers)) {
    engine->hostChanged(&t);
    if (auto e = take(name, t))
      return e;
  }
  auto step = c.metadata.find("step");
  int64_t n = 0;
  if (step == c.metadata.end() ||
      llvm::StringRef(step->second).getAsInteger(10, n) || n < 0)
    return makeError("error: the checkpoint has no valid 'step' metadata");
  stepCount = n;
  // Dropout goes on with the run's own seed (older checkpoints have none).
  auto seedEntry = c.metadata.find("seed");
  if (seedEntry != c.metadata.end() &&
      llvm::StringRef(seedEntry->second).getAsInteger(10, seed))
    return makeError("error: the checkpoint's 'seed' metadata is invalid ('" +
                     seedEntry->second + "')");
  // The dynamic scaler goes on where it stopped (torch saves GradScaler's
  // state_dict beside the optimizer's for the same reason).
  auto scale = c.metadata.find("loss_scale");
  auto tracker = c.metadata.find("loss_scale_growth_tracker");
  auto mode = c.metadata.find("loss_scale_mode");
  if (scaler.getMode() == LossScaler::Mode::Dynamic &&
      mode != c.metadata.end() && mode->second == "dynamic" &&
      scale != c.metadata.end() && tracker != c.metadata.end()) {
    double s = 0;
    int64_t t = 0;
    if (llvm::StringRef(scale->second).getAsDouble(s) || !(s >= 1) ||
        llvm::StringRef(tracker->second).getAsInteger(10, t) || t < 0)
      return makeError("error: the checkpoint's loss scaler state is invalid "
                       "(loss_scale '" +
                       scale->second + "', growth tracker '" + tracker->second +
                       "')");
    scaler.setState(s, t);
  }
  return llvm::Error::success();
}

} // namespace nabla
