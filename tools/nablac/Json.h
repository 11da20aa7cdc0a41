//===- Json.h - nablac's machine-readable output ----------------*- C++ -*-===//
//
// Every JSON nablac writes (--json, --metrics, the gradient report) goes
// through llvm::json, so strings are escaped and the result parses with a
// strict parser. JSON has no NaN or infinity: those numbers are null.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_TOOLS_NABLAC_JSON_H
#define NABLA_TOOLS_NABLAC_JSON_H

#include "nabla/runtime/Tensor.h"

#include "llvm/Support/JSON.h"

namespace nabla::tools {

/// Writes `v` with 9 significant digits (all an f32 holds), or null when
/// it is not finite.
void writeNumber(llvm::json::OStream &j, double v);
/// An attribute whose value is writeNumber's.
void writeNumber(llvm::json::OStream &j, llvm::StringRef key, double v);

/// {"shape": [...], "data": [...]} (data row-major).
void writeTensor(llvm::json::OStream &j, const Tensor &t);

/// A run's identity for its --metrics records: a random id and the UTC
/// time it started (ISO 8601), so runs appended to one file can be told
/// apart.
struct RunIdentity {
  std::string id, startTime;
  static RunIdentity now();
};

} // namespace nabla::tools

#endif // NABLA_TOOLS_NABLAC_JSON_H
