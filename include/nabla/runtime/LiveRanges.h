//===- LiveRanges.h - Short live ranges in a step before codegen -*- C++
//-*-===//
//
// A training step, after LLVM's -O3, is one long block in its packed
// wrapper: it loads every argument at the top (thousands for a deep
// model) and keeps the arena's pointer in one register, then calls the
// kernels in turn. Each of those values is live across thousands of
// calls, and the code generator's instruction selection and register
// allocation grow with (live values) x (calls they cross): the square of
// the model. shortenLiveRanges rewrites the block so that what a call
// needs is computed right before it (LiveRanges.cpp says how and why it
// is safe).
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_LIVERANGES_H
#define NABLA_RUNTIME_LIVERANGES_H

namespace llvm {
class Function;
class Module;
} // namespace llvm

namespace nabla {

/// What shortenLiveRanges did to one function.
struct LiveRangeStats {
  unsigned rematerialized = 0; ///< argument loads and addresses recomputed
  unsigned spilled = 0;        ///< values kept in a stack slot instead
};

/// Shortens the live ranges of one packed wrapper `_mlir_NAME(ptr)` (run
/// after -O3, before code generation; nothing else may run between).
LiveRangeStats shortenLiveRanges(llvm::Function &wrapper);

/// shortenLiveRanges on every packed wrapper of `module`.
void shortenLiveRanges(llvm::Module &module);

} // namespace nabla

#endif // NABLA_RUNTIME_LIVERANGES_H
