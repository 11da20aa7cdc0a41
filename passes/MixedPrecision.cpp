//===- MixedPrecision.cpp - f16/bf16 compute with f32 where it matters ----===//
//
// nabla-mixed-precision: the allow and deny lists and the cast placement
// rule are in Passes.td. The pass walks the function once, in program
// order; when it reaches an op, all of the op's operands already have
// their final types, so it only has to decide the op's own type.
//
//===----------------------------------------------------------------------===//
#include "nabla/ir/NablaOps.h"
#include "nabla/passes/Passes.h"

namespace nabla {
#define GEN_PASS_DEF_MIXEDPRECISION
#include "passes/Passes.h.inc"
} // namespace nabla

using namespace mlir;
using namespace nabla;

namespace {

enum class Precision { Low, Follow, Layout, F32, Keep };

/// The op's precision policy, from its traits (ir/NablaTraits.td).
Precision precisionOf(Operation *op) {
  switch (getPrecisionPolicy(op)) {
  case PrecisionPolicy::ComputeIn16Bits:
    return Precision::Low;
  case PrecisionPolicy::FollowOperands:
    return Precision::Follow;
  case PrecisionPolicy::MovesData:
    return Precision::Layout;
  case PrecisionPolicy::KeepF32:
    return Precision::F32;
  case PrecisionPolicy::Unchanged:
    break;
  }
  return Precision::Keep;
}

bool isF32Tensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isF32();
}

class Caster {
public:
  Caster(Type low) : low(low) {}

  /// `v` as a tensor of `element`, cast once, right after `v` is defined.
  Value castTo(Value v, Type element) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getElementType() == element)
      return v;
    // Undo our own widening rather than round-trip.
    if (auto widen = v.getDefiningOp<CastOp>(); widen && made.contains(widen))
      if (elementOf(widen.getOperand()) == element)
        return widen.getOperand();
    Value &slot = casts[{v, element}];
    if (slot)
      return slot;
    OpBuilder b(v.getContext());
    if (Operation *def = v.getDefiningOp())
      b.setInsertionPointAfter(def);
    else
      b.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
    auto c = CastOp::create(b, v.getLoc(), type.clone(element), v);
    made.insert(c);
    slot = c;
    return slot;
  }

  /// Rewrites `op` to compute in its list's precision.
  void convert(Operation *op) {
    if (made.contains(op))
      return;
    Precision p = precisionOf(op);
    bool allF32 = llvm::all_of(op->getResultTypes(), [](Type t) {
      return !isa<FloatType>(getElementTypeOrSelf(t)) || isF32Tensor(t);
    });
    // Elementwise ops compute in 16 bits when an operand was computed in
    // 16 bits (autocast's "widest input type" rule, with the 16-bit value
    // winning: it is what the op would otherwise round back up). Layout
    // ops compute nothing, so a 16-bit copy that exists already will do.
    if (p == Precision::Follow || p == Precision::Layout)
      p = llvm::any_of(op->getOperands(),
                       [&](Value v) {
                         return lowered.contains(v) ||
                                (p == Precision::Layout &&
                                 casts.contains({v, low}));
                       })
              ? Precision::Low
              : Precision::Keep;
    if (p == Precision::Low && allF32) {
      for (OpOperand &use : op->getOpOperands())
        if (isLowerable(use.get()))
          use.set(castTo(use.get(), low));
      for (Value r : op->getResults())
        if (isF32Tensor(r.getType())) {
          r.setType(cast<RankedTensorType>(r.getType()).clone(low));
          lowered.insert(r);
        }
      return;
    }
    // F32 ops and everything else read lowered values in their f32 type.
    for (OpOperand &use : op->getOpOperands())
      if (lowered.contains(use.get()))
        use.set(castTo(use.get(), Float32Type::get(op->getContext())));
  }

private:
  static Type elementOf(Value v) {
    return cast<RankedTensorType>(v.getType()).getElementType();
  }
  /// f32 values, and values we lowered (already `low`).
  bool isLowerable(Value v) {
    return isF32Tensor(v.getType()) || lowered.contains(v);
  }

  Type low;
  DenseMap<std::pair<Value, Type>, Value> casts;
  llvm::SmallPtrSet<Operation *, 32> made;
  llvm::DenseSet<Value> lowered;
};

struct MixedPrecisionPass
    : nabla::impl::MixedPrecisionBase<MixedPrecisionPass> {
  using MixedPrecisionBase::MixedPrecisionBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    MLIRContext *ctx = &getContext();
    if (dtype == nabla::Precision::F32)
      return;
    Type low = dtype == nabla::Precision::BF16 ? Type(BFloat16Type::get(ctx))
                                               : Type(Float16Type::get(ctx));
    Caster caster(low);
    // Casts are inserted after the op being converted, never before it, so
    // a snapshot of the ops is the program order of the originals.
    SmallVector<Operation *> ops;
    for (Operation &op : func.getBody().front())
      ops.push_back(&op);
    for (Operation *op : ops)
      caster.convert(op);
  }
};

} // namespace
