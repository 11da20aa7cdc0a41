//===- KernelProfile.cpp - The clock of profiled compiled code ------------===//
#include "runtime/KernelProfile.h"

#include <chrono>

namespace nabla::jit {

namespace {

struct ThreadProfile {
  std::vector<DispatchTime> *times = nullptr; // the open recording, if any
  std::chrono::steady_clock::time_point started;
};

thread_local ThreadProfile current;

} // namespace

ProfileRecording::ProfileRecording(std::vector<DispatchTime> &times)
    : previous(current.times) {
  times.clear();
  current.times = &times;
}

ProfileRecording::~ProfileRecording() { current.times = previous; }

extern "C" void nabla_profile_start() {
  current.started = std::chrono::steady_clock::now();
}

extern "C" void nabla_profile_stop(const char *name) {
  // The clock first: what follows is not the kernel's time.
  auto stopped = std::chrono::steady_clock::now();
  if (!current.times)
    return; // profiled code called outside JitEngine::call
  current.times->push_back(
      {name, std::chrono::duration<double>(stopped - current.started).count()});
}

} // namespace nabla::jit
