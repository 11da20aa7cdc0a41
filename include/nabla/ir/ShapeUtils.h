//===- ShapeUtils.h - Broadcasting and reduction shape rules ---*- C++ -*-===//
//
// The shape rules shared by the dialect's verifiers and builders, the
// frontend's shape inference and the lowering. Pure functions on static
// shapes, so they are easy to unit-test.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_IR_SHAPEUTILS_H
#define NABLA_IR_SHAPEUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace nabla {

/// numpy broadcasting of two static shapes; nullopt when incompatible.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// True when `from` broadcasts to exactly `to`.
bool isBroadcastableTo(llvm::ArrayRef<int64_t> from, llvm::ArrayRef<int64_t> to);

/// The type of `lhs op rhs`: the broadcast shape with lhs's element type.
/// Falls back to lhs's type when the shapes do not broadcast (the verifier
/// then reports the error).
mlir::RankedTensorType getBroadcastType(mlir::Value lhs, mlir::Value rhs);

/// The shape after reducing `axes` (sorted, in range) of `shape`.
llvm::SmallVector<int64_t> reducedShape(llvm::ArrayRef<int64_t> shape,
                                        llvm::ArrayRef<int64_t> axes,
                                        bool keepdims);
mlir::RankedTensorType getReducedType(mlir::Type type,
                                      llvm::ArrayRef<int64_t> axes,
                                      bool keepdims);

/// The number of valid windows of size `kernel` (dilated by `dilation`,
/// `stride` apart) along a dim of size `size`: floor((size - dilation *
/// (kernel - 1) - 1) / stride) + 1, or 0 when not even one fits.
int64_t windowCount(int64_t size, int64_t kernel, int64_t stride,
                    int64_t dilation);

/// Number of elements of a static shape.
int64_t numElements(llvm::ArrayRef<int64_t> shape);

} // namespace nabla

#endif // NABLA_IR_SHAPEUTILS_H
