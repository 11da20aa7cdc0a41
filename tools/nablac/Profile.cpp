//===- Profile.cpp - Printing per-kernel times (--profile) ----------------===//
#include "Profile.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"

#include <numeric>

using namespace nabla;

void nabla::printProfile(const Engine &engine, llvm::StringRef what,
                         llvm::raw_ostream &os, size_t limit) {
  llvm::ArrayRef<DispatchTime> profile = engine.getLastProfile();
  // Only the CPU's engine measures whole calls: its kernels are timed by
  // the host's clock, and the rest of the call is the host's own work.
  double call = engine.getLastCallSeconds();
  bool cpu = call > 0;
  if (profile.empty()) {
    os << (cpu ? "profile: no kernels were timed\n"
               : "profile: no dispatches were timed (the device has no "
                 "timestamp queries on its compute queue)\n");
    return;
  }
  double total = std::accumulate(
      profile.begin(), profile.end(), 0.0,
      [](double sum, const DispatchTime &d) { return sum + d.seconds; });
  if (cpu)
    os << llvm::format("profile of %s: %zu kernels, %.1f us of the call's "
                       "%.1f us on the CPU\n",
                       what.str().c_str(), profile.size(), total * 1e6,
                       call * 1e6);
  else
    os << llvm::format("profile of %s: %zu dispatches, %.1f us on the device\n",
                       what.str().c_str(), profile.size(), total * 1e6);
  std::vector<const DispatchTime *> sorted;
  for (const DispatchTime &d : profile)
    sorted.push_back(&d);
  llvm::stable_sort(sorted, [](const DispatchTime *a, const DispatchTime *b) {
    return a->seconds > b->seconds;
  });
  for (const DispatchTime *d : llvm::ArrayRef(sorted).take_front(limit))
    os << llvm::format("  %10.1f us  %5.1f%%  ", d->seconds * 1e6,
                       total > 0 ? 100 * d->seconds / total : 0.0)
       << d->name << "\n";
  if (sorted.size() > limit)
    os << "  ... " << sorted.size() - limit << " more\n";
}
