//===- Derivatives.cpp - The vector-Jacobian product of every nabla op ----===//
//
// One rule per op, all in one place (like Enzyme-MLIR's Derivatives files).
// A rule receives dy, the adjoint of the op's result, and returns the
// adjoint contribution of each operand. Rules are written with nabla ops
// only, so the backward graph is itself differentiable; each new op gets
// the location of the forward op it differentiates.
//
// Conventions follow PyTorch: relu'(0) = 0; ties of an elementwise maximum
// split the gradient evenly; a max reduction spreads it evenly over the
// maximal elements (torch.amax); broadcast operands receive the sum of the
// adjoint over the broadcast dimensions.
//
//===----------------------------------------------------------------------===//
#include "nabla/ir/NablaOps.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace nabla;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// A rank-0 constant with `v` in the element type of `like`.
Value scalar(OpBuilder &b, Location loc, Value like, double v) {
  Type et = typeOf(like).getElementType();
  auto type = RankedTensorType::get({}, et);
  return ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, b.getFloatAttr(et, v)));
}

Value add(OpBuilder &b, Location l, Value x, Value y) { return AddOp::create(b, l, x, y); }
Value sub(OpBuilder &b, Location l, Value x, Value y) { return SubOp::create(b, l, x, y); }
Value mul(OpBuilder &b, Location l, Value x, Value y) { return MulOp::create(b, l, x, y); }
Value div(OpBuilder &b, Location l, Value x, Value y) { return DivOp::create(b, l, x, y); }
Value neg(OpBuilder &b, Location l, Value x) { return NegOp::create(b, l, x); }

/// A 0/1 mask of `pred(x, y)` in the element type of `like`.
Value mask(OpBuilder &b, Location l, StringRef pred, Value x, Value y,
           Value like) {
  auto shape = getBroadcastType(x, y).getShape();
  auto i1 = RankedTensorType::get(shape, b.getI1Type());
  Value m = CompareOp::create(b, l, i1, b.getStringAttr(pred), x, y);
  return CastOp::create(
      b, l, RankedTensorType::get(shape, typeOf(like).getElementType()), m);
}

/// Sums `adjoint` over the dims along which `target` was broadcast, so the
/// result has `target`'s shape.
Value reduceToShape(OpBuilder &b, Location l, Value adjoint,
                    RankedTensorType target) {
  auto type = typeOf(adjoint);
  if (type.getShape() == target.getShape())
    return adjoint;
  int64_t lead = type.getRank() - target.getRank();
  SmallVector<int64_t> axes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (i < lead || (target.getDimSize(i - lead) == 1 && type.getDimSize(i) != 1))
      axes.push_back(i);
  Value summed = adjoint;
  if (!axes.empty())
    summed = SumOp::create(b, l, adjoint, axes, /*keepdims=*/true);
  auto resultType =
      RankedTensorType::get(target.getShape(), type.getElementType());
  if (typeOf(summed) == resultType)
    return summed;
  return ReshapeOp::create(b, l, resultType, summed);
}

/// Undoes a reduction's shape change: dy of the reduced shape becomes a
/// tensor of `full`'s shape (copies along the reduced axes).
Value expandReduced(OpBuilder &b, Location l, Value dy, ArrayRef<int64_t> axes,
                    bool keepdims, RankedTensorType full) {
  auto et = typeOf(dy).getElementType();
  Value kept = dy;
  if (!keepdims) {
    auto keptType = RankedTensorType::get(
        reducedShape(full.getShape(), axes, /*keepdims=*/true), et);
    kept = ReshapeOp::create(b, l, keptType, dy);
  }
  return BroadcastToOp::create(
      b, l, RankedTensorType::get(full.getShape(), et), kept);
}

/// dy with the reduced axes kept as size 1, for broadcasting against x.
Value keepReducedDims(OpBuilder &b, Location l, Value dy,
                      ArrayRef<int64_t> axes, bool keepdims,
                      RankedTensorType full) {
  if (keepdims)
    return dy;
  auto keptType = RankedTensorType::get(
      reducedShape(full.getShape(), axes, /*keepdims=*/true),
      typeOf(dy).getElementType());
  return ReshapeOp::create(b, l, keptType, dy);
}

Value transposeLast2(OpBuilder &b, Location l, Value x) {
  auto type = typeOf(x);
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
  std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  return TransposeOp::create(
      b, l, RankedTensorType::get(shape, type.getElementType()), x, perm);
}

Value matmul(OpBuilder &b, Location l, Value x, Value y) {
  auto xt = typeOf(x), yt = typeOf(y);
  SmallVector<int64_t> shape(xt.getShape().drop_back());
  shape.push_back(yt.getShape().back());
  return MatmulOp::create(
      b, l, RankedTensorType::get(shape, xt.getElementType()), x, y);
}

int64_t countOf(RankedTensorType type, ArrayRef<int64_t> axes) {
  int64_t n = 1;
  for (int64_t a : axes)
    n *= type.getDimSize(a);
  return n;
}

bool isFloatTensor(Value v) { return isa<FloatType>(typeOf(v).getElementType()); }

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise binary ops: results broadcast, so adjoints reduce back.
//===----------------------------------------------------------------------===//

void AddOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  out.assign({reduceToShape(b, l, dy, getLhs().getType()),
         reduceToShape(b, l, dy, getRhs().getType())});
}

void SubOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  out.assign({reduceToShape(b, l, dy, getLhs().getType()),
         reduceToShape(b, l, neg(b, l, dy), getRhs().getType())});
}

void MulOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  out.assign({reduceToShape(b, l, mul(b, l, dy, getRhs()), getLhs().getType()),
         reduceToShape(b, l, mul(b, l, dy, getLhs()), getRhs().getType())});
}

// y = a / b:  da = dy / b,  db = -dy * y / b.
void DivOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  out.assign({reduceToShape(b, l, div(b, l, dy, getRhs()), getLhs().getType()),
         reduceToShape(b, l, neg(b, l, div(b, l, mul(b, l, dy, getResult()),
                                           getRhs())),
                       getRhs().getType())});
}

// y = a ** p:  da = dy * p * a ** (p - 1),  dp = dy * y * log(a).
void PowOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  if (!isFloatTensor(dy)) {
    out.assign({Value(), Value()});
    return;
  }
  Value a = getLhs(), p = getRhs();
  Value pm1 = sub(b, l, p, scalar(b, l, p, 1.0));
  Value da = mul(b, l, mul(b, l, dy, p), PowOp::create(b, l, a, pm1));
  Value dp = mul(b, l, mul(b, l, dy, getResult()), LogOp::create(b, l, a));
  out.assign({reduceToShape(b, l, da, typeOf(a)),
         reduceToShape(b, l, dp, typeOf(p))});
}

// Ties split evenly, as torch.maximum.
void MaxOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  Value x = getLhs(), y = getRhs();
  Value half = mul(b, l, mask(b, l, "eq", x, y, dy), scalar(b, l, dy, 0.5));
  Value wx = add(b, l, mask(b, l, "gt", x, y, dy), half);
  Value wy = add(b, l, mask(b, l, "lt", x, y, dy), half);
  out.assign({reduceToShape(b, l, mul(b, l, dy, wx), getLhs().getType()),
         reduceToShape(b, l, mul(b, l, dy, wy), getRhs().getType())});
}

// where(c, a, b): da = where(c, dy, 0), db = where(c, 0, dy); c gets no
// gradient. Selecting (not multiplying by a 0/1 mask) keeps an infinite b
// out of a's gradient.
void SelectOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  Value zero = scalar(b, l, dy, 0.0);
  auto type = cast<RankedTensorType>(dy.getType());
  Value c = getCondition();
  Value da = SelectOp::create(b, l, type, c, dy, zero);
  Value db = SelectOp::create(b, l, type, c, zero, dy);
  out.assign({Value(), reduceToShape(b, l, da, getLhs().getType()),
              reduceToShape(b, l, db, getRhs().getType())});
}

//===----------------------------------------------------------------------===//
// Elementwise unary ops. sigmoid, tanh, exp and sqrt use their outputs.
//===----------------------------------------------------------------------===//

void NegOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  out.assign({neg(b, getLoc(), dy)});
}

// relu_grad reads relu's result, not its input (y > 0 exactly where
// x > 0, NaN included): the backward pass then needs only the activation,
// which the next layer's weight gradient reads anyway, and the forward
// pass need not keep the pre-activation.
void ReluOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  out.assign({ReluGradOp::create(b, getLoc(), getResult(), dy)});
}

void SigmoidOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  Value y = getResult();
  Value oneMinusY = sub(b, l, scalar(b, l, y, 1.0), y);
  out.assign({mul(b, l, dy, mul(b, l, y, oneMinusY))});
}

void TanhOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  Value y = getResult();
  out.assign({mul(b, l, dy, sub(b, l, scalar(b, l, y, 1.0), mul(b, l, y, y)))});
}

void ExpOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  out.assign({mul(b, getLoc(), dy, getResult())});
}

void LogOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  out.assign({div(b, getLoc(), dy, getOperand())});
}

void SqrtOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  out.assign({div(b, l, dy, mul(b, l, scalar(b, l, dy, 2.0), getResult()))});
}

//===----------------------------------------------------------------------===//
// Activations, with PyTorch's derivatives (at kinks too: abs'(0) = 0,
// leaky_relu'(0) = slope, elu'(0) = alpha, clamp' = 1 on the bounds).
//===----------------------------------------------------------------------===//

void AbsOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  Value x = getOperand(), zero = scalar(b, l, x, 0.0);
  Value sign =
      sub(b, l, mask(b, l, "gt", x, zero, x), mask(b, l, "lt", x, zero, x));
  out.assign({mul(b, l, dy, sign)});
}

void SquareOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  out.assign({mul(b, l, dy, mul(b, l, scalar(b, l, dy, 2.0), getOperand()))});
}

// y = x^(-1/2):  dx = dy * (-1/2) y^3.
void RsqrtOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  Value y = getResult();
  Value cube = mul(b, l, mul(b, l, y, y), y);
  out.assign({mul(b, l, dy, mul(b, l, scalar(b, l, y, -0.5), cube))});
}

// erf'(x) = 2/sqrt(pi) exp(-x^2).
void ErfOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  Value x = getOperand();
  Value gauss = ExpOp::create(b, l, neg(b, l, mul(b, l, x, x)));
  out.assign(
      {mul(b, l, dy, mul(b, l, scalar(b, l, x, 1.1283791670955126), gauss))});
}

// silu'(x) = s (1 + x (1 - s)), s = sigmoid(x).
void SiluOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  Value x = getOperand(), one = scalar(b, l, x, 1.0);
  Value s = SigmoidOp::create(b, l, x);
  Value d = mul(b, l, s, add(b, l, one, mul(b, l, x, sub(b, l, one, s))));
  out.assign({mul(b, l, dy, d)});
}

/// The derivative of scale * elu(x, alpha) given y, its value:
/// scale where x > 0, else scale * alpha * exp(x) = y + scale * alpha
/// (from y, which never overflows, where exp(x) would for large x).
static Value eluDerivative(OpBuilder &b, Location l, Value x, Value y,
                           double alpha, double scale) {
  Value positive = mask(b, l, "gt", x, scalar(b, l, x, 0.0), x);
  Value negative = add(b, l, y, scalar(b, l, y, scale * alpha));
  Value rest = sub(b, l, scalar(b, l, x, 1.0), positive);
  // No `* 1` (see SoftplusOp's rule).
  if (scale != 1.0)
    positive = mul(b, l, positive, scalar(b, l, x, scale));
  return add(b, l, positive, mul(b, l, rest, negative));
}

void EluOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  double alpha = getAlpha().convertToDouble();
  out.assign({mul(b, l, dy,
                  eluDerivative(b, l, getOperand(), getResult(), alpha, 1.0))});
}

void SeluOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  // torch.nn.SELU's constants.
  const double alpha = 1.6732632423543772848170429916717;
  const double scale = 1.0507009873554804934193349852946;
  out.assign({mul(
      b, l, dy, eluDerivative(b, l, getOperand(), getResult(), alpha, scale))});
}

// slope + (1 - slope) [x > 0].
void LeakyReluOp::buildVjp(OpBuilder &b, Value dy,
                           SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  Value x = getOperand();
  double slope = getSlope().convertToDouble();
  Value positive = mask(b, l, "gt", x, scalar(b, l, x, 0.0), x);
  Value d = add(b, l, scalar(b, l, x, slope),
                mul(b, l, positive, scalar(b, l, x, 1.0 - slope)));
  out.assign({mul(b, l, dy, d)});
}

// sigmoid(beta x), or 1 where beta x > threshold (the linear part).
void SoftplusOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  Value x = getOperand();
  double beta = getBeta().convertToDouble();
  // No `x * 1`: it folds away, and nabla-lower-fused cannot yet inline a
  // group that yields one of its own inputs.
  Value bx = beta == 1.0 ? x : mul(b, l, x, scalar(b, l, x, beta));
  Value linear = mask(b, l, "gt", bx,
                      scalar(b, l, x, getThreshold().convertToDouble()), x);
  Value rest = sub(b, l, scalar(b, l, x, 1.0), linear);
  Value d = add(b, l, linear, mul(b, l, rest, SigmoidOp::create(b, l, bx)));
  out.assign({mul(b, l, dy, d)});
}

// 1 where lo <= x <= hi, as torch.clamp's (both bounds pass the gradient).
void ClampOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  Value x = getOperand();
  Value inside = mul(
      b, l, mask(b, l, "ge", x, scalar(b, l, x, getLo().convertToDouble()), x),
      mask(b, l, "le", x, scalar(b, l, x, getHi().convertToDouble()), x));
  out.assign({mul(b, l, dy, inside)});
}

// "none": Phi(x) + x phi(x), the normal distribution's cdf and density.
// "tanh": with t = tanh(u), u = k (x + c x^3), k = sqrt(2 / pi),
// d/dx [x/2 (1 + t)] = (1 + t) / 2 + x/2 (1 - t^2) k (1 + 3 c x^2).
void GeluOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  Value x = getOperand();
  auto k = [&](double v) { return scalar(b, l, x, v); };
  Value x2 = mul(b, l, x, x);
  Value d;
  if (getApproximate() == "tanh") {
    const double kappa = 0.044715, beta = 0.7978845608028654;
    Value u =
        mul(b, l, k(beta), add(b, l, x, mul(b, l, k(kappa), mul(b, l, x2, x))));
    Value t = TanhOp::create(b, l, u);
    Value left = mul(b, l, k(0.5), add(b, l, k(1.0), t));
    Value du =
        mul(b, l, k(beta), add(b, l, k(1.0), mul(b, l, k(3 * kappa), x2)));
    Value right =
        mul(b, l,
            mul(b, l, mul(b, l, k(0.5), x), sub(b, l, k(1.0), mul(b, l, t, t))),
            du);
    d = add(b, l, left, right);
  } else {
    Value cdf =
        mul(b, l, k(0.5),
            add(b, l, k(1.0),
                ErfOp::create(b, l, mul(b, l, x, k(0.7071067811865476)))));
    Value pdf = mul(b, l, k(0.3989422804014327),
                    ExpOp::create(b, l, mul(b, l, k(-0.5), x2)));
    d = add(b, l, cdf, mul(b, l, x, pdf));
  }
  out.assign({mul(b, l, dy, d)});
}

// Float-to-float casts pass the adjoint back in the operand's type; casts
// from or to integers have no gradient.
void CastOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  if (!isFloatTensor(getOperand()) || !isFloatTensor(getResult())) {
    out.assign({Value()});
    return;
  }
  out.assign({CastOp::create(b, getLoc(), getOperand().getType(), dy)});
}

// relu_grad(x, dy) is linear in dy; its derivative in x is 0 almost
// everywhere, so x gets no contribution.
void ReluGradOp::buildVjp(OpBuilder &b, Value ddx,
                          SmallVectorImpl<Value> &out) {
  out.assign({Value(), ReluGradOp::create(b, getLoc(), getX(), ddx)});
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

void SumOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  out.assign({expandReduced(b, getLoc(), dy, getAxes(), getKeepdims(),
                       cast<RankedTensorType>(getOperand().getType()))});
}

void MeanOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  auto full = cast<RankedTensorType>(getOperand().getType());
  Value scaled = div(b, l, dy,
                     scalar(b, l, dy, static_cast<double>(countOf(full, getAxes()))));
  out.assign({expandReduced(b, l, scaled, getAxes(), getKeepdims(), full)});
}

// The adjoint is spread evenly over the elements equal to the maximum.
void ReduceMaxOp::buildVjp(OpBuilder &b, Value dy,
                           SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  Value x = getOperand();
  auto full = cast<RankedTensorType>(x.getType());
  if (!isFloatTensor(x)) {
    out.assign({Value()});
    return;
  }
  Value yKept = keepReducedDims(b, l, getResult(), getAxes(), getKeepdims(), full);
  Value dyKept = keepReducedDims(b, l, dy, getAxes(), getKeepdims(), full);
  Value m = mask(b, l, "eq", x, yKept, dy);
  Value count = SumOp::create(b, l, m, getAxes(), /*keepdims=*/true);
  out.assign({mul(b, l, m, div(b, l, dyKept, count))});
}

//===----------------------------------------------------------------------===//
// Linear algebra and data movement
//===----------------------------------------------------------------------===//

// C = A @ B:  dA = dC @ B^T,  dB = A^T @ dC (batch by batch for 3-D).
void MatmulOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  out.assign({matmul(b, l, dy, transposeLast2(b, l, getRhs())),
         matmul(b, l, transposeLast2(b, l, getLhs()), dy)});
}

void TransposeOp::buildVjp(OpBuilder &b, Value dy,
                           SmallVectorImpl<Value> &out) {
  auto perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  out.assign({TransposeOp::create(b, getLoc(), getOperand().getType(), dy, inverse)});
}

void ReshapeOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  out.assign({ReshapeOp::create(b, getLoc(), getOperand().getType(), dy)});
}

void BroadcastToOp::buildVjp(OpBuilder &b, Value dy,
                             SmallVectorImpl<Value> &out) {
  out.assign({reduceToShape(b, getLoc(), dy,
                       cast<RankedTensorType>(getOperand().getType()))});
}

//===----------------------------------------------------------------------===//
// Softmax and losses
//===----------------------------------------------------------------------===//

// y = softmax(x):  dx = y * (dy - sum(dy * y)).
void SoftmaxOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  Value y = getResult();
  Value s = SumOp::create(b, l, mul(b, l, dy, y),
                          ArrayRef<int64_t>{static_cast<int64_t>(getAxis())}, /*keepdims=*/true);
  out.assign({mul(b, l, y, sub(b, l, dy, s))});
}

// y = log_softmax(x):  dx = dy - exp(y) * sum(dy).
void LogSoftmaxOp::buildVjp(OpBuilder &b, Value dy,
                            SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  Value s = SumOp::create(b, l, dy, ArrayRef<int64_t>{static_cast<int64_t>(getAxis())},
                          /*keepdims=*/true);
  out.assign({sub(b, l, dy, mul(b, l, ExpOp::create(b, l, getResult()), s))});
}

// mse = mean((p - t)^2):  dp = dy * 2 (p - t) / n,  dt = -dp.
void MseOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  double n = static_cast<double>(numElements(getPred().getType().getShape()));
  Value d = sub(b, l, getPred(), getTarget());
  Value dp = mul(b, l, mul(b, l, dy, scalar(b, l, dy, 2.0 / n)), d);
  out.assign({dp, neg(b, l, dp)});
}

// ce = mean_n -log softmax(z)[n, label_n]:
// dz = dy * (softmax(z) - one_hot(label)) / N for rows with a valid label.
// Labels get no gradient.
void CrossEntropyOp::buildVjp(OpBuilder &b, Value dy,
                              SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  auto type = getLogits().getType();
  Value p = SoftmaxOp::create(b, l, getLogits(), 1);
  Value onehot = OneHotOp::create(b, l, type, getLabels());
  // A row whose label is outside [0, C) adds nothing to the loss, so it
  // gets no gradient: its one-hot row sums to 0 and masks softmax out.
  Value valid = SumOp::create(b, l, onehot, ArrayRef<int64_t>{1}, true);
  Value scale =
      div(b, l, dy, scalar(b, l, dy, static_cast<double>(type.getDimSize(0))));
  out.assign({mul(b, l, sub(b, l, mul(b, l, p, valid), onehot), scale),
              Value()});
}

// bce = mean(-(t log p + (1 - t) log(1 - p))), logs clamped at -100:
// dp = dy (p - t) / max(p (1 - p), 1e-12) / n   (as PyTorch),
// dt = dy (max(log(1 - p), -100) - max(log p, -100)) / n.
void BinaryCrossEntropyOp::buildVjp(OpBuilder &b, Value dy,
                                    SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  Value p = getProbs(), t = getTargets();
  double n = static_cast<double>(numElements(getProbs().getType().getShape()));
  Value scale = div(b, l, dy, scalar(b, l, dy, n));
  Value one = scalar(b, l, dy, 1.0);
  Value oneMinusP = sub(b, l, one, p);
  Value denom = MaxOp::create(b, l, mul(b, l, p, oneMinusP),
                              scalar(b, l, dy, 1e-12));
  Value dp = mul(b, l, scale, div(b, l, sub(b, l, p, t), denom));
  Value floor = scalar(b, l, dy, -100.0);
  Value logP = MaxOp::create(b, l, LogOp::create(b, l, p), floor);
  Value log1mP = MaxOp::create(b, l, LogOp::create(b, l, oneMinusP), floor);
  Value dt = mul(b, l, scale, sub(b, l, log1mP, logP));
  out.assign({dp, dt});
}

//===----------------------------------------------------------------------===//
// Padding, slicing, convolution and pooling
//===----------------------------------------------------------------------===//

// pad and slice are each other's adjoints: the padded positions get no
// gradient, and a slice's gradient is zero outside the box.
void PadOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  SmallVector<int64_t> strides;
  for (int64_t i : getInterior())
    strides.push_back(i + 1);
  out.assign({SliceOp::create(b, getLoc(), getOperand().getType(), dy, getLow(),
                              strides)});
}

void SliceOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  ArrayRef<int64_t> in = typeOf(getOperand()).getShape(),
                    sliced = getType().getShape();
  SmallVector<int64_t> high, interior;
  for (auto [i, offset] : llvm::enumerate(getOffsets())) {
    int64_t stride = getStrides()[i];
    interior.push_back(stride - 1);
    high.push_back(in[i] - offset - (sliced[i] - 1) * stride - 1);
  }
  out.assign({PadOp::create(b, getLoc(), getOperand().getType(), dy,
                            getOffsets(), high, interior, llvm::APFloat(0.0))});
}

// Each input's gradient is its box of the result's.
void ConcatOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  int64_t rank = getType().getRank(), axis = getAxis(), offset = 0;
  out.clear();
  for (Value input : getInputs()) {
    SmallVector<int64_t> offsets(rank, 0);
    offsets[axis] = offset;
    offset += typeOf(input).getDimSize(axis);
    out.push_back(SliceOp::create(b, getLoc(), input.getType(), dy, offsets,
                                  SmallVector<int64_t>(rank, 1)));
  }
}

// y = conv(x, w):  dx = conv_transpose(dy, w),  dw = conv_weight_grad(x, dy).
void ConvOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  out.assign(
      {ConvTransposeOp::create(b, l, getLhs().getType(), dy, getRhs(),
                               getStrides(), getDilations(), getGroups()),
       ConvWeightGradOp::create(b, l, getRhs().getType(), getLhs(), dy,
                                getStrides(), getDilations(), getGroups())});
}

// r = conv_transpose(dy, w) is linear in each operand; its adjoints are the
// other two members of the family.
void ConvTransposeOp::buildVjp(OpBuilder &b, Value dr,
                               SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  out.assign(
      {ConvOp::create(b, l, getLhs().getType(), dr, getRhs(), getStrides(),
                      getDilations(), getGroups()),
       ConvWeightGradOp::create(b, l, getRhs().getType(), dr, getLhs(),
                                getStrides(), getDilations(), getGroups())});
}

// r = conv_weight_grad(x, dy): dx = conv_transpose(dy, dr), ddy = conv(x, dr).
void ConvWeightGradOp::buildVjp(OpBuilder &b, Value dr,
                                SmallVectorImpl<Value> &out) {
  Location l = getLoc();
  out.assign(
      {ConvTransposeOp::create(b, l, getLhs().getType(), getRhs(), dr,
                               getStrides(), getDilations(), getGroups()),
       ConvOp::create(b, l, getRhs().getType(), getLhs(), dr, getStrides(),
                      getDilations(), getGroups())});
}

// The window's adjoint goes to its first maximal element (PyTorch).
void MaxPoolOp::buildVjp(OpBuilder &b, Value dy, SmallVectorImpl<Value> &out) {
  out.assign(
      {MaxPoolGradOp::create(b, getLoc(), getOperand().getType(), getOperand(),
                             dy, getKernel(), getStrides(), getDilations())});
}
