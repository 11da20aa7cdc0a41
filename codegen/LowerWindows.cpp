//===- LowerWindows.cpp - pad, slice, convolution and pooling to linalg ---===//
//
// Every op here becomes linalg.generic ops with affine indexing maps, so
// both targets take them as they take the rest: the CPU pipeline turns them
// into loop nests, the GPU pipeline into one kernel each.
//  - Channel groups are explicit dims: x [N, G*C, ...] is viewed as
//    [N, G, C, ...] and the weight [G*O, C, ...] as [G, O, C, ...]
//    (tensor.expand_shape), so every map is a projection plus the window
//    expression `p * stride + k * dilation`.
//  - The adjoints that scatter (conv_transpose, max_pool_grad) are gathers
//    from a padded copy of dy: interior padding of stride - 1 puts each dy
//    element where its window starts, and low padding of d (K - 1) lets
//    the flipped window index `i + d (K - 1) - k d` stay in bounds.
//  - 16-bit convolutions multiply in f32 and round once at the end, as
//    matmul does.
//
//===----------------------------------------------------------------------===//
#include "LinalgBuilders.h"

#include "nabla/ir/NablaOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

using namespace mlir;

namespace nabla {
namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

bool isNarrow(Type et) { return et.isF16() || et.isBF16(); }

/// The type a sum of products of `et` accumulates in.
Type accumulatorType(OpBuilder &b, Type et) {
  return isNarrow(et) ? b.getF32Type() : et;
}

Value extendTo(OpBuilder &b, Location loc, Value v, Type type) {
  if (v.getType() == type)
    return v;
  return arith::ExtFOp::create(b, loc, type, v);
}

/// `v` with dim `dim` (of size G * rest) split into [G, rest].
Value splitGroups(OpBuilder &b, Location loc, Value v, int64_t dim,
                  int64_t groups) {
  auto type = typeOf(v);
  SmallVector<int64_t> shape(type.getShape());
  shape[dim] /= groups;
  shape.insert(shape.begin() + dim, groups);
  SmallVector<ReassociationIndices> reassociation;
  for (int64_t i = 0, j = 0; i < type.getRank(); ++i) {
    if (i == dim) {
      reassociation.push_back({j, j + 1});
      j += 2;
    } else {
      reassociation.push_back({j++});
    }
  }
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), v,
      reassociation);
}

/// Undoes splitGroups: dims `dim` and `dim + 1` become one.
Value mergeGroups(OpBuilder &b, Location loc, Value v, int64_t dim) {
  int64_t rank = typeOf(v).getRank();
  SmallVector<ReassociationIndices> reassociation;
  for (int64_t i = 0; i < rank; ++i) {
    if (i == dim) {
      reassociation.push_back({i, i + 1});
      ++i;
    } else {
      reassociation.push_back({i});
    }
  }
  return tensor::CollapseShapeOp::create(b, loc, v, reassociation);
}

/// `v` padded along its spatial dims (2..) for a gather of what a window
/// op with `kernel`, `strides`, `dilations` scattered: result[i] reads
/// padded[i + d (K - 1) - k d]. `inputSizes` are the spatial sizes of the
/// window op's input (the gather's result).
Value padForGather(OpBuilder &b, Location loc, Value v,
                   ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                   ArrayRef<int64_t> dilations, ArrayRef<int64_t> inputSizes,
                   double value) {
  auto type = typeOf(v);
  int64_t spatial = kernel.size();
  SmallVector<int64_t> low(2, 0), high(2, 0), interior(2, 0);
  SmallVector<int64_t> shape(type.getShape().take_front(2));
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t out = type.getDimSize(2 + i);
    low.push_back(dilations[i] * (kernel[i] - 1));
    interior.push_back(strides[i] - 1);
    high.push_back(inputSizes[i] - (out - 1) * strides[i] - 1);
    shape.push_back(low.back() + high.back() + out +
                    (out - 1) * interior.back());
  }
  return PadOp::create(b, loc,
                       RankedTensorType::get(shape, type.getElementType()), v,
                       low, high, interior, llvm::APFloat(value));
}

/// Affine exprs for the window position of each spatial dim: `p s + k d`
/// (gather = false) or the flipped `p + d (K - 1) - k d` (gather = true),
/// with p the loop dims from `firstOut` and k those from `firstKernel`.
SmallVector<AffineExpr> windowExprs(MLIRContext *ctx, unsigned firstOut,
                                    unsigned firstKernel,
                                    ArrayRef<int64_t> kernel,
                                    ArrayRef<int64_t> strides,
                                    ArrayRef<int64_t> dilations, bool gather) {
  SmallVector<AffineExpr> exprs;
  for (size_t i = 0; i < kernel.size(); ++i) {
    AffineExpr p = getAffineDimExpr(firstOut + i, ctx);
    AffineExpr k = getAffineDimExpr(firstKernel + i, ctx);
    if (gather)
      exprs.push_back(p + dilations[i] * (kernel[i] - 1) - k * dilations[i]);
    else
      exprs.push_back(p * strides[i] + k * dilations[i]);
  }
  return exprs;
}

/// Loop dims [first, first + n) as exprs.
SmallVector<AffineExpr> dims(MLIRContext *ctx, unsigned first, unsigned n) {
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i < n; ++i)
    exprs.push_back(getAffineDimExpr(first + i, ctx));
  return exprs;
}

SmallVector<AffineExpr> concat(ArrayRef<AffineExpr> a, ArrayRef<AffineExpr> b) {
  SmallVector<AffineExpr> all(a);
  all.append(b.begin(), b.end());
  return all;
}

/// A sum-of-products generic over `numDims` loops (`numParallel` parallel
/// ones first) reading `lhs` and `rhs` through `lhsMap`, `rhsMap` and
/// accumulating into a zero tensor of `shape` through `outMap`. Returns the
/// result in the operands' element type.
Value buildContraction(OpBuilder &b, Location loc, Value lhs, Value rhs,
                       ArrayRef<AffineExpr> lhsMap, ArrayRef<AffineExpr> rhsMap,
                       ArrayRef<AffineExpr> outMap, ArrayRef<int64_t> shape,
                       unsigned numDims, unsigned numParallel) {
  MLIRContext *ctx = b.getContext();
  Type et = typeOf(lhs).getElementType();
  Type acc = accumulatorType(b, et);
  auto accType = RankedTensorType::get(shape, acc);
  Value init = buildFilled(b, loc, accType, constantScalar(b, loc, acc, 0.0));
  SmallVector<AffineMap> maps = {AffineMap::get(numDims, 0, lhsMap, ctx),
                                 AffineMap::get(numDims, 0, rhsMap, ctx),
                                 AffineMap::get(numDims, 0, outMap, ctx)};
  SmallVector<utils::IteratorType> iterators(numDims,
                                             utils::IteratorType::reduction);
  std::fill_n(iterators.begin(), numParallel, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{accType}, ValueRange{lhs, rhs}, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location l, ValueRange args) {
        Value product =
            arith::MulFOp::create(nb, l, extendTo(nb, l, args[0], acc),
                                  extendTo(nb, l, args[1], acc));
        linalg::YieldOp::create(
            nb, l, arith::AddFOp::create(nb, l, args[2], product).getResult());
      });
  Value result = generic.getResult(0);
  if (acc == et)
    return result;
  return CastOp::create(b, loc, RankedTensorType::get(shape, et), result);
}

SmallVector<int64_t> spatialSizes(Value v) {
  return SmallVector<int64_t>(typeOf(v).getShape().drop_front(2));
}

//===----------------------------------------------------------------------===//
// pad and slice
//===----------------------------------------------------------------------===//

/// Each result element reads its source element (tensor.extract at a
/// clamped index) or takes the pad value: one generic over the result,
/// which both targets run as they run any elementwise loop.
struct PadLowering : OpRewritePattern<PadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PadOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    ArrayRef<int64_t> in = typeOf(op.getOperand()).getShape();
    int64_t rank = type.getRank();
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType());
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(rank, rewriter.getContext())};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{}, ValueRange{init}, maps,
        iterators, [&](OpBuilder &b, Location l, ValueRange) {
          auto index = [&](int64_t v) -> Value {
            return arith::ConstantIndexOp::create(b, l, v);
          };
          Value valid;
          SmallVector<Value> source;
          for (int64_t i = 0; i < rank; ++i) {
            Value j = linalg::IndexOp::create(b, l, i);
            int64_t low = op.getLow()[i], step = op.getInterior()[i] + 1;
            if (low == 0 && op.getHigh()[i] == 0 && step == 1) {
              source.push_back(j);
              continue;
            }
            Value t = arith::SubIOp::create(b, l, j, index(low));
            Value q =
                step == 1 ? t : arith::DivSIOp::create(b, l, t, index(step));
            SmallVector<Value> checks = {
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, t,
                                      index(0)),
                arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, q,
                                      index(in[i]))};
            if (step > 1)
              checks.push_back(arith::CmpIOp::create(
                  b, l, arith::CmpIPredicate::eq,
                  arith::RemSIOp::create(b, l, t, index(step)), index(0)));
            for (Value c : checks)
              valid =
                  valid ? arith::AndIOp::create(b, l, valid, c).getResult() : c;
            Value clamped = arith::MaxSIOp::create(b, l, q, index(0));
            source.push_back(
                arith::MinSIOp::create(b, l, clamped, index(in[i] - 1)));
          }
          Value element =
              tensor::ExtractOp::create(b, l, op.getOperand(), source);
          if (valid) {
            Value fill = constantScalar(b, l, type.getElementType(),
                                        op.getValue().convertToDouble());
            element = arith::SelectOp::create(b, l, valid, element, fill);
          }
          linalg::YieldOp::create(b, l, element);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// Result element [i...] reads operand element [offsets + i * strides]:
/// a tensor.extract in a generic over the result. (An affine map cannot say
/// it: where offset 0 and stride 1 make the map a plain dim, linalg would
/// take that loop's bound from the larger operand.)
struct SliceLowering : OpRewritePattern<SliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SliceOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    int64_t rank = type.getRank();
    Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                         type.getElementType());
    SmallVector<AffineMap> maps = {
        AffineMap::getMultiDimIdentityMap(rank, rewriter.getContext())};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{}, ValueRange{init}, maps,
        iterators, [&](OpBuilder &b, Location l, ValueRange) {
          SmallVector<Value> source;
          for (int64_t i = 0; i < rank; ++i) {
            Value j = linalg::IndexOp::create(b, l, i);
            int64_t stride = op.getStrides()[i], offset = op.getOffsets()[i];
            if (stride != 1)
              j = arith::MulIOp::create(
                  b, l, j, arith::ConstantIndexOp::create(b, l, stride));
            if (offset != 0)
              j = arith::AddIOp::create(
                  b, l, j, arith::ConstantIndexOp::create(b, l, offset));
            source.push_back(j);
          }
          linalg::YieldOp::create(
              b, l,
              tensor::ExtractOp::create(b, l, op.getOperand(), source)
                  .getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Convolutions
//===----------------------------------------------------------------------===//

/// y[n, g, o, p] += x[n, g, c, p s + k d] * w[g, o, c, k]
/// loops: n g o p... (parallel), c k... (reduction).
struct ConvLowering : OpRewritePattern<ConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t groups = op.getGroups();
    auto yType = op.getType();
    unsigned s = yType.getRank() - 2;
    SmallVector<int64_t> kernel(typeOf(op.getRhs()).getShape().drop_front(2));
    Value x = splitGroups(rewriter, loc, op.getLhs(), 1, groups);
    Value w = splitGroups(rewriter, loc, op.getRhs(), 0, groups);
    // Loop dims: n=0 g=1 o=2 p=3.., c=3+s, k=4+s..
    unsigned c = 3 + s, k = 4 + s;
    auto xMap = concat(
        dims(ctx, 0, 2),
        concat(dims(ctx, c, 1), windowExprs(ctx, 3, k, kernel, op.getStrides(),
                                            op.getDilations(), false)));
    auto wMap =
        concat(dims(ctx, 1, 2), concat(dims(ctx, c, 1), dims(ctx, k, s)));
    auto yMap = dims(ctx, 0, 3 + s);
    SmallVector<int64_t> shape = {yType.getDimSize(0), groups,
                                  yType.getDimSize(1) / groups};
    llvm::append_range(shape, spatialSizes(op.getResult()));
    Value y = buildContraction(rewriter, loc, x, w, xMap, wMap, yMap, shape,
                               4 + 2 * s, 3 + s);
    rewriter.replaceOp(op, mergeGroups(rewriter, loc, y, 1));
    return success();
  }
};

/// r[n, g, c, i] += P[n, g, o, i + d (K - 1) - k d] * w[g, o, c, k], with
/// P = dy padded for the gather; loops n g c i... (parallel), o k...
struct ConvTransposeLowering : OpRewritePattern<ConvTransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvTransposeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t groups = op.getGroups();
    auto rType = op.getType();
    unsigned s = rType.getRank() - 2;
    SmallVector<int64_t> kernel(typeOf(op.getRhs()).getShape().drop_front(2));
    Value padded =
        padForGather(rewriter, loc, op.getLhs(), kernel, op.getStrides(),
                     op.getDilations(), spatialSizes(op.getResult()), 0.0);
    Value p = splitGroups(rewriter, loc, padded, 1, groups);
    Value w = splitGroups(rewriter, loc, op.getRhs(), 0, groups);
    // Loop dims: n=0 g=1 c=2 i=3.., o=3+s, k=4+s..
    unsigned o = 3 + s, k = 4 + s;
    auto pMap = concat(
        dims(ctx, 0, 2),
        concat(dims(ctx, o, 1), windowExprs(ctx, 3, k, kernel, op.getStrides(),
                                            op.getDilations(), true)));
    auto wMap = concat(
        dims(ctx, 1, 1),
        concat(dims(ctx, o, 1), concat(dims(ctx, 2, 1), dims(ctx, k, s))));
    auto rMap = dims(ctx, 0, 3 + s);
    SmallVector<int64_t> shape = {rType.getDimSize(0), groups,
                                  rType.getDimSize(1) / groups};
    llvm::append_range(shape, spatialSizes(op.getResult()));
    Value r = buildContraction(rewriter, loc, p, w, pMap, wMap, rMap, shape,
                               4 + 2 * s, 3 + s);
    rewriter.replaceOp(op, mergeGroups(rewriter, loc, r, 1));
    return success();
  }
};

/// r[g, o, c, k] += x[n, g, c, p s + k d] * dy[n, g, o, p]
/// loops: g o c k... (parallel), n p... (reduction).
struct ConvWeightGradLowering : OpRewritePattern<ConvWeightGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvWeightGradOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    int64_t groups = op.getGroups();
    auto rType = op.getType();
    unsigned s = rType.getRank() - 2;
    SmallVector<int64_t> kernel(rType.getShape().drop_front(2));
    Value x = splitGroups(rewriter, loc, op.getLhs(), 1, groups);
    Value dy = splitGroups(rewriter, loc, op.getRhs(), 1, groups);
    // Loop dims: g=0 o=1 c=2 k=3.., n=3+s, p=4+s..
    unsigned n = 3 + s, p = 4 + s;
    auto xMap = concat(
        concat(dims(ctx, n, 1), dims(ctx, 0, 1)),
        concat(dims(ctx, 2, 1), windowExprs(ctx, p, 3, kernel, op.getStrides(),
                                            op.getDilations(), false)));
    auto dyMap =
        concat(concat(dims(ctx, n, 1), dims(ctx, 0, 2)), dims(ctx, p, s));
    auto rMap = dims(ctx, 0, 3 + s);
    SmallVector<int64_t> shape = {groups, rType.getDimSize(0) / groups,
                                  rType.getDimSize(1)};
    llvm::append_range(shape, kernel);
    Value r = buildContraction(rewriter, loc, x, dy, xMap, dyMap, rMap, shape,
                               4 + 2 * s, 3 + s);
    rewriter.replaceOp(op, mergeGroups(rewriter, loc, r, 0));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Max pooling
//===----------------------------------------------------------------------===//

/// The position of the current window element, row-major over the kernel,
/// from the loop dims [first, first + kernel.size()).
Value windowPosition(OpBuilder &b, Location l, unsigned first,
                     ArrayRef<int64_t> kernel) {
  Value position;
  for (size_t i = 0; i < kernel.size(); ++i) {
    Value k = linalg::IndexOp::create(b, l, first + i);
    if (!position) {
      position = k;
      continue;
    }
    Value scaled = arith::MulIOp::create(
        b, l, position, arith::ConstantIndexOp::create(b, l, kernel[i]));
    position = arith::AddIOp::create(b, l, scaled, k);
  }
  return arith::IndexCastOp::create(b, l, b.getI32Type(), position);
}

/// linalg's loop bounds come from operand shapes: an empty tensor of the
/// kernel's shape gives the window loops theirs (as upstream's pooling ops).
Value windowShape(OpBuilder &b, Location loc, ArrayRef<int64_t> kernel,
                  Type et) {
  return tensor::EmptyOp::create(b, loc, kernel, et);
}

/// y[n, c, p] = max over k of x[n, c, p s + k d] (NaN wins).
struct MaxPoolLowering : OpRewritePattern<MaxPoolOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MaxPoolOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = op.getType();
    Type et = type.getElementType();
    unsigned s = type.getRank() - 2;
    ArrayRef<int64_t> kernel = op.getKernel();
    Value lowest = constantScalar(rewriter, loc, et,
                                  -std::numeric_limits<double>::infinity());
    Value init = buildFilled(rewriter, loc, type, lowest);
    unsigned k = 2 + s;
    SmallVector<AffineMap> maps = {
        AffineMap::get(k + s, 0,
                       concat(dims(ctx, 0, 2),
                              windowExprs(ctx, 2, k, kernel, op.getStrides(),
                                          op.getDilations(), false)),
                       ctx),
        AffineMap::get(k + s, 0, dims(ctx, k, s), ctx),
        AffineMap::get(k + s, 0, dims(ctx, 0, k), ctx)};
    SmallVector<utils::IteratorType> iterators(k,
                                               utils::IteratorType::parallel);
    iterators.append(s, utils::IteratorType::reduction);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type},
        ValueRange{op.getOperand(), windowShape(rewriter, loc, kernel, et)},
        ValueRange{init}, maps, iterators,
        [](OpBuilder &b, Location l, ValueRange args) {
          linalg::YieldOp::create(
              b, l,
              arith::MaximumFOp::create(b, l, args[0], args[2]).getResult());
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// Two generics: the first maximum's position in each window (an i32 per
/// output element, -1 before the first), then, for each input element,
/// the sum of dy over the windows whose first maximum it is (a gather from
/// padded dy and positions, as conv_transpose).
struct MaxPoolGradLowering : OpRewritePattern<MaxPoolGradOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MaxPoolGradOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value positions = firstMaxima(rewriter, op);
    ArrayRef<int64_t> kernel = op.getKernel();
    SmallVector<int64_t> in = spatialSizes(op.getX());
    Value dy = padForGather(rewriter, loc, op.getDy(), kernel, op.getStrides(),
                            op.getDilations(), in, 0.0);
    Value at = padForGather(rewriter, loc, positions, kernel, op.getStrides(),
                            op.getDilations(), in, -1.0);
    rewriter.replaceOp(op, gather(rewriter, op, dy, at));
    return success();
  }

private:
  static Value firstMaxima(PatternRewriter &rewriter, MaxPoolGradOp op) {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto dyType = typeOf(op.getDy());
    Type et = dyType.getElementType();
    unsigned s = dyType.getRank() - 2, k = 2 + s;
    ArrayRef<int64_t> kernel = op.getKernel();
    auto maxType = dyType;
    auto posType = dyType.clone(rewriter.getI32Type());
    Value max = buildFilled(rewriter, loc, maxType,
                            constantScalar(rewriter, loc, et, 0.0));
    Value pos =
        buildFilled(rewriter, loc, posType,
                    constantScalar(rewriter, loc, rewriter.getI32Type(), -1));
    AffineMap out = AffineMap::get(k + s, 0, dims(ctx, 0, k), ctx);
    SmallVector<AffineMap> maps = {
        AffineMap::get(k + s, 0,
                       concat(dims(ctx, 0, 2),
                              windowExprs(ctx, 2, k, kernel, op.getStrides(),
                                          op.getDilations(), false)),
                       ctx),
        AffineMap::get(k + s, 0, dims(ctx, k, s), ctx), out, out};
    SmallVector<utils::IteratorType> iterators(k,
                                               utils::IteratorType::parallel);
    iterators.append(s, utils::IteratorType::reduction);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{maxType, posType},
        ValueRange{op.getX(), windowShape(rewriter, loc, kernel, et)},
        ValueRange{max, pos}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value x = args[0], best = args[2], bestPos = args[3];
          Value none = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::slt, bestPos,
              arith::ConstantIntOp::create(b, l, b.getI32Type(), 0));
          Value greater =
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, best);
          // A NaN beats a number, and the first NaN stays.
          Value nan = arith::AndIOp::create(
              b, l,
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, x, x),
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::ORD, best,
                                    best));
          Value take = arith::OrIOp::create(
              b, l, none, arith::OrIOp::create(b, l, greater, nan));
          linalg::YieldOp::create(
              b, l,
              ValueRange{
                  arith::SelectOp::create(b, l, take, x, best),
                  arith::SelectOp::create(
                      b, l, take, windowPosition(b, l, k, kernel), bestPos)});
        });
    return generic.getResult(1);
  }

  /// dx[n, c, i] = sum over k of (at[n, c, j] == k ? dy[n, c, j] : 0),
  /// j = i + d (K - 1) - k d, over the padded dy and positions.
  static Value gather(PatternRewriter &rewriter, MaxPoolGradOp op, Value dy,
                      Value at) {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = op.getType();
    Type et = type.getElementType();
    Type acc = accumulatorType(rewriter, et);
    unsigned s = type.getRank() - 2, k = 2 + s;
    ArrayRef<int64_t> kernel = op.getKernel();
    auto accType = type.clone(acc);
    Value init = buildFilled(rewriter, loc, accType,
                             constantScalar(rewriter, loc, acc, 0.0));
    AffineMap read = AffineMap::get(
        k + s, 0,
        concat(dims(ctx, 0, 2), windowExprs(ctx, 2, k, kernel, op.getStrides(),
                                            op.getDilations(), true)),
        ctx);
    SmallVector<AffineMap> maps = {
        read, read, AffineMap::get(k + s, 0, dims(ctx, k, s), ctx),
        AffineMap::get(k + s, 0, dims(ctx, 0, k), ctx)};
    SmallVector<utils::IteratorType> iterators(k,
                                               utils::IteratorType::parallel);
    iterators.append(s, utils::IteratorType::reduction);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{accType},
        ValueRange{dy, at, windowShape(rewriter, loc, kernel, et)},
        ValueRange{init}, maps, iterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value hit =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, args[1],
                                    windowPosition(b, l, k, kernel));
          Value zero = constantScalar(b, l, acc, 0.0);
          Value add = arith::SelectOp::create(
              b, l, hit, extendTo(b, l, args[0], acc), zero);
          linalg::YieldOp::create(
              b, l, arith::AddFOp::create(b, l, args[3], add).getResult());
        });
    Value result = generic.getResult(0);
    if (acc == et)
      return result;
    return CastOp::create(rewriter, loc, type, result);
  }
};

} // namespace

void populateWindowLowerings(RewritePatternSet &patterns) {
  patterns.add<PadLowering, SliceLowering, ConvLowering, ConvTransposeLowering,
               ConvWeightGradLowering, MaxPoolLowering, MaxPoolGradLowering>(
      patterns.getContext());
}

} // namespace nabla
