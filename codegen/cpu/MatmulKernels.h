//===- MatmulKernels.h - Shared by the CPU matmul kernels -------*- C++ -*-===//
//
// nabla-cpu-matmul-kernels builds two kinds of kernel: the f32 FMA kernel
// (MatmulKernels.cpp: upstream's tiling and vectorization, widening 16-bit
// inputs) and the bf16 dot-product kernel (DotKernels.cpp: vdpbf16ps on
// k-pair panels, for CPUs with AVX512-BF16). What both need is here.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_CODEGEN_MATMULKERNELS_H
#define NABLA_CODEGEN_MATMULKERNELS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace nabla {

/// A register block of C: mr rows by nr columns.
struct MatmulBlock {
  int64_t mr, nr;
};

/// Of the mr x nr blocks dividing M x N, with nr one of `widths`, whose
/// accumulators (mr x nr / lanes vectors) fit in `registers` less those
/// the k step needs, the one that loads the fewest vectors per
/// multiply-add (mr broadcasts of A, nr / lanes vectors of B).
std::optional<MatmulBlock> bestBlock(int64_t m, int64_t n, int64_t lanes,
                                     int64_t registers,
                                     llvm::ArrayRef<int64_t> widths);

/// The source of a 2-D transpose (linalg.transpose, permutation [1, 0])
/// that defines `v`, or null.
mlir::Value transposeSource(mlir::Value v);

/// The linalg.fill of a constant that C starts as (the zeros a matmul sums
/// into), with the constant in `value`; null if C is anything else. The
/// kernels then start their sums at the constant and only write C.
mlir::linalg::FillOp constantFill(mlir::linalg::MatmulOp op,
                                  mlir::FloatAttr &value);

/// Sets the insertion point for a copy of `source` that `kernel` reads:
/// right before the loop nest holding `kernel` at the level where the
/// source is defined, so that the copy is still in the caches when read.
void setPackInsertionPoint(mlir::RewriterBase &rewriter, mlir::Value source,
                           mlir::Operation *kernel);

/// The f32 kernel's C block out of its k loop `loop` as loop-carried
/// vectors, as mlir::hoistLoopInvariantSubsets does, where C's one
/// iter_arg is read and written only by plain transfers at indices that
/// are the same values plus constants far enough apart to be disjoint
/// (HoistBlocks.cpp). Returns the new loop, or null (nothing changed)
/// where that cannot be shown.
mlir::LoopLikeOpInterface hoistDisjointBlocks(mlir::RewriterBase &rewriter,
                                              mlir::scf::ForOp loop);

/// Whether `op` can run on the bf16 dot-product kernel: bf16 A and B, f32
/// C, static shapes, an even K and N a multiple of 16.
bool fitsDotKernel(mlir::linalg::MatmulOp op);

/// Replaces `op` (fitsDotKernel) with loops over register blocks of C that
/// sum k pairs with x86vector.avx512.dot (vdpbf16ps), B copied first into
/// k-pair panels; `registers` is the target's count of vector registers.
/// Returns false, leaving `op` as it was, if no block fits.
bool buildDotKernel(mlir::RewriterBase &rewriter, mlir::linalg::MatmulOp op,
                    int64_t registers);

} // namespace nabla

#endif // NABLA_CODEGEN_MATMULKERNELS_H
