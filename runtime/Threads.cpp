//===- Threads.cpp - Threads of the CPU engine's parallel loops -----------===//
#include "nabla/runtime/Threads.h"

#include "llvm/ADT/StringRef.h"

#include <cstdlib>

// libomp's API (omp.h is the compiler's, not libomp-dev's: declared here).
extern "C" {
void omp_set_num_threads(int);
int omp_get_max_threads(void);
void omp_set_dynamic(int);
}

namespace nabla {

void setNumThreads(int n) { omp_set_num_threads(n < 1 ? 1 : n); }

int getNumThreads() { return omp_get_max_threads(); }

bool applyThreadsFromEnvironment() {
  const char *text = std::getenv("NABLA_NUM_THREADS");
  if (!text)
    return true;
  int n = 0;
  if (llvm::StringRef(text).getAsInteger(10, n) || n < 1)
    return false;
  setNumThreads(n);
  return true;
}

void useLoadBalancedTeams() {
  // dyn-var is per thread (OpenMP's data environment): set in each thread
  // that runs compiled code, once.
  thread_local bool done = false;
  if (done)
    return;
  done = true;
  if (!std::getenv("OMP_DYNAMIC"))
    omp_set_dynamic(1);
}

} // namespace nabla
