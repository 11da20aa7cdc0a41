//===- FoldConvScale.cpp - A per-channel scale moves into the weight ------===//
//
// nabla-fold-conv-scale: see Passes.td. One walk over the muls of the
// function; each match builds the scaled weight and a new convolution in
// front of the mul and replaces it.
//
//===----------------------------------------------------------------------===//
#include "nabla/ir/NablaOps.h"
#include "nabla/passes/Passes.h"

namespace nabla {
#define GEN_PASS_DEF_FOLDCONVSCALE
#include "passes/Passes.h.inc"
} // namespace nabla

using namespace mlir;
using namespace nabla;

namespace {

/// Whether `v` holds one value per channel (dim 1) of `like`: rank equal
/// to like's ([1, O, 1, 1]) or one less ([O, 1, 1]), every other dim 1.
bool isPerChannel(Value v, RankedTensorType like) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || type.getElementType() != like.getElementType())
    return false;
  int64_t rank = like.getRank(), offset = rank - type.getRank();
  if (offset < 0 || offset > 1)
    return false;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.getDimSize(d) != (d + offset == 1 ? like.getDimSize(1) : 1))
      return false;
  return true;
}

/// `v` (per channel of a result with `channels` channels) as [channels] and
/// then as `shape`.
Value reshapeTo(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getShape() == shape)
    return v;
  return ReshapeOp::create(b, loc, type.clone(shape), v);
}

/// Folds `mul` if it scales a convolution per channel; true if it did.
bool fold(MulOp mul) {
  auto type = cast<RankedTensorType>(mul.getType());
  if (type.getRank() < 3)
    return false;
  for (auto [product, scale] : {std::pair{mul.getLhs(), mul.getRhs()},
                                std::pair{mul.getRhs(), mul.getLhs()}}) {
    if (product.getType() != type || !isPerChannel(scale, type) ||
        !product.hasOneUse())
      continue;
    // conv, or conv + bias with a per-channel bias.
    AddOp add = product.getDefiningOp<AddOp>();
    Value bias;
    ConvOp conv = product.getDefiningOp<ConvOp>();
    if (add) {
      for (auto [c, b] : {std::pair{add.getLhs(), add.getRhs()},
                          std::pair{add.getRhs(), add.getLhs()}})
        if (c.getType() == type && c.hasOneUse() && c.getDefiningOp<ConvOp>() &&
            isPerChannel(b, type)) {
          conv = c.getDefiningOp<ConvOp>();
          bias = b;
          break;
        }
      if (!bias)
        continue;
    }
    if (!conv)
      continue;
    OpBuilder b(mul);
    Location loc = mul.getLoc();
    auto weightType = cast<RankedTensorType>(conv.getRhs().getType());
    SmallVector<int64_t> column(weightType.getRank(), 1);
    column[0] = weightType.getDimSize(0);
    Value weight =
        MulOp::create(b, loc, conv.getRhs(), reshapeTo(b, loc, scale, column));
    Value result = ConvOp::create(
        b, conv.getLoc(), type, conv.getLhs(), weight, conv.getStridesAttr(),
        conv.getDilationsAttr(), conv.getGroupsAttr());
    if (bias) {
      auto biasType = cast<RankedTensorType>(bias.getType());
      Value scaled = MulOp::create(
          b, loc, bias, reshapeTo(b, loc, scale, biasType.getShape()));
      result = AddOp::create(b, add.getLoc(), result, scaled);
    }
    mul.replaceAllUsesWith(result);
    mul.erase();
    if (add)
      add.erase();
    conv.erase();
    return true;
  }
  return false;
}

struct FoldConvScalePass : nabla::impl::FoldConvScaleBase<FoldConvScalePass> {
  void runOnOperation() override {
    SmallVector<MulOp> muls;
    getOperation().walk([&](MulOp mul) { muls.push_back(mul); });
    for (MulOp mul : muls)
      fold(mul);
  }
};

} // namespace
