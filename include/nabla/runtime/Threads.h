//===- Threads.h - Threads of the CPU engine's parallel loops ---*- C++ -*-===//
//
// The CPU pipeline turns the loops with enough work into OpenMP loops
// (nabla-cpu-parallel), which libomp runs. Their thread count is the
// process's: OMP_NUM_THREADS if set, else one per core; NABLA_NUM_THREADS
// and setNumThreads (nablac --num-threads) override it.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_THREADS_H
#define NABLA_RUNTIME_THREADS_H

namespace nabla {

/// Threads each parallel loop of compiled code runs on from now on (n >= 1).
/// Read when a model is compiled, too: compiled while the count is 1, its
/// loops are plain loops (no OpenMP team per loop, which costs more than
/// it gives on one thread) and stay on one thread whatever the count later.
void setNumThreads(int n);

/// Threads the next parallel loop will run on.
int getNumThreads();

/// Lets libomp size each parallel loop's team to the cores that are idle
/// (omp_set_dynamic: libomp's load-balance mode reads the system's load
/// at most once a second) in the calling thread, unless OMP_DYNAMIC says
/// otherwise. A team spread over a core that another process keeps busy
/// waits for that core at every loop: with a CPU hog on one of two
/// cores, W4 (batch 1) took 83-86 us on two threads against 44 on one;
/// with load-balanced teams, 42-47. Idle, the two modes measure the same.
/// Results do not change: every parallel loop writes disjoint outputs.
/// JitEngine::call does this before running compiled code.
void useLoadBalancedTeams();

/// Applies NABLA_NUM_THREADS if it is set to a positive number; returns
/// false (and changes nothing) if it is set to anything else.
bool applyThreadsFromEnvironment();

} // namespace nabla

#endif // NABLA_RUNTIME_THREADS_H
