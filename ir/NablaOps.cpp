//===- NablaOps.cpp - Verifiers and folders of the nabla ops --------------===//
//
// Verifier messages name the op and the mismatch in shapes the reader can
// check by eye (`[8, 10]` vs `[10, 8]`).
//
//===----------------------------------------------------------------------===//
#include "nabla/ir/NablaOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace nabla;

namespace {

std::string shapeStr(ArrayRef<int64_t> shape) {
  return "[" + llvm::join(llvm::map_range(shape, [](int64_t d) {
                            return std::to_string(d);
                          }),
                          ", ") +
         "]";
}

std::string shapeStr(Type type) {
  return shapeStr(cast<RankedTensorType>(type).getShape());
}

Type elementTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

/// True when `attr` is a splat constant equal to `value` (float or int).
bool isSplatOf(Attribute attr, double value) {
  auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
  if (!dense || !dense.isSplat())
    return false;
  Type et = dense.getElementType();
  if (isa<FloatType>(et))
    return dense.getSplatValue<APFloat>().convertToDouble() == value;
  if (auto it = dyn_cast<IntegerType>(et); it && it.getWidth() > 1)
    return dense.getSplatValue<APInt>().getSExtValue() ==
           static_cast<int64_t>(value);
  return false;
}

/// `x op c` folds to `x` when c is the identity and x already has the
/// result type (no broadcast hidden in the op).
OpFoldResult foldRightIdentity(Operation *op, Attribute rhsAttr,
                               double identity) {
  Value lhs = op->getOperand(0);
  if (isSplatOf(rhsAttr, identity) && lhs.getType() == op->getResult(0).getType())
    return lhs;
  return {};
}

LogicalResult verifyAxesIn(Operation *op, ArrayRef<int64_t> axes,
                           int64_t rank) {
  for (auto [i, axis] : llvm::enumerate(axes)) {
    if (axis < 0 || axis >= rank)
      return op->emitOpError() << "axis " << axis
                               << " is out of range for rank " << rank;
    if (i > 0 && axes[i - 1] >= axis)
      return op->emitOpError() << "axes must be sorted and distinct, got "
                               << shapeStr(axes);
  }
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// ConstantOp, CastOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  if (!isa<ElementsAttr>(getValue()))
    return emitOpError("value must be a tensor of elements, e.g. dense<...>");
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

/// Whether every value of float type `from` is exactly a value of `to`.
static bool widensExactly(Type from, Type to) {
  auto f = dyn_cast<FloatType>(from), t = dyn_cast<FloatType>(to);
  return f && t && f != t &&
         llvm::APFloat::isRepresentableAsNormalIn(f.getFloatSemantics(),
                                                  t.getFloatSemantics());
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getOperand().getType() == getType())
    return getOperand();
  Type to = getType().getElementType();
  // A float splat constant becomes a constant of the new type (rounded to
  // nearest even, as the cast itself would).
  if (auto splat = dyn_cast_or_null<SplatElementsAttr>(adaptor.getOperand()))
    if (auto toFloat = dyn_cast<FloatType>(to))
      if (isa<FloatType>(splat.getElementType())) {
        llvm::APFloat value = splat.getSplatValue<llvm::APFloat>();
        bool lost = false;
        value.convert(toFloat.getFloatSemantics(),
                      llvm::APFloat::rmNearestTiesToEven, &lost);
        return DenseElementsAttr::get(getType(), value);
      }
  // cast(cast(x)) where the inner cast widened exactly is one cast of x
  // (or x itself): e.g. bf16 -> f32 -> bf16 is the identity.
  if (auto inner = getOperand().getDefiningOp<CastOp>()) {
    Value source = inner.getOperand();
    Type sourceElt = cast<RankedTensorType>(source.getType()).getElementType();
    if (widensExactly(sourceElt, inner.getType().getElementType())) {
      if (source.getType() == getType())
        return source;
      getOperandMutable().assign(source);
      return getResult();
    }
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Binary ops
//===----------------------------------------------------------------------===//

template <typename OpTy>
static LogicalResult verifyBinary(OpTy op) {
  Type lhsElt = elementTypeOf(op.getLhs()), rhsElt = elementTypeOf(op.getRhs());
  Type resElt = elementTypeOf(op.getResult());
  if (lhsElt != rhsElt || lhsElt != resElt)
    return op.emitOpError() << "operands and result must have one element type, got "
                            << lhsElt << ", " << rhsElt << " -> " << resElt;
  auto lhsShape = op.getLhs().getType().getShape();
  auto rhsShape = op.getRhs().getType().getShape();
  auto shape = broadcastShapes(lhsShape, rhsShape);
  if (!shape)
    return op.emitOpError() << "cannot broadcast shapes " << shapeStr(lhsShape)
                            << " and " << shapeStr(rhsShape);
  if (!llvm::equal(*shape, op.getType().getShape()))
    return op.emitOpError() << "result shape " << shapeStr(op.getType())
                            << " is not the broadcast shape "
                            << shapeStr(*shape);
  return success();
}

#define NABLA_BINARY_VERIFIER(OP)                                              \
  LogicalResult OP::verify() { return verifyBinary(*this); }                  \
  LogicalResult OP::verifyBroadcast() { return verifyBinary(*this); }
NABLA_BINARY_VERIFIER(AddOp)
NABLA_BINARY_VERIFIER(SubOp)
NABLA_BINARY_VERIFIER(MulOp)
NABLA_BINARY_VERIFIER(DivOp)
NABLA_BINARY_VERIFIER(PowOp)
NABLA_BINARY_VERIFIER(MaxOp)
#undef NABLA_BINARY_VERIFIER

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (auto folded = foldRightIdentity(*this, adaptor.getRhs(), 0.0))
    return folded;
  // 0 + x
  if (isSplatOf(adaptor.getLhs(), 0.0) && getRhs().getType() == getType())
    return getRhs();
  return {};
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldRightIdentity(*this, adaptor.getRhs(), 0.0);
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (auto folded = foldRightIdentity(*this, adaptor.getRhs(), 1.0))
    return folded;
  if (isSplatOf(adaptor.getLhs(), 1.0) && getRhs().getType() == getType())
    return getRhs();
  return {};
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldRightIdentity(*this, adaptor.getRhs(), 1.0);
}

OpFoldResult PowOp::fold(FoldAdaptor adaptor) {
  return foldRightIdentity(*this, adaptor.getRhs(), 1.0);
}

OpFoldResult NegOp::fold(FoldAdaptor) {
  if (auto inner = getOperand().getDefiningOp<NegOp>())
    return inner.getOperand();
  return {};
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

template <typename OpTy>
static LogicalResult verifyReduce(OpTy op) {
  auto operandType = cast<RankedTensorType>(op.getOperand().getType());
  if (failed(verifyAxesIn(op, op.getAxes(), operandType.getRank())))
    return failure();
  auto expected =
      reducedShape(operandType.getShape(), op.getAxes(), op.getKeepdims());
  auto resultType = cast<RankedTensorType>(op.getType());
  if (!llvm::equal(expected, resultType.getShape()))
    return op.emitOpError() << "reducing " << shapeStr(operandType)
                            << " over axes " << shapeStr(op.getAxes())
                            << (op.getKeepdims() ? " with keepdims" : "")
                            << " gives " << shapeStr(expected) << ", not "
                            << shapeStr(resultType);
  if (resultType.getElementType() != operandType.getElementType())
    return op.emitOpError("result element type must match the operand's");
  return success();
}

#define NABLA_REDUCE_VERIFIER(OP)                                              \
  LogicalResult OP::verify() { return verifyReduce(*this); }                  \
  LogicalResult OP::verifyReduction() { return verifyReduce(*this); }
NABLA_REDUCE_VERIFIER(SumOp)
NABLA_REDUCE_VERIFIER(MeanOp)
NABLA_REDUCE_VERIFIER(ReduceMaxOp)
#undef NABLA_REDUCE_VERIFIER

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  auto lhs = getLhs().getType(), rhs = getRhs().getType();
  if (lhs.getElementType() != rhs.getElementType() ||
      lhs.getElementType() != getType().getElementType())
    return emitOpError() << "operands and result must have one element type";
  if (lhs.getRank() != rhs.getRank() || lhs.getRank() < 2 || lhs.getRank() > 3)
    return emitOpError() << "expects two 2-D or two 3-D (batched) operands, got "
                         << shapeStr(lhs) << " and " << shapeStr(rhs);
  int64_t r = lhs.getRank();
  if (lhs.getDimSize(r - 1) != rhs.getDimSize(r - 2))
    return emitOpError() << "inner dimensions differ: " << shapeStr(lhs)
                         << " @ " << shapeStr(rhs);
  SmallVector<int64_t> expected;
  if (r == 3) {
    if (lhs.getDimSize(0) != rhs.getDimSize(0))
      return emitOpError() << "batch sizes differ: " << shapeStr(lhs) << " @ "
                           << shapeStr(rhs);
    expected.push_back(lhs.getDimSize(0));
  }
  expected.push_back(lhs.getDimSize(r - 2));
  expected.push_back(rhs.getDimSize(r - 1));
  if (!llvm::equal(expected, getType().getShape()))
    return emitOpError() << "result shape " << shapeStr(getType())
                         << " should be " << shapeStr(expected);
  return success();
}

//===----------------------------------------------------------------------===//
// TransposeOp, ReshapeOp, BroadcastToOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::verify() {
  auto in = cast<RankedTensorType>(getOperand().getType());
  auto perm = getPermutation();
  if (static_cast<int64_t>(perm.size()) != in.getRank())
    return emitOpError() << "permutation " << shapeStr(perm)
                         << " does not have one entry per dimension of "
                         << shapeStr(in);
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> expected;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return emitOpError() << "permutation " << shapeStr(perm)
                           << " is not a permutation of 0.." << in.getRank() - 1;
    seen[p] = true;
    expected.push_back(in.getDimSize(p));
  }
  if (in.getElementType() != getType().getElementType())
    return emitOpError("cannot change the element type (use nabla.cast)");
  if (!llvm::equal(expected, getType().getShape()))
    return emitOpError() << "transposing " << shapeStr(in) << " by "
                         << shapeStr(perm) << " gives " << shapeStr(expected)
                         << ", not " << shapeStr(getType());
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  auto perm = getPermutation();
  auto isIdentity = [](ArrayRef<int64_t> p) {
    for (auto [i, v] : llvm::enumerate(p))
      if (static_cast<int64_t>(i) != v)
        return false;
    return true;
  };
  if (isIdentity(perm))
    return getOperand();
  // transpose(transpose(x, inner), outer) == transpose(x, inner∘outer).
  auto producer = getOperand().getDefiningOp<TransposeOp>();
  if (!producer)
    return {};
  auto inner = producer.getPermutation();
  SmallVector<int64_t> composed;
  for (int64_t p : perm)
    composed.push_back(inner[p]);
  if (isIdentity(composed))
    return producer.getOperand();
  getOperandMutable().assign(producer.getOperand());
  setPermutation(composed);
  return getResult();
}

LogicalResult ReshapeOp::verify() {
  auto in = cast<RankedTensorType>(getOperand().getType());
  auto out = cast<RankedTensorType>(getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("cannot change the element type (use nabla.cast)");
  if (numElements(in.getShape()) != numElements(out.getShape()))
    return emitOpError() << "cannot reshape " << shapeStr(in) << " ("
                         << numElements(in.getShape()) << " elements) to "
                         << shapeStr(out) << " ("
                         << numElements(out.getShape()) << " elements)";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getOperand().getType() == getType())
    return getOperand();
  if (auto producer = getOperand().getDefiningOp<ReshapeOp>()) {
    getOperandMutable().assign(producer.getOperand());
    return getResult();
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getOperand()))
    return dense.reshape(cast<ShapedType>(getType()));
  return {};
}

LogicalResult BroadcastToOp::verify() {
  auto in = cast<RankedTensorType>(getOperand().getType());
  auto out = cast<RankedTensorType>(getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("cannot change the element type (use nabla.cast)");
  if (!isBroadcastableTo(in.getShape(), out.getShape()))
    return emitOpError() << "cannot broadcast " << shapeStr(in) << " to "
                         << shapeStr(out);
  return success();
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor adaptor) {
  if (getOperand().getType() == getType())
    return getOperand();
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getOperand());
      dense && dense.isSplat())
    return DenseElementsAttr::get(cast<ShapedType>(getType()),
                                  dense.getSplatValue<Attribute>());
  return {};
}

//===----------------------------------------------------------------------===//
// Softmax and losses
//===----------------------------------------------------------------------===//

template <typename OpTy>
static LogicalResult verifySoftmaxLike(OpTy op) {
  int64_t rank = op.getType().getRank();
  int64_t axis = op.getAxis();
  if (axis < 0 || axis >= rank)
    return op.emitOpError() << "axis " << axis << " is out of range for rank "
                            << rank;
  return success();
}

LogicalResult SoftmaxOp::verify() { return verifySoftmaxLike(*this); }
LogicalResult LogSoftmaxOp::verify() { return verifySoftmaxLike(*this); }

/// Losses reduce to a scalar of the prediction's element type.
static LogicalResult verifyLossResult(Operation *op, Value pred) {
  if (elementTypeOf(op->getResult(0)) != elementTypeOf(pred))
    return op->emitOpError("result element type must match the prediction's");
  return success();
}

LogicalResult MseOp::verify() {
  if (getPred().getType() != getTarget().getType())
    return emitOpError() << "prediction " << shapeStr(getPred().getType())
                         << " and target " << shapeStr(getTarget().getType())
                         << " must have the same shape and element type";
  return verifyLossResult(*this, getPred());
}

LogicalResult BinaryCrossEntropyOp::verify() {
  if (getProbs().getType() != getTargets().getType())
    return emitOpError() << "probabilities " << shapeStr(getProbs().getType())
                         << " and targets " << shapeStr(getTargets().getType())
                         << " must have the same shape and element type";
  return verifyLossResult(*this, getProbs());
}

LogicalResult CrossEntropyOp::verify() {
  auto logits = getLogits().getType();
  auto labels = getLabels().getType();
  if (logits.getRank() != 2 || labels.getRank() != 1)
    return emitOpError() << "expects logits [N, C] and labels [N], got "
                         << shapeStr(logits) << " and " << shapeStr(labels);
  if (logits.getDimSize(0) != labels.getDimSize(0))
    return emitOpError() << "logits " << shapeStr(logits) << " and labels "
                         << shapeStr(labels) << " disagree on the batch size";
  return verifyLossResult(*this, getLogits());
}

//===----------------------------------------------------------------------===//
// Backward-graph helpers
//===----------------------------------------------------------------------===//

/// That `type` has the operands' broadcast `shape`.
static LogicalResult verifyBroadcastResult(Operation *op,
                                           ArrayRef<int64_t> shape,
                                           RankedTensorType type) {
  if (llvm::equal(shape, type.getShape()))
    return success();
  return op->emitOpError() << "result shape " << shapeStr(type)
                           << " is not the broadcast shape " << shapeStr(shape);
}

LogicalResult CompareOp::verify() {
  StringRef p = getPredicate();
  if (p != "eq" && p != "ne" && p != "lt" && p != "le" && p != "gt" &&
      p != "ge")
    return emitOpError() << "unknown predicate \"" << p
                         << "\" (expected eq, ne, lt, le, gt or ge)";
  if (elementTypeOf(getLhs()) != elementTypeOf(getRhs()))
    return emitOpError("operands must have one element type");
  auto shape = broadcastShapes(getLhs().getType().getShape(),
                               getRhs().getType().getShape());
  if (!shape)
    return emitOpError() << "cannot broadcast shapes "
                         << shapeStr(getLhs().getType()) << " and "
                         << shapeStr(getRhs().getType());
  return verifyBroadcastResult(*this, *shape, getType());
}

LogicalResult SelectOp::verify() {
  if (elementTypeOf(getLhs()) != elementTypeOf(getRhs()) ||
      elementTypeOf(getLhs()) != getType().getElementType())
    return emitOpError("both choices and the result must have one element "
                       "type");
  auto shape = broadcastShapes(getLhs().getType().getShape(),
                               getRhs().getType().getShape());
  if (shape)
    shape = broadcastShapes(getCondition().getType().getShape(), *shape);
  if (!shape)
    return emitOpError() << "cannot broadcast shapes "
                         << shapeStr(getCondition().getType()) << ", "
                         << shapeStr(getLhs().getType()) << " and "
                         << shapeStr(getRhs().getType());
  return verifyBroadcastResult(*this, *shape, getType());
}

LogicalResult OneHotOp::verify() {
  auto labels = getLabels().getType();
  auto result = getType();
  if (labels.getRank() != 1 || result.getRank() != 2 ||
      result.getDimSize(0) != labels.getDimSize(0))
    return emitOpError() << "expects labels [N] and a result [N, C], got "
                         << shapeStr(labels) << " and " << shapeStr(result);
  return success();
}

LogicalResult DropoutMaskOp::verify() {
  double p = getP().convertToDouble();
  if (!(p >= 0 && p <= 1))
    return emitOpError() << "expects p in [0, 1], got " << p;
  if (getType().getNumElements() > (int64_t(1) << 32))
    return emitOpError() << "expects fewer than 2^32 elements (the "
                            "generator's counter is 32 bits), got "
                         << shapeStr(getType());
  return success();
}

LogicalResult FusedOp::verify() {
  Block &block = getBlock();
  if (block.getNumArguments() != getInputs().size() ||
      !llvm::equal(block.getArgumentTypes(), getInputs().getTypes()))
    return emitOpError() << "expects one block argument per input, of the "
                            "input's type";
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield)
    return emitOpError() << "expects its body to end in nabla.yield";
  if (!llvm::equal(yield.getValues().getTypes(), getResultTypes()))
    return emitOpError() << "yields values whose types differ from its "
                            "results";
  return success();
}

#include "ir/NablaInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "ir/NablaOps.cpp.inc"
