//===- Profile.cpp - Printing per-dispatch device times -------------------===//
#include "Profile.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Format.h"

#include <numeric>

using namespace nabla;

void nabla::printProfile(llvm::ArrayRef<DispatchTime> profile,
                         llvm::StringRef what, llvm::raw_ostream &os,
                         size_t limit) {
  if (profile.empty()) {
    os << "profile: no dispatches were timed (the device has no timestamp "
          "queries on its compute queue)\n";
    return;
  }
  double total = std::accumulate(
      profile.begin(), profile.end(), 0.0,
      [](double sum, const DispatchTime &d) { return sum + d.seconds; });
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
