//===- Diagnostics.h - Errors that point at the user's source --*- C++ -*-===//
//
// Every error about a user's model goes through DiagnosticEngine, which prints
//   file:line:col: error: message
//       <the source line>
//           ^
// (llvm::SourceMgr's format) and counts errors so callers can exit non-zero.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_FRONTEND_DIAGNOSTICS_H
#define NABLA_FRONTEND_DIAGNOSTICS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>

namespace nabla {

class DiagnosticEngine {
public:
  /// Reports go to `os` (stderr by default).
  explicit DiagnosticEngine(llvm::SourceMgr &sourceMgr,
                            llvm::raw_ostream &os = llvm::errs())
      : sourceMgr(sourceMgr), os(os) {}

  void error(llvm::SMLoc loc, const llvm::Twine &message);
  void note(llvm::SMLoc loc, const llvm::Twine &message);
  /// An error with no position (e.g. a bad command-line value).
  void error(const llvm::Twine &message);

  unsigned getNumErrors() const { return numErrors; }
  bool hadError() const { return numErrors != 0; }
  llvm::SourceMgr &getSourceMgr() { return sourceMgr; }

  /// 1-based line and column of `loc`, for MLIR locations.
  std::pair<unsigned, unsigned> getLineAndColumn(llvm::SMLoc loc) const;
  /// The name of the buffer that holds `loc` (the .nb file path).
  llvm::StringRef getBufferName(llvm::SMLoc loc) const;

private:
  llvm::SourceMgr &sourceMgr;
  llvm::raw_ostream &os;
  unsigned numErrors = 0;
};

} // namespace nabla

#endif // NABLA_FRONTEND_DIAGNOSTICS_H
