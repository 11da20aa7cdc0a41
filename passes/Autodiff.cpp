//===- Autodiff.cpp - Reverse-mode automatic differentiation --------------===//
//
// nabla-autodiff clones @M into @M_grad and, before its return, appends the
// backward graph: a reverse sweep over the forward ops that asks each op's
// DifferentiableOpInterface for the adjoints of its operands. The pass knows
// no derivative itself; the rules are in ir/Derivatives.cpp.
//
//===----------------------------------------------------------------------===//
#include "nabla/passes/Passes.h"

#include "nabla/ir/NablaOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringExtras.h"

namespace nabla {
#define GEN_PASS_DEF_AUTODIFF
#include "passes/Passes.h.inc"
} // namespace nabla

using namespace mlir;
using namespace nabla;

namespace {

/// The name an argument carries (nabla.param or nabla.input), or "".
StringRef argName(func::FuncOp func, unsigned i) {
  if (auto p = func.getArgAttrOfType<StringAttr>(i, attrs::kParam))
    return p.getValue();
  if (auto in = func.getArgAttrOfType<StringAttr>(i, attrs::kInput))
    return in.getValue();
  return "";
}

/// The arguments to differentiate: every parameter, or those named in wrt.
FailureOr<SmallVector<unsigned>> selectArguments(func::FuncOp func,
                                                 ArrayRef<std::string> wrt) {
  SmallVector<unsigned> selected;
  if (wrt.empty()) {
    // Every float parameter (an integer one has no gradient, as with wrt).
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      if (func.getArgAttr(i, attrs::kParam) &&
          isa<FloatType>(getElementTypeOrSelf(func.getArgument(i).getType())))
        selected.push_back(i);
    return selected;
  }
  for (const std::string &name : wrt) {
    unsigned i = 0;
    while (i < func.getNumArguments() && argName(func, i) != name)
      ++i;
    if (i == func.getNumArguments())
      return func.emitError() << "nabla-autodiff: @" << func.getSymName()
                              << " has no argument named '" << name << "'";
    auto type = cast<RankedTensorType>(func.getArgument(i).getType());
    if (!isa<FloatType>(type.getElementType()))
      return func.emitError() << "nabla-autodiff: cannot differentiate with "
                                 "respect to '"
                              << name << "', which is not a float tensor";
    selected.push_back(i);
  }
  return selected;
}

Value zerosLike(OpBuilder &b, Location loc, Type type) {
  auto tensor = cast<RankedTensorType>(type);
  return ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(tensor,
                             b.getFloatAttr(tensor.getElementType(), 0.0)));
}

/// A zero pad that surrounds its operand along one dim only (the adjoint
/// of a slice along that dim): that dim, or -1.
int64_t paddedDim(PadOp pad) {
  if (!pad || !pad.getValue().isZero() ||
      llvm::any_of(pad.getInterior(), [](int64_t i) { return i != 0; }))
    return -1;
  int64_t dim = -1;
  for (auto [d, low] : llvm::enumerate(pad.getLow()))
    if (low != 0 || pad.getHigh()[d] != 0) {
      if (dim >= 0)
        return -1;
      dim = static_cast<int64_t>(d);
    }
  return dim;
}

/// The sum of zero pads of one type, each along dim `dim`, whose boxes do
/// not overlap, as one concat of their operands with zeros in the gaps;
/// null where they overlap. The adjoints of x[:, t] for every t of an
/// unrolled loop are such pads: added, they would cost T times x's size.
Value joinPads(OpBuilder &b, Location loc, SmallVector<PadOp> pads,
               int64_t dim) {
  llvm::stable_sort(pads, [&](PadOp a, PadOp c) {
    return a.getLow()[dim] < c.getLow()[dim];
  });
  auto type = pads.front().getType();
  SmallVector<Value> pieces;
  int64_t at = 0;
  auto zeros = [&](int64_t size) {
    SmallVector<int64_t> shape(type.getShape());
    shape[dim] = size;
    pieces.push_back(zerosLike(b, loc, type.clone(shape)));
  };
  for (PadOp pad : pads) {
    int64_t low = pad.getLow()[dim];
    if (low < at)
      return {};
    if (low > at)
      zeros(low - at);
    pieces.push_back(pad.getOperand());
    at = low +
         cast<RankedTensorType>(pad.getOperand().getType()).getDimSize(dim);
  }
  if (at < type.getDimSize(dim))
    zeros(type.getDimSize(dim) - at);
  return ConcatOp::create(b, loc, type, pieces, dim);
}

/// A value's adjoint while the sweep collects it: the sum of the
/// contributions so far, except zero pads along one dim, kept apart until
/// all are known and then joined (joinPads). Other contributions are added
/// as they come, so that one buffer holds their sum.
struct Adjoint {
  Value sum;
  SmallVector<std::pair<PadOp, Location>> pads;

  void add(OpBuilder &b, Value contribution, Location loc) {
    auto pad = contribution.getDefiningOp<PadOp>();
    if (pad && paddedDim(pad) >= 0) {
      pads.push_back({pad, loc});
      return;
    }
    // Fan-out: a value used several times sums its adjoints, the add at
    // the use that completes it.
    sum = sum ? Value(AddOp::create(b, loc, sum, contribution)) : contribution;
  }

  /// The whole adjoint, once every use has contributed.
  Value finish(OpBuilder &b) {
    // Grouped by dim, in the order each dim is first met.
    llvm::MapVector<int64_t, SmallVector<std::pair<PadOp, Location>>> byDim;
    for (auto &entry : pads)
      byDim[paddedDim(entry.first)].push_back(entry);
    pads.clear();
    for (auto &[dim, group] : byDim) {
      SmallVector<PadOp> ops;
      for (auto &entry : group)
        ops.push_back(entry.first);
      Location loc = group.back().second;
      if (Value joined =
              ops.size() > 1 ? joinPads(b, loc, ops, dim) : Value()) {
        add(b, joined, loc);
        continue;
      }
      for (auto [pad, at] : group)
        sum = sum ? Value(AddOp::create(b, at, sum, pad)) : Value(pad);
    }
    return sum;
  }
};

/// Runs the reverse sweep over `block` (ending in `ret`), seeding the
/// adjoint of `loss` with 1. Returns the adjoint of every argument reached.
FailureOr<DenseMap<Value, Value>> reverseSweep(Block &block,
                                               func::ReturnOp ret,
                                               Value loss) {
  OpBuilder b(ret);
  // Each value's adjoint, finished when the sweep reaches the value's
  // definition: then every use (later in the forward code) has
  // contributed.
  DenseMap<Value, Adjoint> contributionsOf;
  auto lossType = cast<RankedTensorType>(loss.getType());
  auto seed = ConstantOp::create(
      b, loss.getLoc(),
      DenseElementsAttr::get(lossType,
                             b.getFloatAttr(lossType.getElementType(), 1.0)));
  seed->setAttr(attrs::kLossSeed, b.getUnitAttr());
  contributionsOf[loss].add(b, seed, seed.getLoc());

  // Snapshot the forward ops first: the sweep inserts before `ret`.
  SmallVector<Operation *> forward;
  for (Operation &op : block.without_terminator())
    forward.push_back(&op);
  for (Operation *op : llvm::reverse(forward)) {
    if (op->getNumResults() != 1)
      continue;
    auto it = contributionsOf.find(op->getResult(0));
    if (it == contributionsOf.end())
      continue; // does not reach the loss: no backward code
    Value dy = it->second.finish(b);
    contributionsOf.erase(it);
    auto differentiable = dyn_cast<DifferentiableOpInterface>(op);
    if (!differentiable) {
      // Leaves: constants, and ops of integer operands only (one_hot).
      bool leaf = llvm::none_of(op->getOperandTypes(), [](Type t) {
        return isa<FloatType>(getElementTypeOrSelf(t));
      });
      if (leaf)
        continue;
      return op->emitError() << "nabla-autodiff: cannot differentiate '"
                             << op->getName() << "'";
    }
    SmallVector<Value> contributions;
    differentiable.buildVjp(b, dy, contributions);
    for (auto [operand, contribution] :
         llvm::zip(op->getOperands(), contributions))
      if (contribution)
        contributionsOf[operand].add(b, contribution, op->getLoc());
  }
  // What is left are the arguments' (in argument order, for one IR).
  DenseMap<Value, Value> adjoints;
  for (BlockArgument arg : block.getArguments())
    if (auto it = contributionsOf.find(arg); it != contributionsOf.end())
      adjoints[arg] = it->second.finish(b);
  return adjoints;
}

/// Erases ops whose results nothing uses (the backward code of operands
/// that need no gradient, e.g. the adjoint of an input).
void eraseDeadOps(Block &block) {
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
    if (isOpTriviallyDead(&op))
      op.erase();
}

} // namespace

FailureOr<func::FuncOp> nabla::differentiate(func::FuncOp func,
                                             ArrayRef<std::string> wrt) {
  if (func.isExternal() || func.getNumResults() == 0)
    return func.emitError() << "nabla-autodiff: @" << func.getSymName()
                            << " has no body or no results";
  auto lossType = dyn_cast<RankedTensorType>(func.getResultTypes()[0]);
  if (!lossType || lossType.getRank() != 0 ||
      !isa<FloatType>(lossType.getElementType()))
    return func.emitError() << "nabla-autodiff: the first result of @"
                            << func.getSymName()
                            << " must be a scalar float loss, got "
                            << func.getResultTypes()[0];
  auto selected = selectArguments(func, wrt);
  if (failed(selected))
    return failure();

  OpBuilder b(func);
  b.setInsertionPointAfter(func);
  auto grad = cast<func::FuncOp>(b.clone(*func));
  grad.setSymName((func.getSymName() + "_grad").str());
  grad->removeAttr(attrs::kModel);
  grad->setAttr(attrs::kGradientOf, b.getStringAttr(func.getSymName()));

  Block &block = grad.getBody().front();
  auto ret = cast<func::ReturnOp>(block.getTerminator());
  auto adjoints = reverseSweep(block, ret, ret.getOperand(0));
  if (failed(adjoints)) {
    grad.erase();
    return failure();
  }

  b.setInsertionPoint(ret);
  SmallVector<Value> results(ret.getOperands());
  SmallVector<Attribute> resultAttrs;
  for (unsigned i = 0; i < grad.getNumResults(); ++i) {
    // Differentiating a gradient function: its own gradient results become
    // plain outputs, so `nabla.grad` names only the new gradients.
    if (auto g = grad.getResultAttrOfType<StringAttr>(i, attrs::kGrad)) {
      resultAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
          attrs::kOutput, b.getStringAttr("grad:" + g.getValue()))));
      continue;
    }
    resultAttrs.push_back(grad.getResultAttrDict(i)
                              ? Attribute(grad.getResultAttrDict(i))
                              : b.getDictionaryAttr({}));
  }
  for (unsigned i : *selected) {
    Value arg = grad.getArgument(i);
    Value g = adjoints->lookup(arg);
    results.push_back(g ? g : zerosLike(b, arg.getLoc(), arg.getType()));
    resultAttrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
        attrs::kGrad, b.getStringAttr(argName(grad, i)))));
  }
  func::ReturnOp::create(b, ret.getLoc(), results);
  ret.erase();
  grad.setType(b.getFunctionType(grad.getArgumentTypes(),
                                 ValueRange(results).getTypes()));
  grad.setAllResultAttrs(resultAttrs);
  eraseDeadOps(block);
  return grad;
}

namespace {

struct AutodiffPass : nabla::impl::AutodiffBase<AutodiffPass> {
  using AutodiffBase::AutodiffBase;
  void runOnOperation() override {
    SmallVector<func::FuncOp> targets;
    ModuleOp module = getOperation();
    for (auto func : module.getOps<func::FuncOp>()) {
      // By default every model without a gradient yet (running the pass
      // twice adds nothing).
      bool chosen =
          function.empty()
              ? func->hasAttr(attrs::kModel) &&
                    !module.lookupSymbol((func.getSymName() + "_grad").str())
              : func.getSymName() == function;
      if (chosen)
        targets.push_back(func);
    }
    if (!function.empty() && targets.empty()) {
      getOperation().emitError() << "nabla-autodiff: no function named @"
                                 << function;
      return signalPassFailure();
    }
    std::vector<std::string> names(wrt.begin(), wrt.end());
    for (func::FuncOp func : targets)
      if (failed(differentiate(func, names)))
        return signalPassFailure();
  }
};

} // namespace
