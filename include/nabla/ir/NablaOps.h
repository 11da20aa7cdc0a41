//===- NablaOps.h - Operations of the nabla dialect ------------*- C++ -*-===//
#ifndef NABLA_IR_NABLAOPS_H
#define NABLA_IR_NABLAOPS_H

#include "nabla/ir/NablaDialect.h"
#include "nabla/ir/NablaInterfaces.h"
#include "nabla/ir/NablaTraits.h"
#include "nabla/ir/ShapeUtils.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "ir/NablaOps.h.inc"

#endif // NABLA_IR_NABLAOPS_H
