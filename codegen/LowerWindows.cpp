//===- LowerWindows.cpp - pad, slice, convolution and pooling to linalg ---===//
//
// Two forms. The portable one, which both targets run (the GPU pipeline
// makes each generic one kernel): linalg.generic ops with affine indexing
// maps.
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
// The CPU's (`forCpu`), built for its kernels: an ungrouped convolution
// and its weight gradient are im2col and one linalg.matmul (the register-
// blocked kernels of nabla-cpu-matmul-kernels), the input gradient a
// matmul and col2im; scatters (col2im, max_pool_grad) add one slab per
// kernel position into strided in-place views of the result; windows are
// read as strided views; pads are a fill and an insert_slice.
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

/// `v` padded along its last kernel.size() (spatial) dims for a gather of what
/// a window op with `kernel`, `strides`, `dilations` scattered: result[i] reads
/// padded[i + d (K - 1) - k d]. `inputSizes` are the spatial sizes of the
/// window op's input (the gather's result).
Value padForGather(OpBuilder &b, Location loc, Value v,
                   ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                   ArrayRef<int64_t> dilations, ArrayRef<int64_t> inputSizes,
                   double value) {
  auto type = typeOf(v);
  int64_t spatial = kernel.size(), first = type.getRank() - spatial;
  SmallVector<int64_t> low(first, 0), high(first, 0), interior(first, 0);
  SmallVector<int64_t> shape(type.getShape().take_front(first));
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t out = type.getDimSize(first + i);
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

/// A generic over `type` with no inputs whose body computes each element
/// from its indices (linalg.index): loops a kernel on either target runs.
Value buildIndexed(OpBuilder &b, Location loc, RankedTensorType type,
                   function_ref<Value(OpBuilder &, Location)> element) {
  int64_t rank = type.getRank();
  Value init =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  SmallVector<AffineMap> maps = {
      AffineMap::getMultiDimIdentityMap(rank, b.getContext())};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(b, loc, TypeRange{type}, ValueRange{},
                                   ValueRange{init}, maps, iterators,
                                   [&](OpBuilder &nb, Location l, ValueRange) {
                                     linalg::YieldOp::create(nb, l,
                                                             element(nb, l));
                                   })
      .getResult(0);
}

/// The pad value everywhere, then the operand inserted at `low` with a
/// stride of interior + 1: on the CPU, a fill and a strided copy.
Value padAsCopy(OpBuilder &b, PadOp op) {
  Location loc = op.getLoc();
  auto type = op.getType();
  Value filled = buildFilled(b, loc, type,
                             constantScalar(b, loc, type.getElementType(),
                                            op.getValue().convertToDouble()));
  ArrayRef<int64_t> in = typeOf(op.getOperand()).getShape();
  SmallVector<OpFoldResult> offsets, sizes, strides;
  for (size_t i = 0; i < in.size(); ++i) {
    offsets.push_back(b.getIndexAttr(op.getLow()[i]));
    sizes.push_back(b.getIndexAttr(in[i]));
    strides.push_back(b.getIndexAttr(op.getInterior()[i] + 1));
  }
  return tensor::InsertSliceOp::create(b, loc, op.getOperand(), filled, offsets,
                                       sizes, strides);
}

/// Each result element reads its source element (tensor.extract at a
/// clamped index) or takes the pad value: one generic over the result,
/// which both targets run as they run any elementwise loop.
struct PadLowering : OpRewritePattern<PadOp> {
  PadLowering(MLIRContext *ctx, bool asCopy)
      : OpRewritePattern(ctx), asCopy(asCopy) {}
  bool asCopy;
  LogicalResult matchAndRewrite(PadOp op,
                                PatternRewriter &rewriter) const override {
    if (asCopy) {
      rewriter.replaceOp(op, padAsCopy(rewriter, op));
      return success();
    }
    auto type = op.getType();
    ArrayRef<int64_t> in = typeOf(op.getOperand()).getShape();
    int64_t rank = type.getRank();
    Value result = buildIndexed(
        rewriter, op.getLoc(), type, [&](OpBuilder &b, Location l) -> Value {
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
          return element;
        });
    rewriter.replaceOp(op, result);
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
    int64_t rank = op.getType().getRank();
    Value result = buildIndexed(
        rewriter, op.getLoc(), op.getType(), [&](OpBuilder &b, Location l) {
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
          return tensor::ExtractOp::create(b, l, op.getOperand(), source)
              .getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// On the CPU, each input copied into its box of one new buffer
/// (tensor.insert_slice: a strided copy once bufferized). Portable, one
/// generic over the result, each element read from the input whose range
/// along the axis holds it (indices clamped, so every read is in bounds).
struct ConcatLowering : OpRewritePattern<ConcatOp> {
  ConcatLowering(MLIRContext *ctx, bool asCopy)
      : OpRewritePattern(ctx), asCopy(asCopy) {}
  bool asCopy;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    auto type = op.getType();
    Location loc = op.getLoc();
    int64_t axis = op.getAxis(), rank = type.getRank();
    SmallVector<int64_t> starts;
    int64_t offset = 0;
    for (Value input : op.getInputs()) {
      starts.push_back(offset);
      offset += typeOf(input).getDimSize(axis);
    }
    if (asCopy) {
      Value result = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                             type.getElementType());
      for (auto [input, start] : llvm::zip(op.getInputs(), starts)) {
        SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0)),
            sizes, strides(rank, rewriter.getIndexAttr(1));
        offsets[axis] = rewriter.getIndexAttr(start);
        for (int64_t d : typeOf(input).getShape())
          sizes.push_back(rewriter.getIndexAttr(d));
        result = tensor::InsertSliceOp::create(rewriter, loc, input, result,
                                               offsets, sizes, strides);
      }
      rewriter.replaceOp(op, result);
      return success();
    }
    Value result = buildIndexed(
        rewriter, loc, type, [&](OpBuilder &b, Location l) -> Value {
          auto index = [&](int64_t v) -> Value {
            return arith::ConstantIndexOp::create(b, l, v);
          };
          SmallVector<Value> at;
          for (int64_t i = 0; i < rank; ++i)
            at.push_back(linalg::IndexOp::create(b, l, i));
          Value j = at[axis], element;
          // From the last input back: each earlier one takes over below
          // the next one's start.
          for (int64_t k = static_cast<int64_t>(starts.size()) - 1; k >= 0;
               --k) {
            Value input = op.getInputs()[k];
            int64_t size = typeOf(input).getDimSize(axis);
            SmallVector<Value> source(at);
            Value shifted = arith::SubIOp::create(b, l, j, index(starts[k]));
            source[axis] = arith::MinSIOp::create(
                b, l, arith::MaxSIOp::create(b, l, shifted, index(0)),
                index(size - 1));
            Value read = tensor::ExtractOp::create(b, l, input, source);
            if (!element) {
              element = read;
              continue;
            }
            Value below = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                                j, index(starts[k] + size));
            element = arith::SelectOp::create(b, l, below, read, element);
          }
          return element;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Convolutions as matmuls (the CPU's im2col path)
//===----------------------------------------------------------------------===//

/// The patches of x [N, C, in...] under each output position: element
/// [c, k, n, p] = x[n, c, p s + k d]. Kernel-first ([C, k..., N, out...]),
/// row (c, k) of its [C * k..., N * out...] view is what one weight column
/// multiplies; pixels-first ([N, out..., C, k...]), row (n, p) of its
/// [N * out..., C * k...] view is one output pixel's window. The CPU's
/// matmul kernels read the patches through this copy's map where it is a
/// matmul's A (nabla-cpu-matmul-kernels), so it is rarely built.
Value im2col(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> kernel,
             ArrayRef<int64_t> out, ArrayRef<int64_t> strides,
             ArrayRef<int64_t> dilations, bool pixelsFirst = false) {
  MLIRContext *ctx = b.getContext();
  auto xType = typeOf(x);
  unsigned s = kernel.size(), numDims = 2 + 2 * s;
  // Loop dims, kernel-first: c=0 k=1.. n=1+s p=2+s..; pixels-first:
  // n=0 p=1.. c=1+s k=2+s..
  unsigned c = pixelsFirst ? 1 + s : 0, k = c + 1;
  unsigned n = pixelsFirst ? 0 : 1 + s, p = n + 1;
  SmallVector<int64_t> windows = {xType.getDimSize(1)};
  llvm::append_range(windows, kernel);
  SmallVector<int64_t> pixels = {xType.getDimSize(0)};
  llvm::append_range(pixels, out);
  SmallVector<int64_t> shape = pixelsFirst ? pixels : windows;
  llvm::append_range(shape, pixelsFirst ? windows : pixels);
  auto type = RankedTensorType::get(shape, xType.getElementType());
  auto read = concat(concat(dims(ctx, n, 1), dims(ctx, c, 1)),
                     windowExprs(ctx, p, k, kernel, strides, dilations, false));
  SmallVector<AffineMap> maps = {
      AffineMap::get(numDims, 0, read, ctx),
      AffineMap::getMultiDimIdentityMap(numDims, ctx)};
  Value init = tensor::EmptyOp::create(b, loc, shape, xType.getElementType());
  SmallVector<utils::IteratorType> iterators(numDims,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{x}, ValueRange{init}, maps,
             iterators,
             [](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, args[0]);
             })
      .getResult(0);
}

/// `v` viewed as a matrix: dims [0, split) become the rows, the rest the
/// columns (a collapse of contiguous dims: no copy).
Value asMatrix(OpBuilder &b, Location loc, Value v, int64_t split) {
  int64_t rank = typeOf(v).getRank();
  SmallVector<ReassociationIndices> reassociation(2);
  for (int64_t i = 0; i < rank; ++i)
    reassociation[i < split ? 0 : 1].push_back(i);
  return tensor::CollapseShapeOp::create(b, loc, v, reassociation);
}

/// A matrix viewed with `shape`: its rows split into shape[0, split), its
/// columns into the rest.
Value fromMatrix(OpBuilder &b, Location loc, Value m, ArrayRef<int64_t> shape,
                 int64_t split) {
  SmallVector<ReassociationIndices> reassociation(2);
  for (int64_t i = 0; i < static_cast<int64_t>(shape.size()); ++i)
    reassociation[i < split ? 0 : 1].push_back(i);
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, typeOf(m).getElementType()), m,
      reassociation);
}

/// The dims of `v` permuted (result dim i is dim perm[i]), copied.
Value permute(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> perm) {
  auto type = typeOf(v);
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  Value init = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, v, init, perm).getResult()[0];
}

/// a [M, K] @ b [K, N] with f32 sums (16-bit inputs widen as they load):
/// the op the CPU's matmul kernels tile.
Value matmulF32(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  Type acc = accumulatorType(b, typeOf(lhs).getElementType());
  auto type = RankedTensorType::get(
      {typeOf(lhs).getDimSize(0), typeOf(rhs).getDimSize(1)}, acc);
  Value init = buildFilled(b, loc, type, constantScalar(b, loc, acc, 0.0));
  return linalg::MatmulOp::create(b, loc, TypeRange{type}, ValueRange{lhs, rhs},
                                  ValueRange{init})
      .getResult(0);
}

/// `v` (f32 sums) rounded back to `et` where that is 16 bits.
Value roundTo(OpBuilder &b, Location loc, Value v, Type et) {
  if (typeOf(v).getElementType() == et)
    return v;
  return CastOp::create(b, loc, typeOf(v).clone(et), v);
}

/// dy [N, O, out...] as the matrix [O, N * out...].
Value channelsFirst(OpBuilder &b, Location loc, Value dy) {
  int64_t rank = typeOf(dy).getRank();
  SmallVector<int64_t> perm = {1, 0};
  for (int64_t i = 2; i < rank; ++i)
    perm.push_back(i);
  return asMatrix(b, loc, permute(b, loc, dy, perm), 1);
}

/// y^T = patches [N out..., C k...] @ W^T [C k..., O], then [N, out..., O]
/// permuted to [N, O, out...]. Output pixels are the matmul's rows: its
/// kernels read each as a broadcast straight from x (an implicit GEMM), and
/// the weight, the small operand, is packed once.
Value convAsMatmul(OpBuilder &b, ConvOp op) {
  Location loc = op.getLoc();
  auto yType = op.getType();
  int64_t rank = yType.getRank();
  SmallVector<int64_t> kernel(typeOf(op.getRhs()).getShape().drop_front(2));
  SmallVector<int64_t> out = spatialSizes(op.getResult());
  Value patches = im2col(b, loc, op.getLhs(), kernel, out, op.getStrides(),
                         op.getDilations(), /*pixelsFirst=*/true);
  Value weights = permute(b, loc, asMatrix(b, loc, op.getRhs(), 1), {1, 0});
  Value product =
      matmulF32(b, loc, asMatrix(b, loc, patches, rank - 1), weights);
  SmallVector<int64_t> shape = {yType.getDimSize(0)};
  llvm::append_range(shape, out);
  shape.push_back(yType.getDimSize(1));
  SmallVector<int64_t> perm = {0, rank - 1};
  for (int64_t i = 1; i < rank - 1; ++i)
    perm.push_back(i);
  Value y = permute(b, loc, fromMatrix(b, loc, product, shape, rank - 1), perm);
  return roundTo(b, loc, y, yType.getElementType());
}

/// dW^T [C k..., O] = patches [C k..., N out...] @ dy^T [N out..., O],
/// then transposed to [O, C, k...] (the small side).
Value convWeightGradAsMatmul(OpBuilder &b, ConvWeightGradOp op) {
  Location loc = op.getLoc();
  auto wType = op.getType();
  int64_t rank = wType.getRank();
  SmallVector<int64_t> kernel(wType.getShape().drop_front(2));
  Value patches = im2col(b, loc, op.getLhs(), kernel, spatialSizes(op.getRhs()),
                         op.getStrides(), op.getDilations());
  // dy [N, O, out...] -> [N, out..., O] -> [N out..., O].
  SmallVector<int64_t> perm = {0};
  for (int64_t i = 2; i < rank; ++i)
    perm.push_back(i);
  perm.push_back(1);
  Value dy = asMatrix(b, loc, permute(b, loc, op.getRhs(), perm), rank - 1);
  Value product =
      matmulF32(b, loc, asMatrix(b, loc, patches, 1 + kernel.size()), dy);
  Value dw = permute(b, loc, product, {1, 0});
  return roundTo(b, loc, fromMatrix(b, loc, dw, wType.getShape(), 1),
                 wType.getElementType());
}

/// The multi-index of the `position`-th element of a kernel, row-major.
SmallVector<int64_t> kernelIndex(int64_t position, ArrayRef<int64_t> kernel) {
  SmallVector<int64_t> k(kernel.size());
  for (int64_t i = kernel.size() - 1; i >= 0; --i) {
    k[i] = position % kernel[i];
    position /= kernel[i];
  }
  return k;
}

/// The offsets, sizes and steps of the [N, C, out...] slice (`shape`) of
/// an [N, C, in...] tensor that kernel position `k` of every window
/// touches: offset k d, step s along each spatial dim.
struct WindowSlice {
  SmallVector<OpFoldResult> offsets, sizes, steps;
};
WindowSlice windowSlice(OpBuilder &b, ArrayRef<int64_t> shape,
                        ArrayRef<int64_t> k, ArrayRef<int64_t> strides,
                        ArrayRef<int64_t> dilations) {
  WindowSlice w;
  w.offsets.assign(2, b.getIndexAttr(0));
  w.steps.assign(2, b.getIndexAttr(1));
  for (int64_t d : shape)
    w.sizes.push_back(b.getIndexAttr(d));
  for (size_t i = 0; i < k.size(); ++i) {
    w.offsets.push_back(b.getIndexAttr(k[i] * dilations[i]));
    w.steps.push_back(b.getIndexAttr(strides[i]));
  }
  return w;
}

/// Adds, for every kernel position k, `contribution(k)` [N, C, out...]
/// into the strided window of `acc` [N, C, in...] that position covers
/// (element p at p s + k d): one elementwise loop nest per position over
/// an in-place view, so each scattered value is read and added once.
/// `contribution` builds the generic's body from the window's element and
/// its own operands' elements, given the position's row-major index; the
/// operands and their maps come from `slabInputs` for each position.
using SlabBody = function_ref<Value(OpBuilder &, Location, ValueRange args,
                                    int64_t position)>;
struct SlabInputs {
  SmallVector<Value> values;
  SmallVector<AffineMap> maps;
};
Value accumulateWindows(OpBuilder &b, Location loc, Value acc,
                        ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                        ArrayRef<int64_t> dilations,
                        function_ref<SlabInputs(ArrayRef<int64_t>)> slabInputs,
                        SlabBody body) {
  MLIRContext *ctx = b.getContext();
  auto accType = typeOf(acc);
  unsigned s = kernel.size(), rank = accType.getRank();
  int64_t positions = numElements(kernel);
  for (int64_t position = 0; position < positions; ++position) {
    SmallVector<int64_t> k = kernelIndex(position, kernel);
    auto [inputs, maps] = slabInputs(k);
    SmallVector<int64_t> slabShape(accType.getShape().take_front(2));
    llvm::append_range(
        slabShape,
        ArrayRef<int64_t>(typeOf(inputs[0]).getShape()).take_back(s));
    auto [offsets, sizes, steps] =
        windowSlice(b, slabShape, k, strides, dilations);
    Value slab = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get(slabShape, accType.getElementType()), acc,
        offsets, sizes, steps);
    maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    Value updated =
        linalg::GenericOp::create(
            b, loc, TypeRange{slab.getType()}, inputs, ValueRange{slab}, maps,
            iterators,
            [&](OpBuilder &nb, Location l, ValueRange args) {
              linalg::YieldOp::create(nb, l, body(nb, l, args, position));
            })
            .getResult(0);
    acc = tensor::InsertSliceOp::create(b, loc, updated, acc, offsets, sizes,
                                        steps);
  }
  return acc;
}

/// The patches' gradient dP [C k..., N out...] = W^T [C k..., O] @ dy
/// [O, N out...], then col2im: each kernel position's [C, N, out...]
/// slice of dP added into its window of dx.
Value convTransposeAsMatmul(OpBuilder &b, ConvTransposeOp op) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  auto xType = op.getType();
  Type et = xType.getElementType();
  unsigned s = xType.getRank() - 2;
  auto wType = typeOf(op.getRhs());
  SmallVector<int64_t> kernel(wType.getShape().drop_front(2));
  SmallVector<int64_t> out = spatialSizes(op.getLhs());
  Value wt = permute(b, loc, asMatrix(b, loc, op.getRhs(), 1), {1, 0});
  Value dp = matmulF32(b, loc, wt, channelsFirst(b, loc, op.getLhs()));
  SmallVector<int64_t> shape = {xType.getDimSize(1)};
  llvm::append_range(shape, kernel);
  shape.push_back(xType.getDimSize(0));
  llvm::append_range(shape, out);
  Value patches = fromMatrix(b, loc, dp, shape, 1 + s);
  Type acc = typeOf(dp).getElementType();
  Value dx =
      buildFilled(b, loc, xType.clone(acc), constantScalar(b, loc, acc, 0.0));
  // Slab loops n=0 c=1 p=2..; the position's [C, N, out...] slice of
  // patches (a view), read at [c, n, p]: a permutation, so the slab is one
  // vector load and store per tile (a map with the position as constants
  // was left to LLVM, which gathered and scattered 16 lanes at a time).
  auto slabInputs = [&](ArrayRef<int64_t> k) {
    auto patchesType = typeOf(patches);
    SmallVector<OpFoldResult> offsets(patchesType.getRank(), b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes,
        steps(patchesType.getRank(), b.getIndexAttr(1));
    for (int64_t d : patchesType.getShape())
      sizes.push_back(b.getIndexAttr(d));
    SmallVector<int64_t> sliceShape = {patchesType.getDimSize(0)};
    for (auto [i, v] : llvm::enumerate(k)) {
      offsets[1 + i] = b.getIndexAttr(v);
      sizes[1 + i] = b.getIndexAttr(1);
    }
    llvm::append_range(sliceShape, patchesType.getShape().drop_front(1 + s));
    Value slice = tensor::ExtractSliceOp::create(
        b, loc, patchesType.clone(sliceShape), patches, offsets, sizes, steps);
    SmallVector<AffineExpr> read = {getAffineDimExpr(1, ctx),
                                    getAffineDimExpr(0, ctx)};
    llvm::append_range(read, dims(ctx, 2, s));
    return SlabInputs{{slice}, {AffineMap::get(2 + s, 0, read, ctx)}};
  };
  dx = accumulateWindows(
      b, loc, dx, kernel, op.getStrides(), op.getDilations(), slabInputs,
      [](OpBuilder &nb, Location l, ValueRange args, int64_t) -> Value {
        return arith::AddFOp::create(nb, l, args[1], args[0]);
      });
  return roundTo(b, loc, dx, et);
}

//===----------------------------------------------------------------------===//
// Convolutions
//===----------------------------------------------------------------------===//

/// y[n, g, o, p] += x[n, g, c, p s + k d] * w[g, o, c, k]
/// loops: n g o p... (parallel), c k... (reduction).
Value convDirect(OpBuilder &b, ConvOp op) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  int64_t groups = op.getGroups();
  auto yType = op.getType();
  unsigned s = yType.getRank() - 2;
  SmallVector<int64_t> kernel(typeOf(op.getRhs()).getShape().drop_front(2));
  Value x = splitGroups(b, loc, op.getLhs(), 1, groups);
  Value w = splitGroups(b, loc, op.getRhs(), 0, groups);
  // Loop dims: n=0 g=1 o=2 p=3.., c=3+s, k=4+s..
  unsigned c = 3 + s, k = 4 + s;
  auto xMap = concat(
      dims(ctx, 0, 2),
      concat(dims(ctx, c, 1), windowExprs(ctx, 3, k, kernel, op.getStrides(),
                                          op.getDilations(), false)));
  auto wMap = concat(dims(ctx, 1, 2), concat(dims(ctx, c, 1), dims(ctx, k, s)));
  auto yMap = dims(ctx, 0, 3 + s);
  SmallVector<int64_t> shape = {yType.getDimSize(0), groups,
                                yType.getDimSize(1) / groups};
  llvm::append_range(shape, spatialSizes(op.getResult()));
  Value y =
      buildContraction(b, loc, x, w, xMap, wMap, yMap, shape, 4 + 2 * s, 3 + s);
  return mergeGroups(b, loc, y, 1);
}

/// r[n, g, c, i] += P[n, g, o, i + d (K - 1) - k d] * w[g, o, c, k], with
/// P = dy padded for the gather; loops n g c i... (parallel), o k...
Value convTransposeDirect(OpBuilder &b, ConvTransposeOp op) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  int64_t groups = op.getGroups();
  auto rType = op.getType();
  unsigned s = rType.getRank() - 2;
  SmallVector<int64_t> kernel(typeOf(op.getRhs()).getShape().drop_front(2));
  Value padded =
      padForGather(b, loc, op.getLhs(), kernel, op.getStrides(),
                   op.getDilations(), spatialSizes(op.getResult()), 0.0);
  Value p = splitGroups(b, loc, padded, 1, groups);
  Value w = splitGroups(b, loc, op.getRhs(), 0, groups);
  // Loop dims: n=0 g=1 c=2 i=3.., o=3+s, k=4+s..
  unsigned o = 3 + s, k = 4 + s;
  auto pMap = concat(
      dims(ctx, 0, 2),
      concat(dims(ctx, o, 1), windowExprs(ctx, 3, k, kernel, op.getStrides(),
                                          op.getDilations(), true)));
  auto wMap =
      concat(dims(ctx, 1, 1),
             concat(dims(ctx, o, 1), concat(dims(ctx, 2, 1), dims(ctx, k, s))));
  auto rMap = dims(ctx, 0, 3 + s);
  SmallVector<int64_t> shape = {rType.getDimSize(0), groups,
                                rType.getDimSize(1) / groups};
  llvm::append_range(shape, spatialSizes(op.getResult()));
  Value r =
      buildContraction(b, loc, p, w, pMap, wMap, rMap, shape, 4 + 2 * s, 3 + s);
  return mergeGroups(b, loc, r, 1);
}

/// r[g, o, c, k] += x[n, g, c, p s + k d] * dy[n, g, o, p]
/// loops: g o c k... (parallel), n p... (reduction).
Value convWeightGradDirect(OpBuilder &b, ConvWeightGradOp op) {
  Location loc = op.getLoc();
  MLIRContext *ctx = b.getContext();
  int64_t groups = op.getGroups();
  auto rType = op.getType();
  unsigned s = rType.getRank() - 2;
  SmallVector<int64_t> kernel(rType.getShape().drop_front(2));
  Value x = splitGroups(b, loc, op.getLhs(), 1, groups);
  Value dy = splitGroups(b, loc, op.getRhs(), 1, groups);
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
  Value r = buildContraction(b, loc, x, dy, xMap, dyMap, rMap, shape, 4 + 2 * s,
                             3 + s);
  return mergeGroups(b, loc, r, 0);
}

/// The convolutions' pattern: the im2col form where `asMatmul` (the CPU)
/// and the op has one group, else the direct generic.
template <typename OpTy, Value (*AsMatmul)(OpBuilder &, OpTy),
          Value (*Direct)(OpBuilder &, OpTy)>
struct ConvFamilyLowering : OpRewritePattern<OpTy> {
  ConvFamilyLowering(MLIRContext *ctx, bool asMatmul)
      : OpRewritePattern<OpTy>(ctx), asMatmul(asMatmul) {}
  bool asMatmul;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    bool matmul = asMatmul && op.getGroups() == 1;
    rewriter.replaceOp(op,
                       matmul ? AsMatmul(rewriter, op) : Direct(rewriter, op));
    return success();
  }
};
using ConvLowering = ConvFamilyLowering<ConvOp, convAsMatmul, convDirect>;
using ConvTransposeLowering =
    ConvFamilyLowering<ConvTransposeOp, convTransposeAsMatmul,
                       convTransposeDirect>;
using ConvWeightGradLowering =
    ConvFamilyLowering<ConvWeightGradOp, convWeightGradAsMatmul,
                       convWeightGradDirect>;

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

/// A parallel generic over [N, C, out...] whose body sees each output
/// element's window as separate values, in row-major kernel order, so it
/// is computed in registers with no reduction loop. An affine map cannot
/// read them: at offset 0 and stride 1 it is a plain dim, which linalg
/// requires to match the loop's (smaller) size. So on the CPU
/// (`views`) each kernel position is a strided extract_slice of x (a
/// subview after bufferization, no copy), read with the identity map; on
/// the GPU, whose host code takes no subviews, the body extracts the
/// elements at computed indices.
Value unrolledWindow(
    OpBuilder &b, Location loc, Value x, TypeRange results,
    ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
    ArrayRef<int64_t> dilations, bool views,
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange window)>
        body) {
  MLIRContext *ctx = b.getContext();
  auto outType = cast<RankedTensorType>(results[0]);
  unsigned s = kernel.size(), rank = outType.getRank();
  int64_t positions = numElements(kernel);
  auto viewType = outType.clone(getElementTypeOrSelf(x.getType()));
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (int64_t position = 0; views && position < positions; ++position) {
    SmallVector<int64_t> k = kernelIndex(position, kernel);
    auto [offsets, sizes, steps] =
        windowSlice(b, outType.getShape(), k, strides, dilations);
    inputs.push_back(tensor::ExtractSliceOp::create(b, loc, viewType, x,
                                                    offsets, sizes, steps));
    maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  }
  SmallVector<Value> inits;
  for (Type t : results) {
    auto type = cast<RankedTensorType>(t);
    inits.push_back(tensor::EmptyOp::create(b, loc, type.getShape(),
                                            type.getElementType()));
    maps.push_back(AffineMap::getMultiDimIdentityMap(rank, ctx));
  }
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, results, inputs, inits, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        if (views) {
          linalg::YieldOp::create(nb, l,
                                  body(nb, l, args.take_front(positions)));
          return;
        }
        SmallVector<Value> p;
        for (unsigned i = 0; i < rank; ++i)
          p.push_back(linalg::IndexOp::create(nb, l, i));
        SmallVector<Value> window;
        for (int64_t position = 0; position < positions; ++position) {
          SmallVector<int64_t> k = kernelIndex(position, kernel);
          SmallVector<Value> at(p.begin(), p.begin() + 2);
          for (unsigned i = 0; i < s; ++i) {
            Value scaled = arith::MulIOp::create(
                nb, l, p[2 + i],
                arith::ConstantIndexOp::create(nb, l, strides[i]));
            at.push_back(arith::AddIOp::create(
                nb, l, scaled,
                arith::ConstantIndexOp::create(nb, l, k[i] * dilations[i])));
          }
          window.push_back(tensor::ExtractOp::create(nb, l, x, at));
        }
        linalg::YieldOp::create(nb, l, body(nb, l, window));
      });
  return generic.getResult(results.size() - 1);
}

/// y[n, c, p] = max over k of x[n, c, p s + k d] (NaN wins).
struct MaxPoolLowering : OpRewritePattern<MaxPoolOp> {
  MaxPoolLowering(MLIRContext *ctx, bool views)
      : OpRewritePattern(ctx), views(views) {}
  bool views;
  LogicalResult matchAndRewrite(MaxPoolOp op,
                                PatternRewriter &rewriter) const override {
    Value y = unrolledWindow(
        rewriter, op.getLoc(), op.getOperand(), TypeRange{op.getType()},
        op.getKernel(), op.getStrides(), op.getDilations(), views,
        [](OpBuilder &b, Location l, ValueRange window) {
          Value best = window[0];
          for (Value x : window.drop_front())
            best = arith::MaximumFOp::create(b, l, best, x);
          return SmallVector<Value>{best};
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// Two generics: the first maximum's position in each window (an i32 per
/// output element, -1 before the first), then, for each input element,
/// the sum of dy over the windows whose first maximum it is (a gather from
/// padded dy and positions, as conv_transpose).
/// On the CPU (`bySlabs`), the second step instead adds each window
/// position's dy, where that position was the maximum, into its strided
/// window of dx: no padded copies.
struct MaxPoolGradLowering : OpRewritePattern<MaxPoolGradOp> {
  MaxPoolGradLowering(MLIRContext *ctx, bool bySlabs)
      : OpRewritePattern(ctx), bySlabs(bySlabs) {}
  bool bySlabs;
  LogicalResult matchAndRewrite(MaxPoolGradOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value positions = firstMaxima(rewriter, op, bySlabs);
    if (bySlabs) {
      rewriter.replaceOp(op, scatterBySlabs(rewriter, op, positions));
      return success();
    }
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
  /// Each window's first maximum (or first NaN), as its row-major
  /// position.
  static Value firstMaxima(PatternRewriter &rewriter, MaxPoolGradOp op,
                           bool views) {
    auto dyType = typeOf(op.getDy());
    Type i32 = rewriter.getI32Type();
    return unrolledWindow(
        rewriter, op.getLoc(), op.getX(), TypeRange{dyType, dyType.clone(i32)},
        op.getKernel(), op.getStrides(), op.getDilations(), views,
        [&](OpBuilder &b, Location l, ValueRange window) {
          Value best = window[0];
          Value bestPos = arith::ConstantIntOp::create(b, l, i32, 0);
          for (auto [j, x] : llvm::enumerate(window.drop_front())) {
            Value greater =
                arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, x, best);
            // A NaN beats a number, and the first NaN stays.
            Value nan = arith::AndIOp::create(
                b, l,
                arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNO, x, x),
                arith::CmpFOp::create(b, l, arith::CmpFPredicate::ORD, best,
                                      best));
            Value take = arith::OrIOp::create(b, l, greater, nan);
            best = arith::SelectOp::create(b, l, take, x, best);
            bestPos = arith::SelectOp::create(
                b, l, take, arith::ConstantIntOp::create(b, l, i32, j + 1),
                bestPos);
          }
          return SmallVector<Value>{best, bestPos};
        });
  }

  static Value scatterBySlabs(PatternRewriter &rewriter, MaxPoolGradOp op,
                              Value positions) {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = op.getType();
    Type et = type.getElementType(), acc = accumulatorType(rewriter, et);
    Value dx = buildFilled(rewriter, loc, type.clone(acc),
                           constantScalar(rewriter, loc, acc, 0.0));
    unsigned rank = type.getRank();
    auto slabInputs = [&](ArrayRef<int64_t>) {
      AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
      return SlabInputs{{op.getDy(), positions}, {id, id}};
    };
    dx = accumulateWindows(
        rewriter, loc, dx, op.getKernel(), op.getStrides(), op.getDilations(),
        slabInputs,
        [&](OpBuilder &b, Location l, ValueRange args,
            int64_t position) -> Value {
          Value hit = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::eq, args[1],
              arith::ConstantIntOp::create(b, l, b.getI32Type(), position));
          Value add =
              arith::SelectOp::create(b, l, hit, extendTo(b, l, args[0], acc),
                                      constantScalar(b, l, acc, 0.0));
          return arith::AddFOp::create(b, l, args[2], add);
        });
    return roundTo(rewriter, loc, dx, et);
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

void populateWindowLowerings(RewritePatternSet &patterns, bool forCpu) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<SliceLowering>(ctx);
  patterns.add<PadLowering, ConcatLowering, ConvLowering, ConvTransposeLowering,
               ConvWeightGradLowering, MaxPoolLowering, MaxPoolGradLowering>(
      ctx, forCpu);
}

} // namespace nabla
