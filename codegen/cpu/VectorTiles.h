//===- VectorTiles.h - Shared by the CPU vectorizing passes -----*- C++ -*-===//
//
// nabla-cpu-vectorize-elementwise and nabla-cpu-vectorize-reductions tile
// linalg.generic ops so that the innermost tile is one or a few vectors,
// vectorize the tiles with upstream's linalg::vectorize, and tidy the
// transfers. What both need is here.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_CODEGEN_VECTORTILES_H
#define NABLA_CODEGEN_VECTORTILES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace nabla {

/// The widest vector of at most `lanes` floats (at least 4) whose length
/// divides `size`; 0 if none.
int64_t vectorWidth(int64_t size, int64_t lanes);

/// Whether `op` has loops and its operands are float tensors of static
/// shape (f32, f16 or bf16; results f32 if `f32Results`, else f32, f16,
/// bf16 or i32).
bool hasStaticFloatOperands(mlir::linalg::GenericOp op, bool f32Results);

/// Whether the operands of `op` are float tensors of static shape (f32,
/// f16 or bf16; results f32 if `f32Results`) and each input is read along
/// the innermost loop contiguously or not at all (a broadcast), through a
/// projected permutation: then a vector of the innermost loop is one vector
/// load per input.
bool readsContiguously(mlir::linalg::GenericOp op, bool f32Results);

/// Vectorizes `op` (a tile) with linalg::vectorize and replaces it; leaves
/// it as it is (still correct, scalar) if it cannot.
void vectorizeTile(mlir::RewriterBase &rewriter, mlir::Operation *op);

/// Folds slices into vector transfers (in place once bufferized), lowers
/// broadcast reads to a load and a broadcast, and drops unit dims.
mlir::LogicalResult tidyVectorTransfers(mlir::func::FuncOp func);

} // namespace nabla

#endif // NABLA_CODEGEN_VECTORTILES_H
