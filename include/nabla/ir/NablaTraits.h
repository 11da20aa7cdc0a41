//===- NablaTraits.h - Facts about nabla ops that passes read --*- C++ -*-===//
//
// The C++ side of ir/NablaTraits.td: marker traits (no verifier, no
// methods) and the queries passes make of them.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_IR_NABLATRAITS_H
#define NABLA_IR_NABLATRAITS_H

#include "mlir/IR/OpDefinition.h"

namespace nabla {
namespace OpTrait {

#define NABLA_MARKER_TRAIT(NAME)                                               \
  template <typename ConcreteType>                                             \
  class NAME : public mlir::OpTrait::TraitBase<ConcreteType, NAME> {};

// Loop structure.
NABLA_MARKER_TRAIT(Elementwise)
NABLA_MARKER_TRAIT(Reduction)
NABLA_MARKER_TRAIT(MatmulLike)
NABLA_MARKER_TRAIT(Composite)
// Precision policy.
NABLA_MARKER_TRAIT(ComputeIn16Bits)
NABLA_MARKER_TRAIT(FollowOperands)
NABLA_MARKER_TRAIT(MovesData)
NABLA_MARKER_TRAIT(KeepF32)

#undef NABLA_MARKER_TRAIT

} // namespace OpTrait

/// The loop nest an op lowers to, as nabla-fusion sees it.
enum class LoopKind { Elementwise, Reduction, MatmulLike, Other };

inline LoopKind getLoopKind(mlir::Operation *op) {
  if (op->hasTrait<OpTrait::Elementwise>())
    return LoopKind::Elementwise;
  if (op->hasTrait<OpTrait::Reduction>())
    return LoopKind::Reduction;
  if (op->hasTrait<OpTrait::MatmulLike>())
    return LoopKind::MatmulLike;
  return LoopKind::Other;
}

/// The precision an op computes in under nabla-mixed-precision.
enum class PrecisionPolicy {
  ComputeIn16Bits,
  FollowOperands,
  MovesData,
  KeepF32,
  Unchanged, // no policy: the op is left as it is
};

inline PrecisionPolicy getPrecisionPolicy(mlir::Operation *op) {
  if (op->hasTrait<OpTrait::ComputeIn16Bits>())
    return PrecisionPolicy::ComputeIn16Bits;
  if (op->hasTrait<OpTrait::FollowOperands>())
    return PrecisionPolicy::FollowOperands;
  if (op->hasTrait<OpTrait::MovesData>())
    return PrecisionPolicy::MovesData;
  if (op->hasTrait<OpTrait::KeepF32>())
    return PrecisionPolicy::KeepF32;
  return PrecisionPolicy::Unchanged;
}

} // namespace nabla

#endif // NABLA_IR_NABLATRAITS_H
