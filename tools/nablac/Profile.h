//===- Profile.h - Printing per-kernel times (--profile) --------*- C++ -*-===//
//
// `--profile`: the time of every kernel of one call, slowest first. On
// Vulkan each dispatch is timed with timestamp queries; on the CPU the
// compiled code reads the clock around each kernel
// (nabla-cpu-profile-kernels).
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_PROFILE_H
#define NABLA_PROFILE_H

#include "nabla/runtime/Engine.h"

#include "llvm/Support/raw_ostream.h"

namespace nabla {

/// Prints the profile of `engine`'s last call (of `what`): the total, then
/// the `limit` slowest kernels with their share of the total.
void printProfile(const Engine &engine, llvm::StringRef what,
                  llvm::raw_ostream &os, size_t limit = 20);

} // namespace nabla

#endif // NABLA_PROFILE_H
