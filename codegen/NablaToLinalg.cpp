//===- NablaToLinalg.cpp - Lower nabla ops to linalg on tensors -----------===//
//
// Two kinds of patterns:
//  - expansions, which rewrite a composite nabla op (softmax, mean, the
//    losses) into simpler nabla ops; the conversion driver then lowers those;
//  - lowerings, which produce linalg/tensor/arith/math ops. Broadcasting is
//    never materialised: an operand's size-1 or missing dims become constant
//    or dropped expressions in its indexing map.
//
//===----------------------------------------------------------------------===//
#include "LinalgBuilders.h"

#include "nabla/codegen/Passes.h"
#include "nabla/ir/NablaOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/StringSwitch.h"

#include <limits>

namespace nabla {
#define GEN_PASS_DEF_NABLATOLINALG
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;
using namespace nabla;

Value nabla::constantScalar(OpBuilder &b, Location loc, Type type,
                            double value) {
  if (auto ft = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(type, static_cast<int64_t>(value)));
}

Value nabla::buildFilled(OpBuilder &b, Location loc, RankedTensorType type,
                         Value value) {
  Value init =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  return linalg::FillOp::create(b, loc, ValueRange{value}, ValueRange{init})
      .getResult(0);
}

namespace {

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

bool isFloat(Type t) { return isa<FloatType>(getElementTypeOrSelf(t)); }

/// The map that reads an operand of `shape` inside a loop nest over
/// `resultShape` with numpy broadcasting: trailing dims align, size-1 dims
/// that broadcast read index 0.
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> shape,
                       ArrayRef<int64_t> resultShape) {
  unsigned rank = resultShape.size(), offset = rank - shape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (dim == 1 && resultShape[offset + i] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(offset + i, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// A linalg.generic computing `body(inputs...)` at every index of
/// `resultType`, broadcasting inputs as needed.
Value buildElementwise(OpBuilder &b, Location loc, ValueRange inputs,
                       RankedTensorType resultType, BodyFn body) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(
        broadcastMap(ctx, tensorType(in).getShape(), resultType.getShape()));
  maps.push_back(AffineMap::getMultiDimIdentityMap(resultType.getRank(), ctx));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                       resultType.getElementType());
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

/// Reduces `input` over `axes` into a tensor of `resultType` (which may
/// keep the reduced dims as size 1), starting from `initValue` and folding
/// each element in with `combine(element, accumulator)`.
Value buildReduction(OpBuilder &b, Location loc, Value input,
                     ArrayRef<int64_t> axes, RankedTensorType resultType,
                     Value initValue, BodyFn combine) {
  MLIRContext *ctx = b.getContext();
  auto inType = tensorType(input);
  bool keepdims = resultType.getRank() == inType.getRank();
  // A kept (size-1) axis gets a unit parallel loop of its own rather than a
  // constant 0 in the output map: the map stays a projected permutation,
  // which tiling and fusion need.
  unsigned numLoops = inType.getRank() + (keepdims ? axes.size() : 0);
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  unsigned unitLoop = inType.getRank();
  for (int64_t i = 0; i < inType.getRank(); ++i) {
    bool reduced = llvm::is_contained(axes, i);
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    if (!reduced)
      outExprs.push_back(getAffineDimExpr(i, ctx));
    else if (keepdims)
      outExprs.push_back(getAffineDimExpr(unitLoop++, ctx));
  }
  iterators.resize(numLoops, utils::IteratorType::parallel);
  SmallVector<AffineMap> maps = {
      AffineMap::getMultiDimIdentityMap(numLoops, ctx)
          .getSubMap(llvm::to_vector(llvm::seq<unsigned>(0, inType.getRank()))),
      AffineMap::get(numLoops, 0, outExprs, ctx)};
  Value init = buildFilled(b, loc, resultType, initValue);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, ValueRange{input}, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, combine(nb, nloc, args));
      });
  return generic.getResult(0);
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

/// Lowers a binary nabla op whose scalar body is `FloatOp` for floats and
/// `IntOp` for integers.
template <typename NablaOp, typename FloatOp, typename IntOp>
struct BinaryLowering : OpRewritePattern<NablaOp> {
  using OpRewritePattern<NablaOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(NablaOp op,
                                PatternRewriter &rewriter) const override {
    bool fp = isFloat(op.getType());
    Value result = buildElementwise(
        rewriter, op.getLoc(), {op.getLhs(), op.getRhs()}, op.getType(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (fp)
            return FloatOp::create(b, loc, args[0], args[1]);
          return IntOp::create(b, loc, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Lowers a unary nabla op with a scalar body built by `Derived::apply`
/// (which may read the op's attributes).
template <typename NablaOp, typename Derived>
struct UnaryLowering : OpRewritePattern<NablaOp> {
  using OpRewritePattern<NablaOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(NablaOp op,
                                PatternRewriter &rewriter) const override {
    Value result =
        buildElementwise(rewriter, op.getLoc(), {op.getOperand()}, op.getType(),
                         [&](OpBuilder &b, Location loc, ValueRange args) {
                           return Derived::apply(op, b, loc, args[0]);
                         });
    rewriter.replaceOp(op, result);
    return success();
  }
};

#define NABLA_UNARY(NAME, OP, EXPR)                                            \
  struct NAME : UnaryLowering<OP, NAME> {                                      \
    using UnaryLowering::UnaryLowering;                                        \
    static Value apply(OP, OpBuilder &b, Location loc, Value x) {              \
      return EXPR;                                                             \
    }                                                                          \
  };

NABLA_UNARY(NegLowering, NegOp,
            isFloat(x.getType())
                ? arith::NegFOp::create(b, loc, x).getResult()
                : arith::SubIOp::create(b, loc, constantScalar(b, loc, x.getType(), 0),
                                        x)
                      .getResult())
// maximumf propagates NaN, as torch.relu does.
NABLA_UNARY(ReluLowering, ReluOp,
            arith::MaximumFOp::create(b, loc, x,
                                      constantScalar(b, loc, x.getType(), 0.0)))
NABLA_UNARY(SigmoidLowering, SigmoidOp,
            arith::DivFOp::create(
                b, loc, constantScalar(b, loc, x.getType(), 1.0),
                arith::AddFOp::create(
                    b, loc, constantScalar(b, loc, x.getType(), 1.0),
                    math::ExpOp::create(b, loc,
                                        arith::NegFOp::create(b, loc, x)))))
NABLA_UNARY(TanhLowering, TanhOp, math::TanhOp::create(b, loc, x))
NABLA_UNARY(ExpLowering, ExpOp, math::ExpOp::create(b, loc, x))
NABLA_UNARY(LogLowering, LogOp, math::LogOp::create(b, loc, x))
NABLA_UNARY(SqrtLowering, SqrtOp, math::SqrtOp::create(b, loc, x))
#undef NABLA_UNARY

//===----------------------------------------------------------------------===//
// Activations: each a scalar formula in the element type, with PyTorch's
// definitions. Only arith and the math ops that SPIR-V has (exp, expm1,
// log1p, tanh, rsqrt, absf) appear, so the same body serves Vulkan.
//===----------------------------------------------------------------------===//

/// Scalar arithmetic on floats of one type inside a loop body.
struct Scalar {
  OpBuilder &b;
  Location loc;
  Type type;

  Value c(double v) { return constantScalar(b, loc, type, v); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value gt(Value x, Value y) {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, y);
  }
  Value select(Value cond, Value x, Value y) {
    return arith::SelectOp::create(b, loc, cond, x, y);
  }
  /// x > 0 ? x : negative (NaN takes `negative`, which keeps it NaN).
  Value positiveOr(Value x, Value negative) {
    return select(gt(x, c(0.0)), x, negative);
  }
};

/// erf(x): libm's in f64; in narrower types, a rational approximation
/// computed in f32 (Eigen's generic_fast_erf_float, within 5e-7 of erf
/// on all of f32: erf is +-1 to f32 precision beyond |x| = 4).
Value erfScalar(OpBuilder &b, Location loc, Value x) {
  Type type = x.getType();
  if (type.isF64())
    return math::ErfOp::create(b, loc, x);
  Type f32 = b.getF32Type();
  if (type != f32)
    x = arith::ExtFOp::create(b, loc, f32, x);
  Scalar s{b, loc, f32};
  x = arith::MinimumFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, x, s.c(-4.0)), s.c(4.0));
  Value x2 = s.mul(x, x);
  auto horner = [&](ArrayRef<double> coefficients) {
    Value p = s.c(coefficients.front());
    for (double k : coefficients.drop_front())
      p = s.add(s.mul(x2, p), s.c(k));
    return p;
  };
  Value p = s.mul(x, horner({-2.72614225801306e-10, 2.77068142495902e-08,
                             -2.10102402082508e-06, -5.69250639462346e-05,
                             -7.34990630326855e-04, -2.95459980854025e-03,
                             -1.60960333262415e-02}));
  Value q = horner({-1.45660718464996e-05, -2.13374055278905e-04,
                    -1.68282697438203e-03, -7.37332916720468e-03,
                    -1.42647390514189e-02});
  Value result = s.div(p, q);
  if (type != f32)
    result = arith::TruncFOp::create(b, loc, type, result);
  return result;
}

// torch.nn.SELU's constants.
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

#define NABLA_ACTIVATION(NAME, OP, BODY)                                       \
  struct NAME : UnaryLowering<OP, NAME> {                                      \
    using UnaryLowering::UnaryLowering;                                        \
    static Value apply(OP op, OpBuilder &b, Location loc, Value x) {           \
      [[maybe_unused]] Scalar s{b, loc, x.getType()};                          \
      BODY                                                                     \
    }                                                                          \
  };

NABLA_ACTIVATION(AbsLowering, AbsOp, return math::AbsFOp::create(b, loc, x);)
NABLA_ACTIVATION(SquareLowering, SquareOp, return s.mul(x, x);)
NABLA_ACTIVATION(RsqrtLowering, RsqrtOp,
                 return math::RsqrtOp::create(b, loc, x);)
NABLA_ACTIVATION(ErfLowering, ErfOp, return erfScalar(b, loc, x);)
// x / (1 + exp(-x)), as torch.nn.functional.silu.
NABLA_ACTIVATION(SiluLowering, SiluOp, {
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return s.div(x, s.add(s.c(1.0), e));
})
NABLA_ACTIVATION(SeluLowering, SeluOp, {
  Value negative = s.mul(s.c(kSeluAlpha), math::ExpM1Op::create(b, loc, x));
  return s.mul(s.c(kSeluScale), s.positiveOr(x, negative));
})
NABLA_ACTIVATION(EluLowering, EluOp, {
  double alpha = op.getAlpha().convertToDouble();
  return s.positiveOr(x, s.mul(s.c(alpha), math::ExpM1Op::create(b, loc, x)));
})
NABLA_ACTIVATION(LeakyReluLowering, LeakyReluOp, {
  return s.positiveOr(x, s.mul(x, s.c(op.getSlope().convertToDouble())));
})
// log1p(exp(beta x)) / beta, or x where beta x > threshold.
NABLA_ACTIVATION(SoftplusLowering, SoftplusOp, {
  double beta = op.getBeta().convertToDouble();
  Value bx = s.mul(x, s.c(beta));
  Value soft =
      s.div(math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, bx)),
            s.c(beta));
  double threshold = op.getThreshold().convertToDouble();
  return s.select(s.gt(bx, s.c(threshold)), x, soft);
})
// min(max(x, lo), hi): NaN stays NaN, lo > hi gives hi (torch.clamp).
NABLA_ACTIVATION(ClampLowering, ClampOp, {
  Value low =
      arith::MaximumFOp::create(b, loc, x, s.c(op.getLo().convertToDouble()));
  return arith::MinimumFOp::create(b, loc, low,
                                   s.c(op.getHi().convertToDouble()));
})
NABLA_ACTIVATION(GeluLowering, GeluOp, {
  Value half = s.mul(s.c(0.5), x);
  if (op.getApproximate() == "tanh") {
    // sqrt(2 / pi) * (x + 0.044715 x^3)
    Value cube = s.mul(s.mul(x, x), x);
    Value inner =
        s.mul(s.c(0.7978845608028654), s.add(x, s.mul(s.c(0.044715), cube)));
    return s.mul(half, s.add(s.c(1.0), math::TanhOp::create(b, loc, inner)));
  }
  Value erf = erfScalar(b, loc, s.mul(x, s.c(0.7071067811865476)));
  return s.mul(half, s.add(s.c(1.0), erf));
})
#undef NABLA_ACTIVATION

struct CastLowering : OpRewritePattern<CastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CastOp op,
                                PatternRewriter &rewriter) const override {
    Type to = op.getType().getElementType();
    Value result = buildElementwise(
        rewriter, op.getLoc(), {op.getOperand()}, op.getType(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return castScalar(b, loc, args[0], to);
        });
    rewriter.replaceOp(op, result);
    return success();
  }

  static Value castScalar(OpBuilder &b, Location loc, Value x, Type to) {
    Type from = x.getType();
    if (from == to)
      return x;
    bool fromBool = from.isInteger(1);
    if (isa<FloatType>(from) && isa<FloatType>(to)) {
      if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
        return arith::ExtFOp::create(b, loc, to, x);
      if (from.getIntOrFloatBitWidth() > to.getIntOrFloatBitWidth())
        return arith::TruncFOp::create(b, loc, to, x);
      // f16 <-> bf16: through f32.
      Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
      return arith::TruncFOp::create(b, loc, to, wide);
    }
    if (isa<FloatType>(from)) {
      if (to.isInteger(1))
        return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x,
                                     constantScalar(b, loc, from, 0.0));
      return arith::FPToSIOp::create(b, loc, to, x);
    }
    if (isa<FloatType>(to)) {
      if (fromBool)
        return arith::UIToFPOp::create(b, loc, to, x);
      return arith::SIToFPOp::create(b, loc, to, x);
    }
    if (to.isInteger(1))
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x,
                                   constantScalar(b, loc, from, 0));
    if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
      return fromBool ? arith::ExtUIOp::create(b, loc, to, x).getResult()
                      : arith::ExtSIOp::create(b, loc, to, x).getResult();
    return arith::TruncIOp::create(b, loc, to, x);
  }
};

struct BroadcastToLowering : OpRewritePattern<BroadcastToOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BroadcastToOp op,
                                PatternRewriter &rewriter) const override {
    Value result = buildElementwise(
        rewriter, op.getLoc(), {op.getOperand()}, op.getType(),
        [](OpBuilder &, Location, ValueRange args) { return args[0]; });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ConstantLowering : OpRewritePattern<ConstantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConstantOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, op.getValue());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

struct SumLowering : OpRewritePattern<SumOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SumOp op,
                                PatternRewriter &rewriter) const override {
    Type et = op.getType().getElementType();
    bool fp = isFloat(et);
    Value result = buildReduction(
        rewriter, op.getLoc(), op.getOperand(), op.getAxes(), op.getType(),
        constantScalar(rewriter, op.getLoc(), et, 0.0),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (fp)
            return arith::AddFOp::create(b, loc, args[0], args[1]);
          return arith::AddIOp::create(b, loc, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ReduceMaxLowering : OpRewritePattern<ReduceMaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReduceMaxOp op,
                                PatternRewriter &rewriter) const override {
    Type et = op.getType().getElementType();
    Location loc = op.getLoc();
    Value init;
    if (auto ft = dyn_cast<FloatType>(et))
      init = arith::ConstantOp::create(
          rewriter, loc,
          rewriter.getFloatAttr(
              ft, APFloat::getInf(ft.getFloatSemantics(), /*Negative=*/true)));
    else
      init = arith::ConstantOp::create(
          rewriter, loc,
          rewriter.getIntegerAttr(
              et, APInt::getSignedMinValue(et.getIntOrFloatBitWidth())));
    Value result = buildReduction(
        rewriter, loc, op.getOperand(), op.getAxes(), op.getType(), init,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          if (isa<FloatType>(et))
            return arith::MaximumFOp::create(b, l, args[0], args[1]);
          return arith::MaxSIOp::create(b, l, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Expansions into simpler nabla ops
//===----------------------------------------------------------------------===//

/// A rank-0 nabla constant of `elementType`.
Value nablaScalar(OpBuilder &b, Location loc, Type elementType, double v) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute attr = isa<FloatType>(elementType)
                       ? Attribute(b.getFloatAttr(elementType, v))
                       : Attribute(b.getIntegerAttr(elementType, (int64_t)v));
  return ConstantOp::create(b, loc, DenseElementsAttr::get(type, attr));
}

SmallVector<int64_t> allAxes(int64_t rank) {
  return llvm::to_vector(llvm::seq<int64_t>(0, rank));
}

/// mean = sum / (number of reduced elements)
struct MeanExpansion : OpRewritePattern<MeanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MeanOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = tensorType(op.getOperand());
    int64_t count = 1;
    for (int64_t axis : op.getAxes())
      count *= inType.getDimSize(axis);
    Value sum = SumOp::create(rewriter, loc, op.getOperand(), op.getAxes(),
                              op.getKeepdims());
    Value n = nablaScalar(rewriter, loc, inType.getElementType(), count);
    rewriter.replaceOpWithNewOp<DivOp>(op, sum, n);
    return success();
  }
};

/// Stable softmax pieces: shifted = x - max(x); s = sum(exp(shifted)).
std::pair<Value, Value> shiftedExpSum(OpBuilder &b, Location loc, Value x,
                                      int64_t axis, Value &expShifted) {
  Value m = ReduceMaxOp::create(b, loc, x, ArrayRef<int64_t>{axis}, true);
  Value shifted = SubOp::create(b, loc, x, m);
  expShifted = ExpOp::create(b, loc, shifted);
  Value s = SumOp::create(b, loc, expShifted, ArrayRef<int64_t>{axis}, true);
  return {shifted, s};
}

struct SoftmaxExpansion : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    Value e;
    auto [shifted, s] = shiftedExpSum(rewriter, op.getLoc(), op.getOperand(),
                                      op.getAxis(), e);
    (void)shifted;
    rewriter.replaceOpWithNewOp<DivOp>(op, e, s);
    return success();
  }
};

struct LogSoftmaxExpansion : OpRewritePattern<LogSoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LogSoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    Value e;
    auto [shifted, s] = shiftedExpSum(rewriter, op.getLoc(), op.getOperand(),
                                      op.getAxis(), e);
    Value logS = LogOp::create(rewriter, op.getLoc(), s);
    rewriter.replaceOpWithNewOp<SubOp>(op, shifted, logS);
    return success();
  }
};

/// mse = mean((pred - target)^2) over all elements.
struct MseExpansion : OpRewritePattern<MseOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MseOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value d = SubOp::create(rewriter, loc, op.getPred(), op.getTarget());
    Value sq = MulOp::create(rewriter, loc, d, d);
    rewriter.replaceOpWithNewOp<MeanOp>(
        op, sq, allAxes(tensorType(sq).getRank()), false);
    return success();
  }
};

/// bce = mean(-(t * max(log p, -100) + (1 - t) * max(log(1 - p), -100))),
/// clamping the logs as torch.nn.functional.binary_cross_entropy does.
struct BinaryCrossEntropyExpansion : OpRewritePattern<BinaryCrossEntropyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BinaryCrossEntropyOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type et = op.getType().getElementType();
    Value p = op.getProbs(), t = op.getTargets();
    Value one = nablaScalar(rewriter, loc, et, 1.0);
    Value floor = nablaScalar(rewriter, loc, et, -100.0);
    Value logP = MaxOp::create(rewriter, loc, LogOp::create(rewriter, loc, p),
                               floor);
    Value log1mP = MaxOp::create(
        rewriter, loc,
        LogOp::create(rewriter, loc, SubOp::create(rewriter, loc, one, p)),
        floor);
    Value oneMinusT = SubOp::create(rewriter, loc, one, t);
    Value ll = AddOp::create(rewriter, loc, MulOp::create(rewriter, loc, t, logP),
                             MulOp::create(rewriter, loc, oneMinusT, log1mP));
    Value mean = MeanOp::create(rewriter, loc, ll,
                                allAxes(tensorType(ll).getRank()), false);
    rewriter.replaceOpWithNewOp<NegOp>(op, mean);
    return success();
  }
};

/// ce = -(1/N) * sum_n log_softmax(logits)[n, label[n]]. The pick of the
/// label's column is a reduction over [N, C] that adds only where
/// c == label[n].
struct CrossEntropyLowering : OpRewritePattern<CrossEntropyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CrossEntropyOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto logitsType = op.getLogits().getType();
    Type et = logitsType.getElementType();
    int64_t n = logitsType.getDimSize(0);
    Value lsm = LogSoftmaxOp::create(rewriter, loc, op.getLogits(), 1);

    AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
    SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {d0, d1}, ctx),
                                   AffineMap::get(2, 0, {d0}, ctx),
                                   AffineMap::get(2, 0, {}, ctx)};
    auto scalarType = RankedTensorType::get({}, et);
    Value init = buildFilled(rewriter, loc, scalarType,
                             constantScalar(rewriter, loc, et, 0.0));
    auto picked = linalg::GenericOp::create(
        rewriter, loc, TypeRange{scalarType}, ValueRange{lsm, op.getLabels()},
        ValueRange{init}, maps,
        {utils::IteratorType::reduction, utils::IteratorType::reduction},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value c = linalg::IndexOp::create(b, l, 1);
          Value label =
              arith::IndexCastOp::create(b, l, b.getIndexType(), args[1]);
          Value hit =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, c, label);
          Value sum = arith::AddFOp::create(b, l, args[2], args[0]);
          linalg::YieldOp::create(
              b, l, arith::SelectOp::create(b, l, hit, sum, args[2]).getResult());
        });
    Value count = nablaScalar(rewriter, loc, et, static_cast<double>(n));
    Value mean = DivOp::create(rewriter, loc, picked.getResult(0), count);
    rewriter.replaceOpWithNewOp<NegOp>(op, mean);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Linear algebra and data movement
//===----------------------------------------------------------------------===//

struct MatmulLowering : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    // 16-bit matmuls accumulate in f32 (linalg extends each product's
    // operands to the accumulator's type) and round once at the end.
    bool narrow = type.getElementType().isF16() || type.getElementType().isBF16();
    auto accType = narrow ? type.clone(rewriter.getF32Type()) : type;
    Value zero = constantScalar(rewriter, loc, accType.getElementType(), 0.0);
    Value acc = buildFilled(rewriter, loc, accType, zero);
    Value result;
    if (type.getRank() == 2)
      result = linalg::MatmulOp::create(rewriter, loc, TypeRange{accType},
                                        ValueRange{op.getLhs(), op.getRhs()},
                                        ValueRange{acc})
                   .getResult(0);
    else
      result = linalg::BatchMatmulOp::create(
                   rewriter, loc, TypeRange{accType},
                   ValueRange{op.getLhs(), op.getRhs()}, ValueRange{acc})
                   .getResult(0);
    if (narrow)
      result = CastOp::create(rewriter, loc, type, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct TransposeLowering : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value init = tensor::EmptyOp::create(rewriter, op.getLoc(), type.getShape(),
                                         type.getElementType());
    auto transposed = linalg::TransposeOp::create(
        rewriter, op.getLoc(), op.getOperand(), init, op.getPermutation());
    rewriter.replaceOp(op, transposed.getResult());
    return success();
  }
};

struct ReshapeLowering : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    auto shapeType = RankedTensorType::get({type.getRank()},
                                           rewriter.getI64Type());
    Value shape = arith::ConstantOp::create(
        rewriter, op.getLoc(),
        DenseIntElementsAttr::get(shapeType, type.getShape()));
    rewriter.replaceOpWithNewOp<tensor::ReshapeOp>(op, type, op.getOperand(),
                                                   shape);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Backward-graph helpers
//===----------------------------------------------------------------------===//

/// dy where x > 0, else 0.
struct ReluGradLowering : OpRewritePattern<ReluGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReluGradOp op,
                                PatternRewriter &rewriter) const override {
    Value result = buildElementwise(
        rewriter, op.getLoc(), {op.getX(), op.getDy()}, op.getType(),
        [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          Value zero = constantScalar(b, loc, args[1].getType(), 0.0);
          Value positive = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::OGT, args[0], zero);
          return arith::SelectOp::create(b, loc, positive, args[1], zero);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct CompareLowering : OpRewritePattern<CompareOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CompareOp op,
                                PatternRewriter &rewriter) const override {
    StringRef p = op.getPredicate();
    Value result = buildElementwise(
        rewriter, op.getLoc(), {op.getLhs(), op.getRhs()}, op.getType(),
        [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
          if (isFloat(args[0].getType())) {
            // Ordered predicates: false when either side is NaN ("ne" is
            // unordered, so NaN != NaN is true).
            auto pred = llvm::StringSwitch<arith::CmpFPredicate>(p)
                            .Case("eq", arith::CmpFPredicate::OEQ)
                            .Case("ne", arith::CmpFPredicate::UNE)
                            .Case("lt", arith::CmpFPredicate::OLT)
                            .Case("le", arith::CmpFPredicate::OLE)
                            .Case("gt", arith::CmpFPredicate::OGT)
                            .Default(arith::CmpFPredicate::OGE);
            return arith::CmpFOp::create(b, loc, pred, args[0], args[1]);
          }
          auto pred = llvm::StringSwitch<arith::CmpIPredicate>(p)
                          .Case("eq", arith::CmpIPredicate::eq)
                          .Case("ne", arith::CmpIPredicate::ne)
                          .Case("lt", arith::CmpIPredicate::slt)
                          .Case("le", arith::CmpIPredicate::sle)
                          .Case("gt", arith::CmpIPredicate::sgt)
                          .Default(arith::CmpIPredicate::sge);
          return arith::CmpIOp::create(b, loc, pred, args[0], args[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SelectLowering : OpRewritePattern<SelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SelectOp op,
                                PatternRewriter &rewriter) const override {
    Value result = buildElementwise(
        rewriter, op.getLoc(), {op.getCondition(), op.getLhs(), op.getRhs()},
        op.getType(), [](OpBuilder &b, Location loc, ValueRange args) -> Value {
          return arith::SelectOp::create(b, loc, args[0], args[1], args[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// result[n, c] = (c == labels[n]) ? 1 : 0.
struct OneHotLowering : OpRewritePattern<OneHotOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(OneHotOp op,
                                PatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    auto type = op.getType();
    Location loc = op.getLoc();
    AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
    SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {d0}, ctx),
                                   AffineMap::get(2, 0, {d0, d1}, ctx)};
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType());
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{op.getLabels()},
        ValueRange{init}, maps,
        {utils::IteratorType::parallel, utils::IteratorType::parallel},
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value c = linalg::IndexOp::create(b, l, 1);
          Value label =
              arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
          Value hit =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, c, label);
          Type et = type.getElementType();
          linalg::YieldOp::create(
              b, l,
              arith::SelectOp::create(b, l, hit, constantScalar(b, l, et, 1.0),
                                      constantScalar(b, l, et, 0.0))
                  .getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// The first output word of Philox-4x32-10 for `counter` and `key` (i32
/// values), as Random123's philox4x32_10: ten rounds, the key bumped by the
/// Weyl constants between rounds. mului_extended gives the 32x32 -> 64-bit
/// products' halves on every backend (SPIR-V's OpUMulExtended).
Value philox4x32(OpBuilder &b, Location l, std::array<Value, 4> c, Value k0,
                 Value k1) {
  auto word = [&](uint32_t v) -> Value {
    return arith::ConstantIntOp::create(b, l, b.getI32Type(),
                                        int64_t(int32_t(v)));
  };
  Value m0 = word(0xD2511F53), m1 = word(0xCD9E8D57);
  Value w0 = word(0x9E3779B9), w1 = word(0xBB67AE85);
  auto xorOf = [&](Value x, Value y, Value z) -> Value {
    return arith::XOrIOp::create(b, l, arith::XOrIOp::create(b, l, x, y), z);
  };
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 = arith::AddIOp::create(b, l, k0, w0);
      k1 = arith::AddIOp::create(b, l, k1, w1);
    }
    auto p0 = arith::MulUIExtendedOp::create(b, l, m0, c[0]);
    auto p1 = arith::MulUIExtendedOp::create(b, l, m1, c[2]);
    c = {xorOf(p1.getHigh(), c[1], k0), p1.getLow(),
         xorOf(p0.getHigh(), c[3], k1), p0.getLow()};
  }
  return c[0];
}

/// result[i] = 1 / (1 - p) where u_i >= p, else 0 (see the op's
/// description): the row-major index i from linalg.index, one Philox call
/// per element.
struct DropoutMaskLowering : OpRewritePattern<DropoutMaskOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DropoutMaskOp op,
                                PatternRewriter &rewriter) const override {
    MLIRContext *ctx = rewriter.getContext();
    RankedTensorType type = op.getType();
    Location loc = op.getLoc();
    unsigned rank = type.getRank();
    AffineMap scalar = AffineMap::get(rank, 0, {}, ctx);
    SmallVector<AffineMap> maps = {scalar, scalar,
                                   rewriter.getMultiDimIdentityMap(rank)};
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType());
    double p = op.getP().convertToDouble();
    int64_t stream = op.getStream();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type},
        ValueRange{op.getSeed(), op.getCounter()}, ValueRange{init}, maps,
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value index = arith::ConstantIndexOp::create(b, l, 0);
          for (unsigned d = 0; d < rank; ++d) {
            Value size =
                arith::ConstantIndexOp::create(b, l, type.getDimSize(d));
            index = arith::AddIOp::create(
                b, l, arith::MulIOp::create(b, l, index, size),
                linalg::IndexOp::create(b, l, d));
          }
          Type i32 = b.getI32Type();
          Value zero = arith::ConstantIntOp::create(b, l, i32, 0);
          Value i = arith::IndexCastUIOp::create(b, l, i32, index);
          Value streamWord =
              arith::ConstantIntOp::create(b, l, i32, int64_t(int32_t(stream)));
          Value bits =
              philox4x32(b, l, {i, zero, args[1], zero}, args[0], streamWord);
          // The top 24 bits as a float in [0, 1), exact in f32.
          Value top = arith::ShRUIOp::create(
              b, l, bits, arith::ConstantIntOp::create(b, l, i32, 8));
          Type f32 = b.getF32Type();
          Value u = arith::MulFOp::create(
              b, l, arith::UIToFPOp::create(b, l, f32, top),
              constantScalar(b, l, f32, 1.0 / double(1 << 24)));
          Value keep = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE, u,
                                             constantScalar(b, l, f32, p));
          Type et = type.getElementType();
          double scale = p < 1 ? 1.0 / (1.0 - p) : 0.0;
          linalg::YieldOp::create(
              b, l,
              arith::SelectOp::create(b, l, keep,
                                      constantScalar(b, l, et, scale),
                                      constantScalar(b, l, et, 0.0))
                  .getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Passes
//===----------------------------------------------------------------------===//

struct NablaToLinalgPass
    : nabla::impl::NablaToLinalgBase<NablaToLinalgPass> {
  using NablaToLinalgBase::NablaToLinalgBase;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<
        BinaryLowering<AddOp, arith::AddFOp, arith::AddIOp>,
        BinaryLowering<SubOp, arith::SubFOp, arith::SubIOp>,
        BinaryLowering<MulOp, arith::MulFOp, arith::MulIOp>,
        BinaryLowering<DivOp, arith::DivFOp, arith::DivSIOp>,
        BinaryLowering<MaxOp, arith::MaximumFOp, arith::MaxSIOp>,
        BinaryLowering<PowOp, math::PowFOp, math::IPowIOp>, NegLowering,
        ReluLowering, SigmoidLowering, TanhLowering, ExpLowering, LogLowering,
        SqrtLowering, AbsLowering, SquareLowering, RsqrtLowering, ErfLowering,
        SiluLowering, SeluLowering, GeluLowering, LeakyReluLowering,
        EluLowering, SoftplusLowering, ClampLowering, CastLowering,
        BroadcastToLowering, ConstantLowering, SumLowering, ReduceMaxLowering,
        MeanExpansion, SoftmaxExpansion, LogSoftmaxExpansion, MseExpansion,
        BinaryCrossEntropyExpansion, CrossEntropyLowering, MatmulLowering,
        TransposeLowering, ReshapeLowering, ReluGradLowering, CompareLowering,
        SelectLowering, OneHotLowering, DropoutMaskLowering>(ctx);
    populateWindowLowerings(patterns, forCpu);
    populateAllReduceLowerings(patterns);
    declareAllReduceRuntime(getOperation());

    ConversionTarget target(*ctx);
    target.addIllegalDialect<NablaDialect>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect,
                           func::FuncDialect, memref::MemRefDialect,
                           bufferization::BufferizationDialect>();
    target.addLegalOp<FusedOp, YieldOp>(); // groups stay; their bodies lower
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
