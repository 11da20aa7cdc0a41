//===- Diagnostics.cpp - Errors that point at the user's source -----------===//
//
// A thin layer over llvm::SourceMgr: it prints in SourceMgr's
// `file:line:col: error: ...` + source line + caret format and counts errors.
// Locations that belong to no buffer are printed without a position rather
// than tripping SourceMgr's assertions, so a stray SMLoc can never crash the
// compiler while it is reporting an error.
//
//===----------------------------------------------------------------------===//

#include "nabla/frontend/Diagnostics.h"

using namespace nabla;

/// True if some buffer of `sourceMgr` holds `loc`.
static bool isKnown(const llvm::SourceMgr &sourceMgr, llvm::SMLoc loc) {
  return loc.isValid() && sourceMgr.FindBufferContainingLoc(loc) != 0;
}

/// Prints one message. With no usable location SourceMgr would print
/// `<unknown>:0: error: ...`; a bare `error: ...` reads better for, say, a
/// bad command-line value.
static void report(llvm::SourceMgr &sourceMgr, llvm::raw_ostream &os,
                   llvm::SMLoc loc, llvm::SourceMgr::DiagKind kind,
                   const llvm::Twine &message) {
  if (isKnown(sourceMgr, loc))
    sourceMgr.PrintMessage(os, loc, kind, message);
  else
    sourceMgr.PrintMessage(os, llvm::SMDiagnostic("", kind, message.str()));
}

void DiagnosticEngine::error(llvm::SMLoc loc, const llvm::Twine &message) {
  ++numErrors;
  report(sourceMgr, os, loc, llvm::SourceMgr::DK_Error, message);
}

void DiagnosticEngine::note(llvm::SMLoc loc, const llvm::Twine &message) {
  report(sourceMgr, os, loc, llvm::SourceMgr::DK_Note, message);
}

void DiagnosticEngine::error(const llvm::Twine &message) {
  error(llvm::SMLoc(), message);
}

std::pair<unsigned, unsigned>
DiagnosticEngine::getLineAndColumn(llvm::SMLoc loc) const {
  if (!isKnown(sourceMgr, loc))
    return {0, 0};
  return sourceMgr.getLineAndColumn(loc);
}

llvm::StringRef DiagnosticEngine::getBufferName(llvm::SMLoc loc) const {
  if (!isKnown(sourceMgr, loc))
    return {};
  unsigned id = sourceMgr.FindBufferContainingLoc(loc);
  return sourceMgr.getMemoryBuffer(id)->getBufferIdentifier();
}
