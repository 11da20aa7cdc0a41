//===- Collective.h - Processes that train one model together ---*- C++ -*-===//
//
// Data-parallel training: K processes each take a share of every batch,
// and the trainer averages their gradients before the update, so that all
// of them hold the same parameters and the step is the one-process step on
// the whole batch (up to the order of the sums). MPI provides one
// (nabla/MpiCollective.h); anything else that can average a buffer across
// processes can too.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_COLLECTIVE_H
#define NABLA_COLLECTIVE_H

#include "nabla/runtime/Tensor.h"

#include "llvm/Support/Error.h"

namespace nabla {

class Collective {
public:
  virtual ~Collective() = default;
  /// This process's index, 0 to size() - 1; process 0 reports and saves.
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Replaces each element of `t` by its mean over the processes.
  virtual llvm::Error average(Tensor &t) = 0;
  /// Whether average() may be called from another thread than the one
  /// that made the collective (one thread at a time). Where it may, a
  /// step compiled for the CPU averages its gradients on a thread of its
  /// own while the backward pass goes on.
  virtual bool callableFromAnyThread() const { return true; }
  /// Replaces `t` by process 0's (the same shape and type on every one).
  virtual llvm::Error broadcastFromFirst(Tensor &t) = 0;
};

} // namespace nabla

#endif // NABLA_COLLECTIVE_H
