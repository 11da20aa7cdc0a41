//===- Profile.h - Printing per-dispatch device times -----------*- C++ -*-===//
//
// `--profile` on Vulkan: the time of every dispatch of one call, measured
// with timestamp queries, printed slowest first.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_PROFILE_H
#define NABLA_PROFILE_H

#include "nabla/runtime/Engine.h"

#include "llvm/Support/raw_ostream.h"

namespace nabla {

/// Prints `profile` (the dispatches of one call of `what`): the total, then
/// the `limit` slowest dispatches with their share of the total.
void printProfile(llvm::ArrayRef<DispatchTime> profile, llvm::StringRef what,
                  llvm::raw_ostream &os, size_t limit = 20);

} // namespace nabla

#endif // NABLA_PROFILE_H
