//===- LinalgBuilders.h - Shared pieces of the nabla -> linalg lowering -*- C++
//-*-===//
//
// Used by NablaToLinalg.cpp (elementwise ops, reductions, matmul) and
// LowerWindows.cpp (pad, slice, convolution, pooling), which together make
// the nabla-to-linalg pass.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_CODEGEN_LINALGBUILDERS_H
#define NABLA_CODEGEN_LINALGBUILDERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"

namespace nabla {

/// A scalar constant of `type` (float or integer).
mlir::Value constantScalar(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type type, double value);

/// A tensor of `type` filled with `value`.
mlir::Value buildFilled(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type, mlir::Value value);

/// The lowerings of pad, slice, the convolutions and max pooling; with
/// `forCpu`, ungrouped convolutions become im2col and linalg.matmul, and
/// pads fills and insert_slices.
void populateWindowLowerings(mlir::RewritePatternSet &patterns, bool forCpu);

/// A data-parallel step's nabla.all_reduce_start and _wait as calls of
/// the runtime (LowerAllReduce.cpp); declareAllReduceRuntime declares the
/// functions in `module` where it has any.
void populateAllReduceLowerings(mlir::RewritePatternSet &patterns);
void declareAllReduceRuntime(mlir::ModuleOp module);

} // namespace nabla

#endif // NABLA_CODEGEN_LINALGBUILDERS_H
