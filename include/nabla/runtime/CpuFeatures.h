//===- CpuFeatures.h - The host CPU's features, as the JIT uses them ------===//
//
// The CPU kernels are chosen from the host's features when a model is
// compiled (vector width, bf16 dot products). NABLA_CPU_FEATURES turns
// features off, for the kernels and for LLVM's code generation alike, so
// that every path a machine can run is tested on it:
//   NABLA_CPU_FEATURES=-avx512bf16        bf16 widened to f32
//   NABLA_CPU_FEATURES=-avx512f           AVX2 kernels (8 lanes)
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_CPUFEATURES_H
#define NABLA_RUNTIME_CPUFEATURES_H

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace nabla {

/// The features NABLA_CPU_FEATURES turns off, in LLVM's names: a comma-
/// separated list of -NAME, NAME being LLVM's name (avx512bf16) or the
/// kernel's (/proc/cpuinfo's avx512_bf16). An error names the variable and
/// the entry that is not one; empty if the variable is unset.
llvm::Expected<std::vector<std::string>> cpuFeaturesTurnedOff();

/// The host's features (llvm::sys::getHostCPUFeatures) less those
/// NABLA_CPU_FEATURES turns off. (An invalid variable is ignored here;
/// nablac reports it through cpuFeaturesTurnedOff before compiling.)
llvm::StringMap<bool> hostCpuFeatures();

/// The host CPU as LLVM names it (znver5, sapphirerapids) and, where the
/// system says, as its maker does ("AMD EPYC 9V45 ...").
std::string hostCpuName();

} // namespace nabla

#endif // NABLA_RUNTIME_CPUFEATURES_H
