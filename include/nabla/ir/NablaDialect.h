//===- NablaDialect.h - The nabla dialect ----------------------*- C++ -*-===//
#ifndef NABLA_IR_NABLADIALECT_H
#define NABLA_IR_NABLADIALECT_H

#include "mlir/IR/Dialect.h"

#include "ir/NablaOpsDialect.h.inc"

namespace nabla {
/// Attribute names on model functions, their arguments and results.
namespace attrs {
inline constexpr const char kModel[] = "nabla.model";   // unit, on func.func
inline constexpr const char kInput[] = "nabla.input";   // string, on an arg
inline constexpr const char kParam[] = "nabla.param";   // string, on an arg
inline constexpr const char kInit[] = "nabla.init";     // dict, on an arg
inline constexpr const char kOutput[] = "nabla.output"; // string, on a result
/// Added by nabla-autodiff: on @M_grad, the name of M; on each gradient
/// result, the name of the argument it is the gradient for.
inline constexpr const char kGradientOf[] = "nabla.gradient_of";
inline constexpr const char kGrad[] = "nabla.grad";
/// Added by nabla-autodiff: on the constant 1 that seeds the loss's
/// adjoint (nabla-training-step replaces it with the loss scale).
inline constexpr const char kLossSeed[] = "nabla.loss_seed";
/// Added by nabla-training-step: optimizer state (args and results),
/// hyperparameters (args), updated parameters and statistics (results).
inline constexpr const char kState[] = "nabla.state";
inline constexpr const char kHyper[] = "nabla.hyper";
inline constexpr const char kUpdate[] = "nabla.update";
inline constexpr const char kStat[] = "nabla.stat";
/// Added by nabla-lower-fused: on each loop nest or linalg op of a fusion
/// group once inlined, the group's name.
inline constexpr const char kGroup[] = "nabla.group";
/// Added by nabla-lower-fused and nabla-cpu-matmul-kernels: on an scf.for
/// whose iterations write disjoint parts of their results, so that they
/// may run on several threads (nabla-cpu-parallel).
inline constexpr const char kParallel[] = "nabla.parallel";
/// Added by nabla-lower-fused: on the op that adds up the partial sums the
/// tiles of a group's loop over rows wrote, the tail of that group's
/// kernel (not counted as a kernel of its own).
inline constexpr const char kPartialSums[] = "nabla.partial_sums";
/// Added by nabla-cpu-vectorize-elementwise: on the loop over the vector
/// tiles of a result too large to stay in cache, whose stores of whole
/// cache lines may bypass it (nabla-cpu-nontemporal-stores).
inline constexpr const char kNontemporal[] = "nabla.nontemporal";
/// Added by nabla-cpu-plan-memory: on a function whose temporaries live in
/// one arena, the arena's size in bytes.
inline constexpr const char kArenaBytes[] = "nabla.arena_bytes";
/// Added by nabla-cpu-outline-kernels: on each function it outlines, until
/// nabla-cpu-kernel-arg-attrs (after the conversion to the LLVM dialect)
/// marks the kernel's pointer arguments and removes it.
inline constexpr const char kKernel[] = "nabla.kernel";
} // namespace attrs
} // namespace nabla

#endif // NABLA_IR_NABLADIALECT_H
