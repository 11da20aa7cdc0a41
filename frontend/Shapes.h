//===- Shapes.h - Shape rules in the user's words ---------------*- C++ -*-===//
//
// Shape inference for the frontend: each function returns the result type
// of an operation or an error message written for the model's author
// (`f32[8, 10]`, not `tensor<8x10xf32>`).
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_FRONTEND_SHAPES_H
#define NABLA_FRONTEND_SHAPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <variant>

namespace nabla {

/// `f32[8, 10]`, `f32` for a scalar.
std::string formatType(mlir::Type type);
/// `f32`, `i32`, ...
std::string formatElementType(mlir::Type type);

/// A result type, or the message explaining why there is none.
using ShapeResult = std::variant<mlir::RankedTensorType, std::string>;

/// `lhs op rhs` with numpy broadcasting; `op` is the user's operator.
ShapeResult inferBroadcast(mlir::RankedTensorType lhs,
                           mlir::RankedTensorType rhs, llvm::StringRef op);
/// `lhs @ rhs`: 2-D by 2-D, or batched 3-D by 3-D.
ShapeResult inferMatmul(mlir::RankedTensorType lhs,
                        mlir::RankedTensorType rhs);

/// Normalizes `axis` (negative counts from the end) for a tensor of `rank`;
/// returns -1 when out of range.
int64_t normalizeAxis(int64_t axis, int64_t rank);

} // namespace nabla

#endif // NABLA_FRONTEND_SHAPES_H
