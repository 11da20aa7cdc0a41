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
} // namespace attrs
} // namespace nabla

#endif // NABLA_IR_NABLADIALECT_H
