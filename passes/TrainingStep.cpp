//===- TrainingStep.cpp - The whole training step as one function ---------===//
//
// From @M_grad this pass builds @M_train_step: the forward and backward
// graph (cloned from @M_grad), gradient clipping, and the optimizer update,
// all as nabla ops, so fusion and codegen see the whole step. The update
// rules are PyTorch's (torch.optim) and are written out below, one function
// per optimizer.
//
//===----------------------------------------------------------------------===//
#include "nabla/passes/Passes.h"

#include "nabla/ir/NablaOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSwitch.h"

namespace nabla {
#define GEN_PASS_DEF_TRAININGSTEP
#include "passes/Passes.h.inc"
} // namespace nabla

using namespace mlir;
using namespace nabla;

namespace {

struct StepOptions {
  Optimizer optimizer = Optimizer::SGD;
  double momentum = 0.9, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double weightDecay = 0, clipNorm = 0, clipValue = 0;
  int64_t accumulate = 1;
  bool lossScaling = false;
  bool allReduce = false;
  int64_t bucketBytes = 4 << 20;
  bool allReduceBF16 = false;
};

/// Names of the optimizer state each parameter carries.
SmallVector<StringRef> stateSlots(Optimizer optimizer) {
  switch (optimizer) {
  case Optimizer::SGD: return {};
  case Optimizer::Momentum:
  case Optimizer::Nesterov: return {"momentum_buffer"};
  case Optimizer::Adam:
  case Optimizer::AdamW: return {"exp_avg", "exp_avg_sq"};
  }
  return {};
}

/// Small helpers that build nabla ops at one location.
struct Emitter {
  OpBuilder &b;
  Location loc;
  Value constant(Type like, double v) {
    Type et = cast<RankedTensorType>(like).getElementType();
    auto type = RankedTensorType::get({}, et);
    return ConstantOp::create(b, loc,
                              DenseElementsAttr::get(type, b.getFloatAttr(et, v)));
  }
  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
  Value max(Value x, Value y) { return MaxOp::create(b, loc, x, y); }
  Value neg(Value x) { return NegOp::create(b, loc, x); }
  Value min(Value x, Value y) { return neg(max(neg(x), neg(y))); }
  Value scale(Value x, double s) { return mul(x, constant(x.getType(), s)); }
  Value sqrt(Value x) { return SqrtOp::create(b, loc, x); }
  Value sumAll(Value x) {
    auto type = cast<RankedTensorType>(x.getType());
    return SumOp::create(b, loc, x,
                         llvm::to_vector(llvm::seq<int64_t>(0, type.getRank())),
                         false);
  }
  /// A rank-0 hyperparameter cast to the element type of `like`.
  Value as(Value scalar, Value like) {
    Type et = cast<RankedTensorType>(like.getType()).getElementType();
    auto type = RankedTensorType::get({}, et);
    if (scalar.getType() == type)
      return scalar;
    return CastOp::create(b, loc, type, scalar);
  }
};

/// `e`'s location named `what`: a report about the step's own ops (a
/// kernel's time in --profile, a NaN from --check-numerics) then says
/// which parameter's update it belongs to, as the frontend names an op
/// inside a layer after the layer's instance.
Emitter withName(Emitter &e, const Twine &what) {
  return {e.b, NameLoc::get(e.b.getStringAttr(what), e.loc)};
}

/// The L2 norm of each gradient (of `names`' parameters), then clipping:
/// by value (clip_grad_value_), then by global norm (clip_grad_norm_).
SmallVector<Value> clipGradients(Emitter &e, SmallVector<Value> grads,
                                 ArrayRef<StringRef> names,
                                 const StepOptions &opts,
                                 SmallVectorImpl<Value> &norms) {
  SmallVector<Value> squares;
  for (auto [g, name] : llvm::zip(grads, names)) {
    Emitter ne = withName(e, "gradient norm of " + name);
    Value sq = ne.sumAll(ne.mul(g, g));
    squares.push_back(sq);
    norms.push_back(ne.sqrt(sq));
  }
  if (opts.clipValue > 0)
    for (Value &g : grads)
      g = e.min(e.max(g, e.constant(g.getType(), -opts.clipValue)),
                e.constant(g.getType(), opts.clipValue));
  if (opts.clipNorm > 0 && !grads.empty()) {
    // The norm is of the (value-clipped) gradients the step will use.
    Value total;
    for (auto [g, square] : llvm::zip(grads, squares)) {
      Value sq = opts.clipValue > 0 ? e.sumAll(e.mul(g, g)) : square;
      total = total ? e.add(total, sq) : sq;
    }
    Value norm = e.sqrt(total);
    Value factor = e.min(
        e.div(e.constant(norm.getType(), opts.clipNorm),
              e.add(norm, e.constant(norm.getType(), 1e-6))),
        e.constant(norm.getType(), 1.0));
    for (Value &g : grads)
      g = e.mul(g, e.as(factor, g));
  }
  return grads;
}

/// One optimizer step for parameter `p` with gradient `g` and its state;
/// returns p' and fills `newState`. `lr` and `t` (1-based step) are rank-0.
Value update(Emitter &e, const StepOptions &opts, Value p, Value g,
             ArrayRef<Value> state, Value lr, Value t,
             SmallVectorImpl<Value> &newState) {
  Value lrP = e.as(lr, p);
  bool decoupled = opts.optimizer == Optimizer::AdamW;
  if (opts.weightDecay != 0 && !decoupled)
    g = e.add(g, e.scale(p, opts.weightDecay)); // L2: g + wd * p
  switch (opts.optimizer) {
  case Optimizer::SGD:
    return e.sub(p, e.mul(lrP, g));
  case Optimizer::Momentum:
  case Optimizer::Nesterov: {
    // buf = momentum * buf + g (buf starts at 0, so step 1 gives buf = g,
    // as torch initialises it).
    Value buf = e.add(e.scale(state[0], opts.momentum), g);
    newState.push_back(buf);
    Value direction = opts.optimizer == Optimizer::Nesterov
                          ? e.add(g, e.scale(buf, opts.momentum))
                          : buf;
    return e.sub(p, e.mul(lrP, direction));
  }
  case Optimizer::Adam:
  case Optimizer::AdamW: {
    if (decoupled && opts.weightDecay != 0) // p * (1 - lr * wd)
      p = e.sub(p, e.mul(e.scale(lrP, opts.weightDecay), p));
    Value m = e.add(e.scale(state[0], opts.beta1), e.scale(g, 1 - opts.beta1));
    Value v = e.add(e.scale(state[1], opts.beta2),
                    e.scale(e.mul(g, g), 1 - opts.beta2));
    newState.push_back(m);
    newState.push_back(v);
    // Bias corrections 1 - beta^t, with t a run-time scalar.
    Value tP = e.as(t, p);
    Value bc1 = e.sub(e.constant(tP.getType(), 1.0),
                      PowOp::create(e.b, e.loc, e.constant(tP.getType(), opts.beta1), tP));
    Value bc2 = e.sub(e.constant(tP.getType(), 1.0),
                      PowOp::create(e.b, e.loc, e.constant(tP.getType(), opts.beta2), tP));
    // p - lr * (m / bc1) / (sqrt(v / bc2) + eps)
    Value denom = e.add(e.sqrt(e.div(v, bc2)), e.constant(p.getType(), opts.eps));
    return e.sub(p, e.mul(lrP, e.div(e.div(m, bc1), denom)));
  }
  }
  return p;
}

/// The order in which `block` computes `v`: its defining op's place, with
/// the block's arguments first.
int64_t producedAt(Value v, const DenseMap<Operation *, int64_t> &order) {
  Operation *def = v.getDefiningOp();
  return def ? order.lookup(def) : -1;
}

/// Data parallel: each of `values` (computed by this process on its share
/// of the batch) replaced by its mean over the processes. They go in
/// buckets of at most `bucketBytes`, in the order the step computes them
/// (the backward pass makes the last layer's gradients first, as torch's
/// DistributedDataParallel buckets them), one bucket per element type
/// (16-bit values are averaged in f32; those `narrow` holds are sent as
/// bf16 whatever their type). A bucket starts right after its
/// last value is computed, so the processes average it while the backward
/// pass goes on; every wait is at the builder's insertion point, before
/// the values are used. Returns the mean of each value.
SmallVector<Value> averageOverProcesses(OpBuilder &b, Location loc, Block &body,
                                        ArrayRef<Value> values,
                                        int64_t bucketBytes,
                                        const DenseSet<Value> &narrow) {
  DenseMap<Operation *, int64_t> order;
  for (auto [i, op] : llvm::enumerate(body.getOperations()))
    order[&op] = int64_t(i);
  llvm::SetVector<Value> distinct(values.begin(), values.end());
  SmallVector<Value> sorted(distinct.begin(), distinct.end());
  llvm::stable_sort(sorted, [&](Value x, Value y) {
    return producedAt(x, order) < producedAt(y, order);
  });

  OpBuilder::InsertPoint waits = b.saveInsertionPoint();
  DenseMap<Value, Value> mean;
  int64_t buckets = 0;
  // The values of an open bucket and what is sent of them (16-bit values
  // widened, `narrow` ones as bf16), per type sent.
  DenseMap<Type, SmallVector<std::pair<Value, Value>>> open;
  DenseMap<Type, int64_t> openBytes;
  auto close = [&](Type et) {
    auto &members = open[et];
    if (members.empty())
      return;
    SmallVector<Value> sent;
    for (auto &m : members)
      sent.push_back(m.second);
    Value last = sent.front();
    for (Value v : sent)
      if (producedAt(v, order) > producedAt(last, order))
        last = v;
    if (Operation *def = last.getDefiningOp())
      b.setInsertionPointAfter(def);
    else
      b.setInsertionPointToStart(&body);
    auto bucket = b.getI64IntegerAttr(buckets++);
    Value token = AllReduceStartOp::create(b, loc, sent, bucket);
    b.restoreInsertionPoint(waits);
    auto wait = AllReduceWaitOp::create(b, loc, ValueRange(sent).getTypes(),
                                        token, bucket);
    for (auto [m, r] : llvm::zip(members, wait.getResults())) {
      Value v = r;
      if (v.getType() != m.first.getType())
        v = CastOp::create(b, loc, m.first.getType(), v);
      mean[m.first] = v;
    }
    waits = b.saveInsertionPoint();
    members.clear();
    openBytes[et] = 0;
  };
  for (Value v : sorted) {
    auto type = cast<RankedTensorType>(v.getType());
    Value sent = v;
    Type as = narrow.contains(v)                   ? Type(b.getBF16Type())
              : type.getElementTypeBitWidth() < 32 ? Type(b.getF32Type())
                                                   : type.getElementType();
    if (as != type.getElementType()) {
      if (Operation *def = v.getDefiningOp())
        b.setInsertionPointAfter(def);
      else
        b.setInsertionPointToStart(&body);
      sent = CastOp::create(b, loc, type.clone(as), v);
      order[sent.getDefiningOp()] = producedAt(v, order);
      type = cast<RankedTensorType>(sent.getType());
    }
    Type et = type.getElementType();
    int64_t bytes = type.getNumElements() * type.getElementTypeBitWidth() / 8;
    if (!open[et].empty() && openBytes[et] + bytes > bucketBytes)
      close(et);
    open[et].push_back({v, sent});
    openBytes[et] += bytes;
    // The insertion point of the waits must not move with the casts.
    b.restoreInsertionPoint(waits);
  }
  for (Type et :
       {Type(b.getF32Type()), Type(b.getF64Type()), Type(b.getBF16Type())})
    close(et);
  SmallVector<Value> result;
  for (Value v : values)
    result.push_back(mean.lookup(v));
  return result;
}

/// The pieces of @M_grad a new function is assembled from.
struct GradInfo {
  func::FuncOp grad;
  /// Argument indices: parameters, and everything else (inputs and the
  /// model's `state`, passed through with their attributes).
  SmallVector<unsigned> params, inputs;
  SmallVector<unsigned> gradResults;  // result index per param, in order
  SmallVector<unsigned> stateResults; // the new value of each `state`
};

FailureOr<GradInfo> analyze(func::FuncOp grad) {
  GradInfo info{grad, {}, {}, {}, {}};
  for (unsigned r = 0; r < grad.getNumResults(); ++r)
    if (grad.getResultAttr(r, attrs::kState))
      info.stateResults.push_back(r);
  for (unsigned i = 0; i < grad.getNumArguments(); ++i)
    (grad.getArgAttr(i, attrs::kParam) ? info.params : info.inputs).push_back(i);
  for (unsigned p : info.params) {
    StringRef name = grad.getArgAttrOfType<StringAttr>(p, attrs::kParam);
    unsigned r = 0;
    for (; r < grad.getNumResults(); ++r) {
      auto g = grad.getResultAttrOfType<StringAttr>(r, attrs::kGrad);
      if (g && g.getValue() == name)
        break;
    }
    if (r == grad.getNumResults())
      return grad.emitError() << "nabla-training-step: @" << grad.getSymName()
                              << " has no gradient for parameter '" << name
                              << "'";
    info.gradResults.push_back(r);
  }
  return info;
}

/// Assembles the new functions next to @M_grad. Each starts with a clone
/// of @M_grad's body (its arguments mapped to the new function's) or, for
/// @M_apply, with the accumulated gradients.
class Builder {
public:
  Builder(GradInfo &info, StepOptions opts) : info(info), opts(opts) {}

  func::FuncOp create(StringRef name, ArrayRef<std::pair<Type, DictionaryAttr>> args) {
    OpBuilder b(info.grad);
    b.setInsertionPointAfter(info.grad);
    SmallVector<Type> types;
    for (auto &[t, _] : args)
      types.push_back(t);
    auto f = func::FuncOp::create(b, info.grad.getLoc(), name,
                                  b.getFunctionType(types, {}));
    f.addEntryBlock();
    for (auto [i, a] : llvm::enumerate(args))
      f.setArgAttrs(i, a.second);
    return f;
  }

  /// Clones @M_grad's body into `f`, with @M_grad's arguments replaced by
  /// `argValues`; returns the cloned return operands.
  SmallVector<Value> cloneGradient(OpBuilder &b, ArrayRef<Value> argValues) {
    IRMapping mapping;
    for (auto [old, now] : llvm::zip(info.grad.getArguments(), argValues))
      mapping.map(old, now);
    Block &body = info.grad.getBody().front();
    for (Operation &op : body.without_terminator())
      b.clone(op, mapping);
    SmallVector<Value> results;
    for (Value v : body.getTerminator()->getOperands())
      results.push_back(mapping.lookupOrDefault(v));
    return results;
  }

  /// The model's new `state` (batch_norm's running statistics), returned
  /// under the names of the arguments they replace.
  void stateResults(ArrayRef<Value> gradResults, SmallVectorImpl<Value> &out,
                    SmallVectorImpl<DictionaryAttr> &outAttrs) {
    for (unsigned r : info.stateResults) {
      out.push_back(gradResults[r]);
      outAttrs.push_back(info.grad.getResultAttrDict(r));
    }
  }

  void finish(func::FuncOp f, OpBuilder &b, ArrayRef<Value> results,
              ArrayRef<DictionaryAttr> resultAttrs) {
    func::ReturnOp::create(b, f.getLoc(), results);
    f.setType(b.getFunctionType(f.getArgumentTypes(),
                                ValueRange(results).getTypes()));
    SmallVector<Attribute> attrsList(resultAttrs.begin(), resultAttrs.end());
    f.setAllResultAttrs(attrsList);
  }

  DictionaryAttr named(OpBuilder &b, StringRef key, const Twine &value) {
    return b.getDictionaryAttr(
        b.getNamedAttr(key, b.getStringAttr(value.str())));
  }

  StringRef paramName(unsigned p) {
    return info.grad.getArgAttrOfType<StringAttr>(p, attrs::kParam).getValue();
  }

  /// Arguments: params (with their original attributes), then state slots.
  void paramAndStateArgs(OpBuilder &b,
                         SmallVectorImpl<std::pair<Type, DictionaryAttr>> &args,
                         bool withState) {
    for (unsigned p : info.params)
      args.push_back({info.grad.getArgument(p).getType(),
                      info.grad.getArgAttrDict(p)});
    if (!withState)
      return;
    for (StringRef slot : stateSlots(opts.optimizer))
      for (unsigned p : info.params)
        args.push_back({info.grad.getArgument(p).getType(),
                        named(b, attrs::kState, slot + ":" + paramName(p))});
  }

  /// One accumulated-gradient argument per parameter.
  void sumArgs(OpBuilder &b,
               SmallVectorImpl<std::pair<Type, DictionaryAttr>> &args) {
    for (unsigned p : info.params)
      args.push_back({info.grad.getArgument(p).getType(),
                      named(b, attrs::kState, "grad_sum:" + paramName(p))});
  }

  void inputArgs(OpBuilder &b,
                 SmallVectorImpl<std::pair<Type, DictionaryAttr>> &args) {
    for (unsigned i : info.inputs)
      args.push_back({info.grad.getArgument(i).getType(),
                      info.grad.getArgAttrDict(i)});
  }

  void hyperArgs(OpBuilder &b,
                 SmallVectorImpl<std::pair<Type, DictionaryAttr>> &args) {
    auto f32 = RankedTensorType::get({}, b.getF32Type());
    args.push_back({f32, named(b, attrs::kHyper, "lr")});
    args.push_back({f32, named(b, attrs::kHyper, "step")});
    if (opts.lossScaling)
      args.push_back({f32, named(b, attrs::kHyper, "loss_scale")});
  }

  /// The hyperparameters of a function made with hyperArgs: lr, step and
  /// the loss scale (null without loss scaling).
  std::tuple<Value, Value, Value> hyperValues(func::FuncOp f) {
    auto all = f.getArguments();
    size_t k = opts.lossScaling ? 1 : 0;
    return {all[all.size() - 2 - k], all[all.size() - 1 - k],
            opts.lossScaling ? all.back() : Value()};
  }

  /// With loss scaling, the loss's adjoint starts at the scale instead of
  /// 1 (so every gradient is computed `scale` times too large, away from
  /// the 16-bit underflow), and the gradients are divided by it again, in
  /// their f32 type, before clipping and the update.
  void scaleLoss(func::FuncOp f, Value lossScale) {
    if (!lossScale)
      return;
    f.walk([&](ConstantOp seed) {
      if (seed->hasAttr(attrs::kLossSeed) && seed.getType() == lossScale.getType())
        seed.getResult().replaceAllUsesWith(lossScale);
    });
  }
  SmallVector<Value> unscale(Emitter &e, ArrayRef<Value> grads,
                             Value lossScale) {
    SmallVector<Value> result(grads);
    if (lossScale)
      for (Value &g : result)
        g = e.div(g, e.as(lossScale, g));
    return result;
  }

  /// Clipping and the update of every parameter, appended to `results`
  /// (params', then state', then norms after `loss` when given).
  void buildUpdates(OpBuilder &b, Location loc, ArrayRef<Value> params,
                    ArrayRef<Value> state, SmallVector<Value> grads, Value lr,
                    Value t, Value loss, SmallVectorImpl<Value> &results,
                    SmallVectorImpl<DictionaryAttr> &resultAttrs) {
    Emitter e{b, loc};
    SmallVector<Value> norms;
    SmallVector<StringRef> names;
    for (unsigned p : info.params)
      names.push_back(paramName(p));
    grads = clipGradients(e, grads, names, opts, norms);
    size_t n = params.size(), slots = stateSlots(opts.optimizer).size();
    SmallVector<Value> newParams, newState(slots * n);
    for (size_t i = 0; i < n; ++i) {
      SmallVector<Value> paramState, updated;
      for (size_t s = 0; s < slots; ++s)
        paramState.push_back(state[s * n + i]);
      Emitter pe = withName(e, "update of " + names[i]);
      newParams.push_back(
          update(pe, opts, params[i], grads[i], paramState, lr, t, updated));
      for (size_t s = 0; s < slots; ++s)
        newState[s * n + i] = updated[s];
    }
    for (size_t i = 0; i < n; ++i) {
      results.push_back(newParams[i]);
      resultAttrs.push_back(named(b, attrs::kUpdate, paramName(info.params[i])));
    }
    for (size_t s = 0; s < slots; ++s)
      for (size_t i = 0; i < n; ++i) {
        results.push_back(newState[s * n + i]);
        resultAttrs.push_back(named(b, attrs::kState,
                                    stateSlots(opts.optimizer)[s] + ":" +
                                        paramName(info.params[i])));
      }
    if (loss) {
      results.push_back(loss);
      resultAttrs.push_back(named(b, attrs::kOutput, "loss"));
    }
    for (size_t i = 0; i < n; ++i) {
      results.push_back(norms[i]);
      resultAttrs.push_back(
          named(b, attrs::kStat, "grad_norm:" + paramName(info.params[i])));
    }
  }

  /// @M_train_step(params, optimizer state, inputs and model state, lr,
  /// step) -> (params', optimizer state', loss, norms, model state')
  void buildTrainStep(StringRef name) {
    OpBuilder b(info.grad);
    SmallVector<std::pair<Type, DictionaryAttr>> args;
    paramAndStateArgs(b, args, /*withState=*/true);
    inputArgs(b, args);
    hyperArgs(b, args);
    func::FuncOp f = create(name, args);
    b.setInsertionPointToStart(&f.getBody().front());
    auto [params, state, inputs] = splitArgs(f, /*withState=*/true,
                                             /*withInputs=*/true);
    auto [lr, t, lossScale] = hyperValues(f);
    SmallVector<Value> results = cloneGradient(b, gradArgs(params, inputs));
    scaleLoss(f, lossScale);
    SmallVector<Value> grads;
    for (unsigned r : info.gradResults)
      grads.push_back(results[r]);
    if (opts.allReduce)
      averageResults(b, f, results, grads);
    Emitter e{b, f.getLoc()};
    grads = unscale(e, grads, lossScale);
    SmallVector<Value> out;
    SmallVector<DictionaryAttr> outAttrs;
    buildUpdates(b, f.getLoc(), params, state, grads, lr, t, results[0], out,
                 outAttrs);
    stateResults(results, out, outAttrs);
    finish(f, b, out, outAttrs);
  }

  /// Data parallel: the gradients, the loss (results[0]) and the model's
  /// new state replaced by their means over the processes.
  void averageResults(OpBuilder &b, func::FuncOp f,
                      SmallVectorImpl<Value> &results,
                      SmallVectorImpl<Value> &grads) {
    SmallVector<Value> local(grads.begin(), grads.end());
    local.push_back(results[0]);
    for (unsigned r : info.stateResults)
      local.push_back(results[r]);
    DenseSet<Value> narrow;
    if (opts.allReduceBF16)
      narrow.insert(grads.begin(), grads.end());
    SmallVector<Value> means = averageOverProcesses(
        b, f.getLoc(), f.getBody().front(), local, opts.bucketBytes, narrow);
    size_t n = grads.size();
    for (size_t i = 0; i < n; ++i)
      grads[i] = means[i];
    results[0] = means[n];
    for (auto [k, r] : llvm::enumerate(info.stateResults))
      results[r] = means[n + 1 + k];
  }

  /// @M_accumulate(params, sums, inputs) -> (sums + grads, loss, state)
  void buildAccumulate(StringRef name) {
    OpBuilder b(info.grad);
    SmallVector<std::pair<Type, DictionaryAttr>> args;
    paramAndStateArgs(b, args, /*withState=*/false);
    sumArgs(b, args);
    inputArgs(b, args);
    if (opts.lossScaling)
      args.push_back({RankedTensorType::get({}, b.getF32Type()),
                      named(b, attrs::kHyper, "loss_scale")});
    func::FuncOp f = create(name, args);
    b.setInsertionPointToStart(&f.getBody().front());
    size_t n = info.params.size();
    SmallVector<Value> params(f.getArguments().take_front(n));
    SmallVector<Value> sums(f.getArguments().slice(n, n));
    SmallVector<Value> inputs(f.getArguments().slice(2 * n, info.inputs.size()));
    SmallVector<Value> results = cloneGradient(b, gradArgs(params, inputs));
    // The sums stay scaled; @M_apply unscales them.
    scaleLoss(f, opts.lossScaling ? f.getArguments().back() : Value());
    SmallVector<Value> out;
    SmallVector<DictionaryAttr> outAttrs;
    Emitter e{b, f.getLoc()};
    for (auto [i, r] : llvm::enumerate(info.gradResults)) {
      out.push_back(e.add(sums[i], results[r]));
      outAttrs.push_back(named(b, attrs::kState,
                               "grad_sum:" + paramName(info.params[i])));
    }
    out.push_back(results[0]);
    outAttrs.push_back(named(b, attrs::kOutput, "loss"));
    stateResults(results, out, outAttrs);
    finish(f, b, out, outAttrs);
  }

  /// @M_apply(params, state, sums, lr, step): the update with the mean of
  /// the accumulated gradients.
  void buildApply(StringRef name) {
    OpBuilder b(info.grad);
    SmallVector<std::pair<Type, DictionaryAttr>> args;
    paramAndStateArgs(b, args, /*withState=*/true);
    sumArgs(b, args);
    hyperArgs(b, args);
    func::FuncOp f = create(name, args);
    b.setInsertionPointToStart(&f.getBody().front());
    size_t n = info.params.size(), slots = stateSlots(opts.optimizer).size();
    auto all = f.getArguments();
    SmallVector<Value> params(all.take_front(n));
    SmallVector<Value> state(all.slice(n, slots * n));
    SmallVector<Value> sums(all.slice(n + slots * n, n));
    auto [lr, t, lossScale] = hyperValues(f);
    Emitter e{b, f.getLoc()};
    SmallVector<Value> grads;
    for (Value s : unscale(e, sums, lossScale))
      grads.push_back(
          opts.accumulate > 1
              ? e.scale(s, 1.0 / static_cast<double>(opts.accumulate))
              : s);
    SmallVector<Value> out;
    SmallVector<DictionaryAttr> outAttrs;
    buildUpdates(b, f.getLoc(), params, state, grads, lr, t, Value(), out,
                 outAttrs);
    finish(f, b, out, outAttrs);
  }

private:
  /// @M_grad's arguments in its own order, from new params and inputs.
  SmallVector<Value> gradArgs(ArrayRef<Value> params, ArrayRef<Value> inputs) {
    SmallVector<Value> values(info.grad.getNumArguments());
    for (auto [i, p] : llvm::enumerate(info.params))
      values[p] = params[i];
    for (auto [i, in] : llvm::enumerate(info.inputs))
      values[in] = inputs[i];
    return values;
  }

  std::tuple<SmallVector<Value>, SmallVector<Value>, SmallVector<Value>>
  splitArgs(func::FuncOp f, bool withState, bool withInputs) {
    size_t n = info.params.size();
    size_t slots = withState ? stateSlots(opts.optimizer).size() : 0;
    auto all = f.getArguments();
    SmallVector<Value> params(all.take_front(n));
    SmallVector<Value> state(all.slice(n, slots * n));
    SmallVector<Value> inputs;
    if (withInputs)
      inputs.assign(all.begin() + n + slots * n,
                    all.begin() + n + slots * n + info.inputs.size());
    return {params, state, inputs};
  }

  GradInfo &info;
  StepOptions opts;
};

struct TrainingStepPass : nabla::impl::TrainingStepBase<TrainingStepPass> {
  using TrainingStepBase::TrainingStepBase;

  void runOnOperation() override {
    StepOptions opts;
    if (accumulate < 1) {
      getOperation().emitError() << "nabla-training-step: accumulate must be "
                                    "at least 1";
      return signalPassFailure();
    }
    opts.optimizer = optimizer;
    opts.momentum = momentum;
    opts.beta1 = beta1;
    opts.beta2 = beta2;
    opts.eps = eps;
    opts.weightDecay = weightDecay >= 0
                           ? weightDecay
                           : (optimizer == Optimizer::AdamW ? 0.01 : 0);
    opts.clipNorm = clipNorm;
    opts.clipValue = clipValue;
    opts.accumulate = accumulate;
    opts.lossScaling = lossScaling;
    opts.allReduce = allReduce;
    opts.bucketBytes = bucketBytes;
    opts.allReduceBF16 = allReduceBF16;
    if (allReduce && (accumulate > 1 || split)) {
      getOperation().emitError()
          << "nabla-training-step: all-reduce needs accumulate = 1 and no "
             "split (with @M_accumulate and @M_apply the caller averages the "
             "sums between them)";
      return signalPassFailure();
    }
    if (allReduce && bucketBytes < 1) {
      getOperation().emitError()
          << "nabla-training-step: bucket-bytes must be at least 1";
      return signalPassFailure();
    }

    SmallVector<func::FuncOp> grads;
    for (auto f : getOperation().getOps<func::FuncOp>())
      if (f->hasAttr(attrs::kGradientOf))
        grads.push_back(f);
    if (grads.empty()) {
      getOperation().emitError() << "nabla-training-step: no gradient "
                                    "function (run nabla-autodiff first)";
      return signalPassFailure();
    }
    for (func::FuncOp grad : grads) {
      auto info = analyze(grad);
      if (failed(info))
        return signalPassFailure();
      StringRef model =
          grad->getAttrOfType<StringAttr>(attrs::kGradientOf).getValue();
      Builder builder(*info, opts);
      builder.buildTrainStep((model + "_train_step").str());
      if (opts.accumulate > 1 || split) {
        builder.buildAccumulate((model + "_accumulate").str());
        builder.buildApply((model + "_apply").str());
      }
    }
    if (!eraseSources)
      return;
    for (func::FuncOp grad : grads) {
      StringRef model =
          grad->getAttrOfType<StringAttr>(attrs::kGradientOf).getValue();
      if (auto source = getOperation().lookupSymbol<func::FuncOp>(model))
        source.erase();
      grad.erase();
    }
  }
};

} // namespace
