//===- GradReport.cpp - Gradient norms per layer, as bars -----------------===//
#include "tools/nablac/GradReport.h"
#include "tools/nablac/Json.h"

#include "llvm/Support/Format.h"

#include <algorithm>
#include <cmath>

namespace nabla::tools {

GradReport makeGradReport(int64_t step,
                          llvm::ArrayRef<std::pair<std::string, double>> norms,
                          const GradReport *previous,
                          const GradReportOptions &options) {
  GradReport report;
  report.step = step;
  for (const auto &[param, norm] : norms) {
    size_t dot = param.rfind('.');
    std::string layer = dot == std::string::npos ? param : param.substr(0, dot);
    if (report.layers.empty() || report.layers.back().layer != layer)
      report.layers.push_back({layer, 0, false, false});
    report.layers.back().norm += norm * norm;
  }
  double largest = 0;
  for (LayerGradient &l : report.layers) {
    l.norm = std::sqrt(l.norm);
    largest = std::max(largest, l.norm);
  }
  for (LayerGradient &l : report.layers) {
    l.vanishing = l.norm < options.vanishingRatio * largest;
    l.exploding = !std::isfinite(l.norm) || l.norm > options.explodingNorm;
    if (previous)
      for (const LayerGradient &p : previous->layers)
        if (p.layer == l.layer && p.norm > 0 &&
            l.norm > options.explodingGrowth * p.norm)
          l.exploding = true;
  }
  return report;
}

void printGradReport(const GradReport &report, llvm::raw_ostream &os) {
  // The bars span the decades between the smallest and largest norms.
  double lo = INFINITY, hi = 0;
  size_t nameWidth = 5;
  for (const LayerGradient &l : report.layers) {
    if (l.norm > 0 && std::isfinite(l.norm)) {
      lo = std::min(lo, l.norm);
      hi = std::max(hi, l.norm);
    }
    nameWidth = std::max(nameWidth, l.layer.size());
  }
  const int width = 40;
  double span = hi > lo ? std::log10(hi) - std::log10(lo) : 1;
  os << "gradient L2 norm per layer at step " << report.step
     << " (log scale, input first)\n";
  for (const LayerGradient &l : report.layers) {
    os << "  " << l.layer << std::string(nameWidth - l.layer.size(), ' ')
       << " ";
    int cells = 0;
    if (!std::isfinite(l.norm))
      cells = width;
    else if (l.norm > 0)
      cells =
          1 + int((width - 1) * (std::log10(l.norm) - std::log10(lo)) / span);
    if (cells == 0)
      os << "\xC2\xB7"; // ·
    for (int i = 0; i < cells; ++i)
      os << "\xE2\x96\x88"; // █
    os << std::string(width - std::max(cells, 1) + 1, ' ')
       << llvm::format("%9.2e", l.norm);
    if (l.vanishing)
      os << "  vanishing";
    if (l.exploding)
      os << "  exploding";
    os << "\n";
  }
  if (!report.layers.empty() && hi > 0)
    os << llvm::format("  first/last layer: %.2e\n",
                       report.layers.front().norm / report.layers.back().norm);
}

void printGradReportJson(const GradReport &report, llvm::raw_ostream &os) {
  llvm::json::OStream j(os);
  j.object([&] {
    j.attribute("step", report.step);
    j.attributeArray("layers", [&] {
      for (const LayerGradient &l : report.layers)
        j.object([&] {
          j.attribute("layer", l.layer);
          writeNumber(j, "norm", l.norm);
          j.attribute("vanishing", l.vanishing);
          j.attribute("exploding", l.exploding);
        });
    });
  });
  os << "\n";
}

} // namespace nabla::tools
