//===- KernelProfile.h - The clock of profiled compiled code ----*- C++ -*-===//
//
// A module compiled with CpuTarget::profile calls nabla_profile_start()
// before each kernel and nabla_profile_stop(name) after it
// (nabla-cpu-profile-kernels). The JIT binds both to these functions,
// which append the kernel's time to the recording the calling thread has
// open: JitEngine::call opens one around each call, so engines on
// different threads never share one, and code that is not profiled never
// calls them.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_KERNELPROFILE_H
#define NABLA_RUNTIME_KERNELPROFILE_H

#include "nabla/runtime/Engine.h"

#include <vector>

namespace nabla::jit {

/// Records the kernels the calling thread's compiled code runs into
/// `times` while it lives (cleared first).
class ProfileRecording {
public:
  explicit ProfileRecording(std::vector<DispatchTime> &times);
  ~ProfileRecording();
  ProfileRecording(const ProfileRecording &) = delete;
  ProfileRecording &operator=(const ProfileRecording &) = delete;

private:
  std::vector<DispatchTime> *previous;
};

extern "C" void nabla_profile_start();
extern "C" void nabla_profile_stop(const char *name);

} // namespace nabla::jit

#endif // NABLA_RUNTIME_KERNELPROFILE_H
