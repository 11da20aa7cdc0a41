//===- CpuFeatures.cpp - The host CPU's features, as the JIT uses them ----===//
#include "nabla/runtime/CpuFeatures.h"
#include "nabla/support/Error.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/TargetParser/Host.h"

#include <cstdlib>

namespace nabla {

namespace {

/// NABLA_CPU_FEATURES's entries, checked against `known` (the host's
/// features, each known to LLVM whether present or not).
llvm::Expected<std::vector<std::string>>
turnedOff(const llvm::StringMap<bool> &known) {
  std::vector<std::string> off;
  const char *text = std::getenv("NABLA_CPU_FEATURES");
  if (!text)
    return off;
  llvm::SmallVector<llvm::StringRef> entries;
  llvm::StringRef(text).split(entries, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef entry : entries) {
    entry = entry.trim();
    llvm::StringRef name = entry;
    if (!name.consume_front("-"))
      return makeError("error: NABLA_CPU_FEATURES: '" + entry +
                       "' is not -NAME (features can only be turned off, "
                       "e.g. NABLA_CPU_FEATURES=-avx512bf16)");
    std::string feature = name.str();
    if (!known.count(feature)) // /proc/cpuinfo's spelling: avx512_bf16
      llvm::erase(feature, '_');
    if (!known.count(feature))
      return makeError("error: NABLA_CPU_FEATURES: '" + entry +
                       "' is not a CPU feature LLVM knows (e.g. avx512f, "
                       "avx512bf16, avx2, fma)");
    off.push_back(feature);
  }
  return off;
}

} // namespace

llvm::Expected<std::vector<std::string>> cpuFeaturesTurnedOff() {
  return turnedOff(llvm::sys::getHostCPUFeatures());
}

llvm::StringMap<bool> hostCpuFeatures() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  auto off = turnedOff(features);
  if (!off) {
    llvm::consumeError(off.takeError());
    return features;
  }
  for (const std::string &name : *off)
    features[name] = false;
  return features;
}

std::string hostCpuName() {
  std::string name = llvm::sys::getHostCPUName().str();
  auto cpuinfo = llvm::MemoryBuffer::getFileAsStream("/proc/cpuinfo");
  if (!cpuinfo)
    return name;
  llvm::SmallVector<llvm::StringRef> lines;
  (*cpuinfo)->getBuffer().split(lines, '\n');
  for (llvm::StringRef line : lines) {
    auto [key, value] = line.split(':');
    if (key.trim() == "model name" && !value.trim().empty())
      return name + ", " + value.trim().str();
  }
  return name;
}

} // namespace nabla
