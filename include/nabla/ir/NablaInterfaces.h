//===- NablaInterfaces.h - Interfaces of the nabla dialect -----*- C++ -*-===//
#ifndef NABLA_IR_NABLAINTERFACES_H
#define NABLA_IR_NABLAINTERFACES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "ir/NablaInterfaces.h.inc"

#endif // NABLA_IR_NABLAINTERFACES_H
