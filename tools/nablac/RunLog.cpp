//===- RunLog.cpp - CSV logs and an SVG plot of a training run ------------===//
#include "tools/nablac/RunLog.h"
#include "nabla/runtime/Files.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

namespace nabla::tools {

namespace {

llvm::Error ioError(const llvm::Twine &path, std::error_code ec) {
  return llvm::createStringError(ec, "error: cannot write '" + path +
                                         "': " + ec.message());
}

/// A polyline through (x, y) points already in pixels.
void polyline(llvm::raw_ostream &os,
              const std::vector<std::pair<double, double>> &points,
              const char *color) {
  os << "<polyline fill=\"none\" stroke=\"" << color
     << "\" stroke-width=\"1.2\" points=\"";
  for (auto [x, y] : points)
    os << llvm::format("%.1f,%.1f ", x, y);
  os << "\"/>\n";
}

/// A coordinate as SVG likes it: "720.0", not "7.200000e+02".
std::string f(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f", v);
  return buffer;
}

std::string num(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.9g", v);
  return buffer;
}

const char *const kColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                               "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                               "#bcbd22", "#17becf"};

} // namespace

llvm::Expected<RunLog> RunLog::open(llvm::StringRef dir) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir))
    return ioError(dir, ec);
  RunLog log;
  log.dir = dir.str();
  auto create = [&](const char *name, const char *header,
                    std::unique_ptr<llvm::raw_fd_ostream> &out) -> llvm::Error {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, name);
    std::error_code ec;
    out = std::make_unique<llvm::raw_fd_ostream>(path, ec);
    if (ec)
      return ioError(path, ec);
    *out << header;
    return llvm::Error::success();
  };
  if (auto e = create("steps.csv", "step,loss\n", log.steps))
    return std::move(e);
  if (auto e = create("epochs.csv",
                      "epoch,train_loss,test_loss,test_accuracy,seconds\n",
                      log.epochs))
    return std::move(e);
  if (auto e = create("grad_norms.csv", "step,layer,norm\n", log.gradNorms))
    return std::move(e);
  return std::move(log);
}

void RunLog::step(int64_t step, double loss, const GradReport &gradients) {
  losses.push_back({step, loss});
  *steps << step << "," << num(loss) << "\n";
  for (const LayerGradient &l : gradients.layers) {
    auto it = std::find(layers.begin(), layers.end(), l.layer);
    size_t i = it - layers.begin();
    if (it == layers.end()) {
      layers.push_back(l.layer);
      norms.emplace_back();
    }
    norms[i].push_back({step, l.norm});
    *gradNorms << step << "," << l.layer << "," << num(l.norm) << "\n";
  }
}

llvm::Error RunLog::epoch(int64_t epoch, double trainLoss, double testLoss,
                          double testAccuracy, bool hasTest, double seconds) {
  std::string line = std::to_string(epoch) + "," + num(trainLoss) + ",";
  line += hasTest ? num(testLoss) + "," + num(testAccuracy) : std::string(",");
  line += "," + num(seconds) + "\n";
  *epochs << line;
  // Epoch boundaries are where a reader looks: flush everything there. On
  // a full disk at most the lines of this epoch are lost.
  llvm::Error first = llvm::Error::success();
  for (auto [out, name] : {std::pair{epochs.get(), "epochs.csv"},
                           {steps.get(), "steps.csv"},
                           {gradNorms.get(), "grad_norms.csv"}}) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, name);
    llvm::Error e = flushOrError(*out, path);
    if (!first)
      first = std::move(e);
    else
      llvm::consumeError(std::move(e));
  }
  return first;
}

RunLog::~RunLog() {
  for (llvm::raw_fd_ostream *out : {steps.get(), epochs.get(), gradNorms.get()})
    if (out) {
      out->flush();
      out->clear_error();
    }
}

llvm::Error RunLog::plot(llvm::StringRef title) const {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "run.svg");
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return ioError(path, ec);
  os << renderRunSvg(title, losses, layers, norms);
  return flushOrError(os, path);
}

/// `text` as XML character data: a model file named `a&b<c.nb` still
/// gives a well-formed SVG.
static std::string escapeXml(llvm::StringRef text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      // Control characters are not allowed in XML 1.0.
      if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n')
        out += c;
      else
        out += '?';
    }
  }
  return out;
}

std::string renderRunSvg(
    llvm::StringRef title,
    const std::vector<std::pair<int64_t, double>> &losses,
    const std::vector<std::string> &layers,
    const std::vector<std::vector<std::pair<int64_t, double>>> &norms) {
  const double width = 900, panel = 260, left = 70, right = 190, top = 52;
  std::string svg;
  llvm::raw_string_ostream os(svg);
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << f(width)
     << "\" height=\"" << f(2 * panel + 2 * top + 20)
     << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
     << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
     << "<text x=\"" << f(left) << "\" y=\"22\" font-size=\"15\">"
     << escapeXml(title) << "</text>\n";
  int64_t lastStep = 1;
  for (auto [s, _] : losses)
    lastStep = std::max(lastStep, s);
  double plotWidth = width - left - right;
  auto xOf = [&](int64_t step) { return left + plotWidth * step / lastStep; };

  // A panel with a log-scale y axis from `lo` to `hi` (decades).
  auto axes = [&](double y0, const char *label, double lo, double hi) {
    os << "<rect x=\"" << f(left) << "\" y=\"" << f(y0) << "\" width=\""
       << f(plotWidth) << "\" height=\"" << f(panel)
       << "\" fill=\"none\" stroke=\"#999\"/>\n";
    os << "<text x=\"" << f(left) << "\" y=\"" << f(y0 - 6) << "\">" << label
       << "</text>\n";
    for (int d = int(std::floor(lo)); d <= int(std::ceil(hi)); ++d) {
      double y = y0 + panel * (hi - d) / std::max(hi - lo, 1e-9);
      if (y < y0 - 0.5 || y > y0 + panel + 0.5)
        continue;
      os << "<line x1=\"" << f(left) << "\" x2=\"" << f(left + plotWidth)
         << "\" y1=\"" << f(y) << "\" y2=\"" << f(y)
         << "\" stroke=\"#eee\"/><text x=\"" << f(left - 6) << "\" y=\""
         << f(y + 4) << "\" text-anchor=\"end\">1e" << d << "</text>\n";
    }
    os << "<text x=\"" << f(left + plotWidth) << "\" y=\"" << f(y0 + panel + 16)
       << "\" text-anchor=\"end\">step " << lastStep << "</text>\n";
  };
  auto range = [](const auto &series, double &lo, double &hi) {
    for (auto [_, v] : series)
      if (v > 0 && std::isfinite(v)) {
        lo = std::min(lo, std::log10(v));
        hi = std::max(hi, std::log10(v));
      }
  };

  double lo = INFINITY, hi = -INFINITY;
  range(losses, lo, hi);
  if (lo > hi)
    lo = hi = 0;
  lo = std::floor(lo), hi = std::ceil(hi) + (std::ceil(hi) == std::floor(lo));
  double y0 = top;
  axes(y0, "training loss (log scale)", lo, hi);
  std::vector<std::pair<double, double>> points;
  for (auto [s, v] : losses)
    if (v > 0 && std::isfinite(v))
      points.push_back({xOf(s), y0 + panel * (hi - std::log10(v)) / (hi - lo)});
  polyline(os, points, "#1f77b4");

  lo = INFINITY, hi = -INFINITY;
  for (const auto &series : norms)
    range(series, lo, hi);
  if (lo > hi)
    lo = hi = 0;
  lo = std::floor(lo), hi = std::ceil(hi) + (std::ceil(hi) == std::floor(lo));
  y0 = top + panel + top;
  axes(y0, "gradient L2 norm per layer (log scale)", lo, hi);
  for (size_t i = 0; i < norms.size(); ++i) {
    points.clear();
    for (auto [s, v] : norms[i])
      if (v > 0 && std::isfinite(v))
        points.push_back(
            {xOf(s), y0 + panel * (hi - std::log10(v)) / (hi - lo)});
    const char *color = kColors[i % std::size(kColors)];
    polyline(os, points, color);
    // The legend, one line per layer (input first), beside the panel.
    double ly = y0 + 12 + 14 * double(i);
    if (ly < y0 + panel)
      os << "<text x=\"" << f(left + plotWidth + 10) << "\" y=\"" << f(ly)
         << "\" fill=\"" << color << "\">" << escapeXml(layers[i])
         << "</text>\n";
  }
  os << "</svg>\n";
  return svg;
}

} // namespace nabla::tools
