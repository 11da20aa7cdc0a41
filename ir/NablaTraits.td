//===- NablaTraits.td - Facts about nabla ops that passes read -*- tablegen -*-===//
//
// Each op states here, in its ODS line, what the passes need to know about
// it: the shape of the loop nest it lowers to (nabla-fusion) and the
// precision it computes in under mixed precision (nabla-mixed-precision).
// The passes query these traits (include/nabla/ir/NablaTraits.h) and list
// no ops of their own, so a new op brings its facts with it.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_TRAITS_TD
#define NABLA_TRAITS_TD

include "mlir/IR/OpBase.td"

class Nabla_Trait<string name> : NativeOpTrait<name> {
  let cppNamespace = "::nabla::OpTrait";
}

//===----------------------------------------------------------------------===//
// Loop structure (nabla-fusion)
//===----------------------------------------------------------------------===//

// Each result element depends only on the operand elements at the same
// index (after numpy broadcasting): one parallel loop nest over the result.
// Not MLIR's `Elementwise`, which forbids broadcasting.
def Nabla_Elementwise : Nabla_Trait<"Elementwise">;

// Reads whole axes of its first operand (sums, maxima, softmax, losses):
// its loop nest is its operand's, with reduction loops.
def Nabla_Reduction : Nabla_Trait<"Reduction">;

// A contraction (matmul): fusion gives its group at most one, and may
// attach an elementwise epilogue to it.
def Nabla_MatmulLike : Nabla_Trait<"MatmulLike">;

// Expands into several loops that belong together (softmax, mean, the
// losses): it is a fusion group of its own even when nothing joins it.
def Nabla_Composite : Nabla_Trait<"Composite">;

//===----------------------------------------------------------------------===//
// Precision policy (nabla-mixed-precision). At most one per op; an op with
// none is left as it is (its operands are widened back to f32 if needed).
//===----------------------------------------------------------------------===//

// Computes in the 16-bit type (accumulating in f32 where it sums): matmul.
def Nabla_ComputeIn16Bits : Nabla_Trait<"ComputeIn16Bits">;

// Computes in 16 bits when an operand was computed in 16 bits, else in f32
// (autocast's widest-input rule, the 16-bit value winning).
def Nabla_FollowOperands : Nabla_Trait<"FollowOperands">;

// Computes nothing (moves, copies or repeats elements): takes a 16-bit
// operand, or a 16-bit copy of one that exists already.
def Nabla_MovesData : Nabla_Trait<"MovesData">;

// Stays in f32 (exp, log, sqrt, pow, reductions, softmax, losses): 16 bits
// would lose range or accuracy that training needs.
def Nabla_KeepF32 : Nabla_Trait<"KeepF32">;

#endif // NABLA_TRAITS_TD
