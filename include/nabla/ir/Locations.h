//===- Locations.h - Source positions as people read them -------*- C++ -*-===//
//
// Reports that name a kernel by where its op came from (--profile on the
// CPU and on Vulkan, the Vulkan runtime's errors) print `file.nb:line:col`.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_IR_LOCATIONS_H
#define NABLA_IR_LOCATIONS_H

#include "mlir/IR/Location.h"

#include <string>

namespace nabla {

/// `model.nb:12:5` (the file's name without its directory) for the first
/// file position inside `loc` (fused and call-site locations are looked
/// through), `model.nb:8:10 in Dense_2` inside a layer instance; empty
/// where it has none.
std::string describeLoc(mlir::Location loc);

} // namespace nabla

#endif // NABLA_IR_LOCATIONS_H
