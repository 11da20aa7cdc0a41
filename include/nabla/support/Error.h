//===- Error.h - nabla's errors are text for people -------------*- C++ -*-===//
//
// Every failure nabla reports (a model's diagnostics, a bad data file, a
// device that cannot run a step) is an llvm::Error whose message is what a
// user reads; nothing switches on error codes. One helper makes them.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_SUPPORT_ERROR_H
#define NABLA_SUPPORT_ERROR_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

namespace nabla {

/// An llvm::Error whose message is `message`, verbatim.
inline llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

} // namespace nabla

#endif // NABLA_SUPPORT_ERROR_H
