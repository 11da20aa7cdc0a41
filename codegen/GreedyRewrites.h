//===- GreedyRewrites.h - How nabla's passes apply patterns ------*- C++
//-*-===//
//
// Upstream's greedy driver simplifies the regions it rewrites after every
// sweep (erases unreachable blocks, removes dead values region-wide).
// nabla's codegen passes apply patterns to whole functions, and a deep
// model's step is one function of tens of thousands of ops: at 1000 Dense
// layers the simplification was half of tidying vector transfers (5 of
// 160 s of a compile) and found nothing the canonicalizer after them does
// not. Dead ops are still erased by the driver itself.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_CODEGEN_GREEDYREWRITES_H
#define NABLA_CODEGEN_GREEDYREWRITES_H

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace nabla {

/// The greedy driver's configuration for patterns applied to a whole
/// function: no region simplification.
inline mlir::GreedyRewriteConfig functionRewrites() {
  mlir::GreedyRewriteConfig config;
  config.setRegionSimplificationLevel(
      mlir::GreedySimplifyRegionLevel::Disabled);
  return config;
}

} // namespace nabla

#endif // NABLA_CODEGEN_GREEDYREWRITES_H
