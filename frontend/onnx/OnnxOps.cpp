//===- OnnxOps.cpp - Each ONNX op as a .nb expression ---------------------===//
//
// Importer::translateOp and the translations it dispatches to, by family
// (elementwise, matrix products and reductions, composites, shapes and
// constants, network layers). Each writes statements into the model's
// body and binds the node's outputs (define, defineConstant), or refuses
// the node (unsupported) naming what it does not honour. See Importer.h.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cmath>

namespace nabla::onnx_import {

void Importer::binary(const char *op) {
  define(0, "(" + operand(0) + " " + op + " " + operand(1) + ")");
}

std::vector<int64_t> Importer::reduceAxes(int64_t r, bool &identity) {
  identity = false;
  std::vector<int64_t> axes;
  bool axesInput = (node->op_type() == "ReduceSum" && opset >= 13);
  if (axesInput && hasInput(1))
    axes = constInts(1);
  else if (auto a = attrInts("axes"))
    axes = *a;
  if (axes.empty()) {
    if (attrInt("noop_with_empty_axes", 0)) {
      identity = true;
      return {};
    }
    for (int64_t i = 0; i < r; ++i)
      axes.push_back(i);
  }
  for (int64_t &a : axes)
    a = axis(a, r);
  return axes;
}

void Importer::reduce(const std::string &fn, bool negate,
                      const std::string &before, const std::string &after) {
  int64_t r = rank(0);
  bool identity;
  std::vector<int64_t> axes = reduceAxes(r, identity);
  std::string x = tensor(0);
  if (identity || r == 0) {
    define(0, x);
    return;
  }
  int64_t keep = attrInt("keepdims", 1);
  // `before` and `after` wrap the operand and the result: "@" stands for
  // the expression (ReduceL2 is sqrt(sum(x * x))).
  auto wrap = [](const std::string &pattern, const std::string &e) {
    if (pattern.empty())
      return e;
    std::string out;
    for (char c : pattern)
      out += c == '@' ? "(" + e + ")" : std::string(1, c);
    return out;
  };
  std::string in = wrap(before, negate ? "-" + x : x);
  std::string axesText = ", axis = " + list(axes) + ", keepdims = ";
  if (fn == "logsumexp") {
    // Stable: the maximum out first.
    std::string top = temporary();
    body << "  " << top << " = max(" << in << axesText << "1)\n";
    std::string sum = "log(sum(exp(" + in + " - " + top + ")" + axesText +
                      std::to_string(keep) + "))";
    define(0, sum + " + " +
                  (keep ? top
                        : "reshape(" + top + ", " + list(outShape(0)) + ")"));
    return;
  }
  std::string expr = fn + "(" + in + axesText + std::to_string(keep) + ")";
  define(0, wrap(after, negate ? "-" + expr : expr));
}

void Importer::softmax(const std::string &fn) {
  int64_t r = rank(0);
  int64_t a = axis(attrInt("axis", opset >= 13 ? -1 : 1), r);
  std::string x = tensor(0);
  if (opset >= 13 || a == r - 1) {
    define(0, fn + "(" + x + ", axis = " + std::to_string(a) + ")");
    return;
  }
  // Before opset 13: over the dims from axis on, flattened.
  const auto &s = shape(0);
  int64_t rows = product(llvm::ArrayRef(s).take_front(a));
  int64_t cols = product(llvm::ArrayRef(s).drop_front(a));
  std::string flat = temporary();
  body << "  " << flat << " = " << fn << "(reshape(" << x << ", [" << rows
       << ", " << cols << "]), axis = 1)\n";
  define(0, "reshape(" + flat + ", " + list(s) + ")");
}

void Importer::matmul() {
  std::string a = tensor(0), b = tensor(1);
  const auto &sa = shape(0), &sb = shape(1);
  if (sa.size() >= 2 && sb.size() >= 2) {
    define(0, "(" + a + " @ " + b + ")");
    return;
  }
  // numpy's 1-D rules: a vector is a row on the left, a column on the
  // right, and that dim goes.
  std::string left =
      sa.size() == 1 ? "reshape(" + a + ", [1, " + std::to_string(sa[0]) + "])"
                     : a;
  std::string right =
      sb.size() == 1 ? "reshape(" + b + ", [" + std::to_string(sb[0]) + ", 1])"
                     : b;
  define(0, "reshape(" + left + " @ " + right + ", " + list(outShape(0)) + ")");
}

void Importer::gemm() {
  std::string a = tensor(0), b = tensor(1);
  if (attrInt("transA", 0))
    a = "transpose(" + a + ")";
  if (attrInt("transB", 0))
    b = "transpose(" + b + ")";
  double alpha = attrFloat("alpha", 1), beta = attrFloat("beta", 1);
  std::string expr = "(" + a + " @ " + b + ")";
  if (alpha != 1)
    expr = number(alpha) + " * " + expr;
  if (hasInput(2) && beta != 0) {
    std::string c = operand(2);
    expr += " + " + (beta != 1 ? number(beta) + " * " + c : c);
  }
  define(0, expr);
}

void Importer::slice() {
  std::vector<int64_t> starts, ends, axes, steps;
  int64_t r = rank(0);
  if (opset < 10) {
    starts = requiredInts("starts");
    ends = requiredInts("ends");
    axes = attrInts("axes").value_or(std::vector<int64_t>{});
  } else {
    starts = constInts(1);
    ends = constInts(2);
    if (hasInput(3))
      axes = constInts(3);
    if (hasInput(4))
      steps = constInts(4);
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  std::vector<std::string> items(r, ":");
  const auto &s = shape(0);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = axis(axes[i], r), n = s[a];
    if (steps[i] <= 0)
      unsupported("a slice with step " + std::to_string(steps[i]) +
                  " (nabla's slices step forwards)");
    auto clampBound = [&](int64_t v) {
      if (v < 0)
        v += n;
      return std::clamp<int64_t>(v, 0, n);
    };
    int64_t b = clampBound(starts[i]), e = clampBound(ends[i]);
    if (e <= b)
      unsupported("a slice that selects nothing (nabla's tensors have no "
                  "empty dims)");
    items[a] = std::to_string(b) + ":" + std::to_string(e) +
               (steps[i] == 1 ? "" : ":" + std::to_string(steps[i]));
  }
  std::string index;
  for (auto [i, item] : llvm::enumerate(items))
    index += (i ? ", " : "") + item;
  define(0, tensor(0) + (r ? "[" + index + "]" : ""));
}

void Importer::gather() {
  int64_t r = rank(0);
  if (r == 0)
    fail(where() + ": its input is a scalar, which has no axis");
  int64_t a = axis(attrInt("axis", 0), r);
  const Value &ids = input(1);
  int64_t n = shape(0)[a];
  if (ids.constant && ids.shape.empty()) {
    int64_t i = static_cast<int64_t>(ids.constant->front());
    if (i < -n || i >= n)
      fail(where() + ": index " + std::to_string(i) + " is outside dim " +
           std::to_string(a) + " of size " + std::to_string(n));
    if (input(0).constant) {
      // Shape arithmetic (Shape -> Gather): folded.
      const Value &x = input(0);
      if (r == 1) {
        defineConstant(0, {}, {(*x.constant)[i < 0 ? i + n : i]}, x.type);
        return;
      }
    }
    std::string index;
    for (int64_t k = 0; k < r; ++k)
      index += (k ? ", " : "") +
               (k == a ? std::to_string(i < 0 ? i + n : i) : std::string(":"));
    define(0, tensor(0) + "[" + index + "]");
    return;
  }
  if (input(0).constant && ids.constant && r == 1) {
    std::vector<double> picked;
    for (double d : *ids.constant) {
      int64_t i = static_cast<int64_t>(d);
      picked.push_back((*input(0).constant)[i < 0 ? i + n : i]);
    }
    defineConstant(0, ids.shape, picked, input(0).type);
    return;
  }
  // Ids computed at run time (or a constant list): take(); a negative id
  // counts from the end, as ONNX's.
  std::string idsText = tensor(1);
  std::string normalized = temporary();
  body << "  " << normalized << " = where(" << idsText << " < 0, " << idsText
       << " + " << n << ", " << idsText << ")\n";
  define(0, "take(" + tensor(0) + ", " + normalized +
                ", axis = " + std::to_string(a) + ")");
}

/// The explicit pads (begin and end per spatial dim) of a Conv or pool,
/// from `pads` or `auto_pad`.
static std::vector<int64_t> explicitPads(const std::string &autoPad,
                                         std::vector<int64_t> pads,
                                         llvm::ArrayRef<int64_t> in,
                                         llvm::ArrayRef<int64_t> kernel,
                                         llvm::ArrayRef<int64_t> strides,
                                         llvm::ArrayRef<int64_t> dilations) {
  size_t k = kernel.size();
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    std::vector<int64_t> result(2 * k);
    for (size_t i = 0; i < k; ++i) {
      int64_t out = (in[i] + strides[i] - 1) / strides[i];
      int64_t total =
          std::max<int64_t>(0, (out - 1) * strides[i] +
                                   (kernel[i] - 1) * dilations[i] + 1 - in[i]);
      int64_t small = total / 2, big = total - small;
      result[i] = autoPad == "SAME_UPPER" ? small : big;
      result[i + k] = autoPad == "SAME_UPPER" ? big : small;
    }
    return result;
  }
  if (autoPad == "VALID")
    return std::vector<int64_t>(2 * k, 0);
  return pads;
}

void Importer::conv(bool transpose) {
  int64_t r = rank(0);
  if (r != 3 && r != 4)
    unsupported("a " + std::to_string(r - 2) +
                "-D convolution (nabla has 1-D and 2-D)");
  size_t k = r - 2;
  const auto &ws = shape(1);
  if (ws.size() != k + 2)
    fail(where() + ": the weight " + list(ws) + " is not of rank " +
         std::to_string(k + 2));
  std::vector<int64_t> kernel = attrIntsOf(
      "kernel_shape", k, 1, std::vector<int64_t>(ws.begin() + 2, ws.end()));
  std::vector<int64_t> strides =
      attrIntsOf("strides", k, 1, std::vector<int64_t>(k, 1));
  std::vector<int64_t> dilations =
      attrIntsOf("dilations", k, 1, std::vector<int64_t>(k, 1));
  int64_t groups = attrInt("group", 1);
  std::string autoPad = attrString("auto_pad", "NOTSET");
  std::vector<int64_t> in(shape(0).begin() + 2, shape(0).end());
  std::string x = tensor(0), w = tensor(1);
  std::string b = hasInput(2) ? ", " + tensor(2) : "";
  std::string dims = k == 1 ? "1d" : "2d";
  if (transpose) {
    if (attr("output_shape") || autoPad != "NOTSET")
      unsupported("ConvTranspose with output_shape or auto_pad");
    std::vector<int64_t> pads =
        attrIntsOf("pads", 2 * k, 0, std::vector<int64_t>(2 * k, 0));
    for (size_t i = 0; i < k; ++i)
      if (pads[i] != pads[i + k])
        unsupported("asymmetric pads " + list(pads));
    std::vector<int64_t> outPad =
        attrIntsOf("output_padding", k, 0, std::vector<int64_t>(k, 0));
    define(0, "conv_transpose" + dims + "(" + x + ", " + w + b +
                  ", stride = " + list(strides) +
                  ", padding = " + list(llvm::ArrayRef(pads).take_front(k)) +
                  ", output_padding = " + list(outPad) +
                  ", groups = " + std::to_string(groups) +
                  ", dilation = " + list(dilations) + ")");
    return;
  }
  std::vector<int64_t> pads = explicitPads(
      autoPad, attrIntsOf("pads", 2 * k, 0, std::vector<int64_t>(2 * k, 0)), in,
      kernel, strides, dilations);
  bool symmetric = true;
  for (size_t i = 0; i < k; ++i)
    symmetric &= pads[i] == pads[i + k];
  std::vector<int64_t> padding(pads.begin(), pads.begin() + k);
  if (!symmetric) {
    // pad() takes (before, after) pairs from the last dim backwards.
    std::vector<int64_t> amounts;
    for (size_t i = k; i-- > 0;) {
      amounts.push_back(pads[i]);
      amounts.push_back(pads[i + k]);
    }
    std::string padded = temporary();
    body << "  " << padded << " = pad(" << x << ", " << list(amounts) << ")\n";
    x = padded;
    padding.assign(k, 0);
  }
  define(0, "conv" + dims + "(" + x + ", " + w + b +
                ", stride = " + list(strides) + ", padding = " + list(padding) +
                ", dilation = " + list(dilations) +
                ", groups = " + std::to_string(groups) + ")");
}

void Importer::pool(bool max) {
  int64_t r = rank(0);
  if (r != 3 && r != 4)
    unsupported("a " + std::to_string(r - 2) +
                "-D pool (nabla has 1-D and 2-D)");
  size_t k = r - 2;
  if (node->output_size() > 1 && !node->output(1).empty())
    unsupported("MaxPool's indices output");
  requireDefault("ceil_mode", 0);
  requireDefault("storage_order", 0);
  std::vector<int64_t> kernel = attrIntsOf("kernel_shape", k, 1, {});
  std::vector<int64_t> strides =
      attrIntsOf("strides", k, 1, std::vector<int64_t>(k, 1));
  std::vector<int64_t> dilations =
      attrIntsOf("dilations", k, 1, std::vector<int64_t>(k, 1));
  std::vector<int64_t> in(shape(0).begin() + 2, shape(0).end());
  std::vector<int64_t> pads =
      explicitPads(attrString("auto_pad", "NOTSET"),
                   attrIntsOf("pads", 2 * k, 0, std::vector<int64_t>(2 * k, 0)),
                   in, kernel, strides, dilations);
  std::string x = tensor(0);
  std::vector<int64_t> padding(pads.begin(), pads.begin() + k);
  bool symmetric = true, fits = true;
  for (size_t i = 0; i < k; ++i) {
    symmetric &= pads[i] == pads[i + k];
    fits &= 2 * pads[i] <= kernel[i];
  }
  int64_t countPad = attrInt("count_include_pad", 0);
  if (!symmetric || !fits) {
    if (!max && !countPad)
      unsupported("AveragePool with asymmetric pads and count_include_pad "
                  "= 0");
    std::vector<int64_t> amounts;
    for (size_t i = k; i-- > 0;) {
      amounts.push_back(pads[i]);
      amounts.push_back(pads[i + k]);
    }
    std::string padded = temporary();
    body << "  " << padded << " = pad(" << x << ", " << list(amounts)
         << (max ? ", value = -3.4028234663852886e38" : "") << ")\n";
    x = padded;
    padding.assign(k, 0);
  }
  std::string dims = k == 1 ? "1d" : "2d";
  if (max) {
    define(0, "max_pool" + dims + "(" + x + ", " + list(kernel) +
                  ", stride = " + list(strides) + ", padding = " +
                  list(padding) + ", dilation = " + list(dilations) + ")");
    return;
  }
  for (int64_t d : dilations)
    if (d != 1)
      unsupported("AveragePool with dilations");
  define(0, "avg_pool" + dims + "(" + x + ", " + list(kernel) +
                ", stride = " + list(strides) + ", padding = " + list(padding) +
                ", count_include_pad = " + std::to_string(countPad) + ")");
}

void Importer::batchNorm() {
  if (attrInt("training_mode", 0))
    unsupported("BatchNormalization in training mode");
  for (int i = 1; i < node->output_size(); ++i)
    if (!node->output(i).empty())
      unsupported("BatchNormalization's running statistics outputs");
  int64_t r = rank(0);
  if (r < 2)
    fail(where() + ": x is " + list(shape(0)) + ", not [N, C, ...]");
  double eps = attrFloat("epsilon", 1e-5);
  // [C] as [C, 1, ...] against x's [N, C, spatial...].
  auto channel = [&](int i) {
    if (shape(i) != std::vector<int64_t>{shape(0)[1]})
      fail(where() + ": input " + std::to_string(i) + " is " + list(shape(i)) +
           ", not [" + std::to_string(shape(0)[1]) + "]");
    std::string t = tensor(i);
    if (r <= 2)
      return t;
    std::vector<int64_t> s = {shape(i)[0]};
    s.resize(r - 1, 1);
    return "reshape(" + t + ", " + list(s) + ")";
  };
  std::string x = tensor(0);
  std::string scale = channel(1), bias = channel(2), mean = channel(3),
              var = channel(4);
  define(0, "(" + x + " - " + mean + ") / sqrt(" + var + " + " + number(eps) +
                ") * " + scale + " + " + bias);
}

void Importer::layerNorm() {
  for (int i = 1; i < node->output_size(); ++i)
    if (!node->output(i).empty())
      unsupported("LayerNormalization's mean and inverse deviation outputs");
  int64_t r = rank(0);
  int64_t a = axis(attrInt("axis", -1), r);
  double eps = attrFloat("epsilon", 1e-5);
  std::string x = tensor(0);
  std::string scale = tensor(1);
  std::string bias = hasInput(2) ? tensor(2) : "";
  if (a == r - 1 && shape(1).size() == 1) {
    define(0, "layer_norm(" + x + ", " + scale +
                  (bias.empty() ? "" : ", " + bias) + ", eps = " + number(eps) +
                  ")");
    return;
  }
  std::vector<int64_t> axes;
  for (int64_t i = a; i < r; ++i)
    axes.push_back(i);
  std::string centered = temporary(), variance = temporary();
  body << "  " << centered << " = " << x << " - mean(" << x
       << ", axis = " << list(axes) << ", keepdims = 1)\n";
  body << "  " << variance << " = mean(" << centered << " * " << centered
       << ", axis = " << list(axes) << ", keepdims = 1)\n";
  define(0, centered + " / sqrt(" + variance + " + " + number(eps) + ") * " +
                scale + (bias.empty() ? "" : " + " + bias));
}

void Importer::split() {
  int64_t r = rank(0);
  if (r == 0)
    fail(where() + ": its input is a scalar, which has no axis");
  int64_t a = axis(attrInt("axis", 0), r);
  int64_t n = shape(0)[a];
  std::vector<int64_t> sizes;
  if (opset >= 13 && hasInput(1))
    sizes = constInts(1);
  else if (auto s = attrInts("split"))
    sizes = *s;
  if (sizes.empty()) {
    int64_t parts = node->output_size();
    if (n % parts)
      unsupported("a split of " + std::to_string(n) + " into " +
                  std::to_string(parts) + " unequal parts");
    sizes.assign(parts, n / parts);
  }
  std::string x = tensor(0);
  if (sizes.size() == 1) {
    define(0, x);
    return;
  }
  std::string names;
  for (int i = 0; i < node->output_size(); ++i) {
    Value v = outputs[i];
    v.name = fresh(node->output(i).empty() ? "unused" : node->output(i));
    names += (i ? ", " : "") + v.name;
    if (!node->output(i).empty())
      values[node->output(i)] = v;
  }
  body << "  " << names << " = split(" << x << ", " << list(sizes)
       << ", axis = " << a << ")\n";
}

void Importer::cast() {
  int32_t to = static_cast<int32_t>(attrInt("to", 0));
  const Value &x = input(0);
  if (x.constant) {
    std::vector<double> data = *x.constant;
    if (!isFloat(to))
      for (double &d : data)
        d = std::trunc(d);
    defineConstant(0, x.shape, data, to);
    return;
  }
  auto type = elementType(to);
  if (!type)
    unsupported("a cast to " + dtypeName(to));
  if (elementType(x.type) == type) {
    define(0, x.name);
    return;
  }
  define(0, "cast(" + x.name + ", " + toString(*type).str() + ")");
}

void Importer::constantNode() {
  if (const auto *a = attr("value")) {
    std::vector<int64_t> dims(a->t().dims().begin(), a->t().dims().end());
    defineConstant(0, dims, tensorValues(a->t(), where() + "'s value"),
                   a->t().data_type());
    return;
  }
  if (const auto *a = attr("value_float")) {
    defineConstant(0, {}, {a->f()}, onnx::TensorProto::FLOAT);
    return;
  }
  if (const auto *a = attr("value_floats")) {
    defineConstant(0, {int64_t(a->floats_size())},
                   std::vector<double>(a->floats().begin(), a->floats().end()),
                   onnx::TensorProto::FLOAT);
    return;
  }
  if (const auto *a = attr("value_int")) {
    defineConstant(0, {}, {double(a->i())}, onnx::TensorProto::INT64);
    return;
  }
  if (const auto *a = attr("value_ints")) {
    defineConstant(0, {int64_t(a->ints_size())},
                   std::vector<double>(a->ints().begin(), a->ints().end()),
                   onnx::TensorProto::INT64);
    return;
  }
  unsupported("a Constant of this kind (sparse or string)");
}

void Importer::pad() {
  std::string mode = attrString("mode", "constant");
  if (mode != "constant")
    unsupported("Pad in mode " + mode + " (nabla pads with a constant)");
  int64_t r = rank(0);
  std::vector<int64_t> pads;
  double value = 0;
  if (opset < 11) {
    pads = attrInts("pads").value_or(std::vector<int64_t>{});
    value = attrFloat("value", 0);
  } else {
    pads = constInts(1);
    if (hasInput(2))
      value = constScalar(2).value_or(0);
  }
  std::vector<int64_t> axes;
  if (opset >= 18 && hasInput(3))
    axes = constInts(3);
  else
    for (int64_t i = 0; i < r; ++i)
      axes.push_back(i);
  if (pads.size() != 2 * axes.size())
    fail(where() + ": " + std::to_string(pads.size()) + " pads for " +
         std::to_string(axes.size()) + " axes");
  // ONNX: all begins, then all ends; pad(): (before, after) pairs from the
  // last dim backwards.
  std::vector<int64_t> begin(r, 0), end(r, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    begin[axis(axes[i], r)] = pads[i];
    end[axis(axes[i], r)] = pads[i + axes.size()];
  }
  std::vector<int64_t> amounts;
  for (int64_t i = r; i-- > 0;) {
    amounts.push_back(begin[i]);
    amounts.push_back(end[i]);
  }
  define(0, "pad(" + tensor(0) + ", " + list(amounts) +
                (value != 0 ? ", value = " + number(value) : "") + ")");
}

/// NegativeLogLikelihoodLoss (`softmax` false) and SoftmaxCrossEntropyLoss:
/// input [N, C] or [N, C, d...], targets [N] or [N, d...]; the class
/// picked with a comparison against arange(C) (an ignored or negative
/// target picks nothing), weighted, then reduced as `reduction` says.
void Importer::nllLoss(bool softmax) {
  int64_t r = rank(0);
  if (r < 2)
    unsupported("a loss of rank " + std::to_string(r));
  int64_t classes = shape(0)[1];
  std::string reduction = attrString("reduction", "mean");
  std::string x = tensor(0), target = tensor(1);
  if (softmax) {
    std::string lp = temporary();
    body << "  " << lp << " = log_softmax(" << x << ", axis = 1)\n";
    x = lp;
    if (node->output_size() > 1 && !node->output(1).empty())
      define(1, lp);
  }
  // The target as [N, 1, d...] against the classes as [1, C, 1...].
  std::vector<int64_t> ts = shape(1);
  std::vector<int64_t> tShape = {ts[0], 1};
  tShape.insert(tShape.end(), ts.begin() + 1, ts.end());
  std::vector<int64_t> cShape(r, 1);
  cShape[1] = classes;
  std::string picks = temporary();
  body << "  " << picks << " = cast(reshape(" << target << ", " << list(tShape)
       << ") == reshape(arange(" << classes << "), " << list(cShape) << "), "
       << toString(*elementType(input(0).type)).str() << ")\n";
  // The weight of each element's class: weight[target], 0 where ignored.
  std::string weight = "";
  if (hasInput(2)) {
    std::vector<int64_t> wShape(r, 1);
    wShape[1] = classes;
    weight = temporary();
    body << "  " << weight << " = sum(" << picks << " * reshape(" << tensor(2)
         << ", " << list(wShape) << "), axis = 1)\n";
  }
  std::string loss = temporary();
  body << "  " << loss << " = -sum(" << picks << " * " << x << ", axis = 1)"
       << (weight.empty() ? "" : " * " + weight) << "\n";
  if (attr("ignore_index")) {
    int64_t ignore = attrInt("ignore_index", 0);
    std::string type = toString(*elementType(input(0).type)).str();
    std::string keep = temporary(), kept = temporary();
    body << "  " << keep << " = cast(" << target << " != " << ignore << ", "
         << type << ")\n";
    body << "  " << kept << " = " << loss << " * " << keep << "\n";
    loss = kept;
    if (weight.empty()) {
      weight = keep;
    } else {
      std::string keptWeight = temporary();
      body << "  " << keptWeight << " = " << weight << " * " << keep << "\n";
      weight = keptWeight;
    }
  }
  if (reduction == "none")
    define(0, loss);
  else if (reduction == "sum")
    define(0, "sum(" + loss + ")");
  else if (reduction == "mean")
    define(0, weight.empty() ? "mean(" + loss + ")"
                             : "sum(" + loss + ") / sum(" + weight + ")");
  else
    unsupported("reduction '" + reduction + "'");
}

/// Arithmetic, comparisons and activations, elementwise. False when the op is
/// none of these.
bool Importer::elementwiseOp() {
  const std::string &op = node->op_type();
  static const std::map<std::string, const char *> binaryOps = {
      {"Add", "+"}, {"Sub", "-"}, {"Mul", "*"}, {"Div", "/"}, {"Pow", "**"}};
  static const std::map<std::string, const char *> compareOps = {
      {"Equal", "=="},
      {"Less", "<"},
      {"Greater", ">"},
      {"LessOrEqual", "<="},
      {"GreaterOrEqual", ">="}};
  static const std::map<std::string, const char *> unaryFns = {
      {"Relu", "relu"}, {"Sigmoid", "sigmoid"}, {"Tanh", "tanh"},
      {"Exp", "exp"},   {"Log", "log"},         {"Sqrt", "sqrt"},
      {"Abs", "abs"},   {"Erf", "erf"},         {"Softplus", "softplus"}};
  if (auto it = binaryOps.find(op); it != binaryOps.end()) {
    if (op == "Pow" && !input(0).constant && !input(1).constant &&
        (elementType(input(0).type) != elementType(input(1).type) ||
         !isFloat(input(0).type))) {
      // The result has the base's type; an integer power computes in f32
      // (exact below 2^24; the Vulkan lowering has no integer power).
      std::string a = tensor(0), b = tensor(1);
      if (isFloat(input(0).type))
        define(0, a + " ** cast(" + b + ", " +
                      toString(*elementType(input(0).type)).str() + ")");
      else
        define(0, "cast(cast(" + a + ", f32) ** cast(" + b + ", f32), i32)");
      return true;
    }
    // Shape arithmetic on folded constants stays folded.
    const Value &a = input(0), &b = input(1);
    if (a.constant && b.constant && a.constant->size() == 1 &&
        b.constant->size() == 1 && a.shape == b.shape) {
      double x = a.constant->front(), y = b.constant->front(), z = 0;
      switch (op[0]) {
      case 'A':
        z = x + y;
        break;
      case 'S':
        z = x - y;
        break;
      case 'M':
        z = x * y;
        break;
      case 'D':
        // Integer division truncates in ONNX (head_dim = embed / heads).
        if (!isFloat(a.type) && y == 0)
          fail("integer division by zero");
        z = isFloat(a.type) ? x / y : std::trunc(x / y);
        break;
      default:
        z = std::pow(x, y);
      }
      defineConstant(0, a.shape, {z}, a.type);
      return true;
    }
    // Integer division truncates in ONNX; nabla's / on i32 is not that.
    if (op == "Div" && !isFloat(input(0).type))
      unsupported("integer division of computed tensors");
    binary(it->second);
    return true;
  }
  if (auto it = compareOps.find(op); it != compareOps.end()) {
    binary(it->second);
    return true;
  }
  if (auto it = unaryFns.find(op); it != unaryFns.end()) {
    if (!isFloat(input(0).type))
      unsupported(op + " of " + dtypeName(input(0).type));
    define(0, std::string(it->second) + "(" + tensor(0) + ")");
    if (op == "Sqrt")
      values[node->output(0)].sqrtOf = tensor(0);
    return true;
  }
  if (op == "Neg") {
    define(0, "-" + tensor(0));
    return true;
  }
  if (op == "Reciprocal") {
    const Value &x = input(0);
    define(0,
           x.sqrtOf.empty() ? "1 / " + tensor(0) : "rsqrt(" + x.sqrtOf + ")");
    return true;
  }
  if (op == "OneHot") {
    // one_hot(ids, depth) scaled to [off, on]; negative ids count from
    // the end, as ONNX says.
    std::vector<int64_t> depth = constInts(1);
    const auto &offOn = numbers(2);
    if (!offOn)
      unsupported("values (input 2) must be a constant nabla can fold");
    int64_t r = rank(0), axis = attrInt("axis", -1);
    if (depth.size() != 1 || offOn->size() != 2)
      fail(where() + ": depth must be one number and values two");
    if (axis < 0)
      axis += r + 1;
    if (axis < 0 || axis > r)
      fail(where() + ": axis " + std::to_string(attrInt("axis", -1)) +
           " is out of range");
    // ONNX's shape inference leaves the one-hot dim unknown.
    outputs[0].shape = shape(0);
    outputs[0].shape.insert(outputs[0].shape.begin() + axis, depth[0]);
    outputs[0].shapeKnown = true;
    std::string ids = tensor(0), d = std::to_string(depth[0]);
    if (isFloat(input(0).type)) { // float indices are cast, as ONNX says
      ids = temporary();
      body << "  " << ids << " = cast(" << tensor(0) << ", i32)\n";
    }
    std::string expr = "one_hot(where(" + ids + " < 0, " + ids + " + " + d +
                       ", " + ids + "), " + d + ")";
    double off = (*offOn)[0], on = (*offOn)[1];
    if (off != 0 || on != 1)
      expr = expr + " * " + number(on - off) + " + " + number(off);
    auto type = elementType(outputs[0].type);
    if (!type)
      unsupported("values of type " + dtypeName(outputs[0].type));
    if (*type != ElementType::F32)
      expr = "cast(" + expr + ", " + toString(*type).str() + ")";
    if (axis != r) { // the one-hot dim (last) moved to `axis`
      std::vector<int64_t> perm;
      for (int64_t d = 0; d < r; ++d) {
        if (d == axis)
          perm.push_back(r);
        perm.push_back(d);
      }
      expr = "transpose(" + expr + ", perm = " + list(perm) + ")";
    }
    define(0, expr);
    return true;
  }
  if (op == "Dropout" && hasInput(2) &&
      (!input(2).constant || input(2).constant->at(0) != 0))
    unsupported("Dropout in training mode (random)");
  if (op == "Identity" || op == "Dropout") {
    for (int i = 1; i < node->output_size(); ++i)
      if (!node->output(i).empty())
        unsupported("Dropout's mask output");
    const Value &x = input(0);
    if (x.constant) {
      values[node->output(0)] = x;
      return true;
    }
    define(0, x.name);
    return true;
  }
  if (op == "LeakyRelu") {
    define(0, "leaky_relu(" + tensor(0) +
                  ", slope = " + number(attrFloat("alpha", 0.01)) + ")");
    return true;
  }
  if (op == "Elu") {
    define(0, "elu(" + tensor(0) +
                  ", alpha = " + number(attrFloat("alpha", 1)) + ")");
    return true;
  }
  if (op == "Selu") {
    double alpha = attrFloat("alpha", 1.67326319217681884765625);
    double gamma = attrFloat("gamma", 1.05070102214813232421875);
    std::string x = tensor(0);
    define(0, number(gamma) + " * where(" + x + " > 0, " + x + ", " +
                  number(alpha) + " * (exp(" + x + ") - 1))");
    return true;
  }
  if (op == "HardSigmoid") {
    define(0, "clamp(" + number(attrFloat("alpha", 0.2)) + " * " + tensor(0) +
                  " + " + number(attrFloat("beta", 0.5)) + ", 0, 1)");
    return true;
  }
  if (op == "Softsign") {
    std::string x = tensor(0);
    define(0, x + " / (1 + abs(" + x + "))");
    return true;
  }
  if (op == "PRelu") {
    std::string x = tensor(0);
    define(0,
           "where(" + x + " < 0, " + operand(1) + " * " + x + ", " + x + ")");
    return true;
  }
  if (op == "Clip") {
    double lo = -INFINITY, hi = INFINITY;
    if (opset < 11) {
      lo = attrFloat("min", lo);
      hi = attrFloat("max", hi);
    } else {
      lo = constScalar(1).value_or(lo);
      hi = constScalar(2).value_or(hi);
    }
    define(0,
           "clamp(" + tensor(0) + ", " + number(lo) + ", " + number(hi) + ")");
    return true;
  }
  if (op == "Max" || op == "Min" || op == "Sum" || op == "Mean") {
    std::string expr = tensor(0);
    bool min = op == "Min";
    if (min)
      expr = "-" + expr;
    for (int i = 1; i < node->input_size(); ++i) {
      std::string next = min ? "-" + tensor(i) : tensor(i);
      expr = op == "Max" || op == "Min" ? "maximum(" + expr + ", " + next + ")"
                                        : "(" + expr + " + " + next + ")";
    }
    if (min)
      expr = "-" + expr;
    if (op == "Mean")
      expr += " / " + std::to_string(node->input_size());
    if (node->input_size() == 1 && (op == "Max" || op == "Min"))
      expr = tensor(0);
    define(0, expr);
    return true;
  }
  return false;
}

/// Softmax, the matrix products and the reductions. False when the op is none
/// of these.
bool Importer::matmulOrReductionOp() {
  const std::string &op = node->op_type();
  if (op == "Softmax" || op == "LogSoftmax") {
    softmax(op == "Softmax" ? "softmax" : "log_softmax");
    return true;
  }
  if (op == "MatMul") {
    matmul();
    return true;
  }
  if (op == "Gemm") {
    gemm();
    return true;
  }
  if (op == "ReduceSum") {
    reduce("sum", false);
    return true;
  }
  if (op == "ReduceMean") {
    reduce("mean", false);
    return true;
  }
  if (op == "ReduceMax") {
    reduce("max", false);
    return true;
  }
  if (op == "ReduceMin") {
    reduce("max", true);
    return true;
  }
  if (op == "ReduceSumSquare") {
    reduce("sum", false, "@ * @");
    return true;
  }
  if (op == "ReduceL1") {
    reduce("sum", false, "abs(@)");
    return true;
  }
  if (op == "ReduceL2") {
    reduce("sum", false, "@ * @", "sqrt(@)");
    return true;
  }
  if (op == "ReduceLogSum") {
    reduce("sum", false, "", "log(@)");
    return true;
  }
  if (op == "ReduceLogSumExp") {
    reduce("logsumexp", false);
    return true;
  }
  return false;
}

/// Activations, normalizations and losses nabla composes from its built-ins.
/// False when the op is none of these.
bool Importer::compositeOp() {
  const std::string &op = node->op_type();
  if (op == "Celu") {
    std::string x = tensor(0), a = number(attrFloat("alpha", 1));
    define(0, "where(" + x + " > 0, " + x + ", " + a + " * (exp(" + x + " / " +
                  a + ") - 1))");
    return true;
  }
  if (op == "HardSwish") {
    std::string x = tensor(0);
    define(0, x + " * clamp(" + x + " / 6 + 0.5, 0, 1)");
    return true;
  }
  if (op == "Mish") {
    std::string x = tensor(0);
    define(0, x + " * tanh(softplus(" + x + "))");
    return true;
  }
  if (op == "ThresholdedRelu") {
    std::string x = tensor(0);
    define(0, "where(" + x + " > " + number(attrFloat("alpha", 1)) + ", " + x +
                  ", 0)");
    return true;
  }
  if (op == "Shrink") {
    std::string x = tensor(0), bias = number(attrFloat("bias", 0)),
                lambd = number(attrFloat("lambd", 0.5));
    if (!isFloat(input(0).type))
      unsupported("Shrink of " + dtypeName(input(0).type));
    define(0, "where(" + x + " < -" + lambd + ", " + x + " + " + bias +
                  ", where(" + x + " > " + lambd + ", " + x + " - " + bias +
                  ", 0))");
    return true;
  }
  if (op == "Sign") {
    std::string x = tensor(0);
    std::string t = toString(*elementType(input(0).type)).str();
    define(0,
           "cast(" + x + " > 0, " + t + ") - cast(" + x + " < 0, " + t + ")");
    return true;
  }
  if (op == "IsNaN") {
    std::string x = tensor(0);
    define(0, "(" + x + " != " + x + ")");
    return true;
  }
  if (op == "IsInf") {
    std::string x = tensor(0);
    bool positive = attrInt("detect_positive", 1),
         negative = attrInt("detect_negative", 1);
    std::string big = "3.4028234663852886e38";
    define(0, positive && negative ? "(abs(" + x + ") > " + big + ")"
              : positive           ? "(" + x + " > " + big + ")"
              : negative           ? "(" + x + " < -" + big + ")"
                                   : "(" + x + " != " + x + ")");
    return true;
  }
  if (op == "CastLike") {
    auto type = elementType(input(1).type);
    if (!type)
      unsupported("a cast to " + dtypeName(input(1).type));
    if (elementType(input(0).type) == type) {
      define(0, tensor(0));
      return true;
    }
    define(0, "cast(" + tensor(0) + ", " + toString(*type).str() + ")");
    return true;
  }
  if (op == "InstanceNormalization" || op == "MeanVarianceNormalization") {
    int64_t r = rank(0);
    std::vector<int64_t> axes;
    if (op == "InstanceNormalization")
      for (int64_t i = 2; i < r; ++i)
        axes.push_back(i);
    else
      for (int64_t a : attrInts("axes").value_or(std::vector<int64_t>{0, 2, 3}))
        axes.push_back(axis(a, r));
    std::string x = tensor(0), m = temporary(), d = temporary();
    std::string over = ", axis = " + list(axes) + ", keepdims = 1)";
    body << "  " << m << " = mean(" << x << over << "\n";
    body << "  " << d << " = " << x << " - " << m << "\n";
    if (op == "MeanVarianceNormalization") {
      // ONNX's function body: (x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9).
      define(0, d + " / (sqrt(mean(" + x + " * " + x + over + " - " + m +
                    " * " + m + ") + 1e-9)");
      return true;
    }
    if (r < 2 || shape(1).size() != 1)
      fail(where() + ": x " + list(shape(0)) + " and scale " + list(shape(1)) +
           " are not [N, C, ...] and [C]");
    std::vector<int64_t> c = {shape(1)[0]};
    c.resize(r - 1, 1);
    define(0, d + " / sqrt(mean(" + d + " * " + d + over + " + " +
                  number(attrFloat("epsilon", 1e-5)) + ") * reshape(" +
                  tensor(1) + ", " + list(c) + ") + reshape(" + tensor(2) +
                  ", " + list(c) + ")");
    return true;
  }
  if (op == "Pad") {
    pad();
    return true;
  }
  if (op == "NegativeLogLikelihoodLoss") {
    nllLoss(false);
    return true;
  }
  if (op == "SoftmaxCrossEntropyLoss") {
    nllLoss(true);
    return true;
  }
  if (op == "EyeLike") {
    const auto &s = shape(0);
    if (s.size() != 2)
      unsupported("EyeLike of rank " + std::to_string(s.size()));
    int64_t k = attrInt("k", 0);
    std::vector<double> data(s[0] * s[1], 0);
    for (int64_t i = 0; i < s[0]; ++i)
      if (i + k >= 0 && i + k < s[1])
        data[i * s[1] + i + k] = 1;
    int32_t type = static_cast<int32_t>(attrInt("dtype", input(0).type));
    defineConstant(0, s, data, type);
    return true;
  }
  return false;
}

/// Shapes, indexing, logic, casts and the constants folded at import. False
/// when the op is none of these.
bool Importer::shapeOp() {
  const std::string &op = node->op_type();
  if (op == "Transpose") {
    std::vector<int64_t> perm;
    if (auto p = attrInts("perm"))
      perm = *p;
    else
      for (int64_t i = rank(0); i-- > 0;)
        perm.push_back(i);
    define(0, "transpose(" + tensor(0) + ", perm = " + list(perm) + ")");
    return true;
  }
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" ||
      op == "Unsqueeze") {
    const Value &x = input(0);
    const std::vector<int64_t> &out = outShape(0);
    if (x.constant) {
      defineConstant(0, out, *x.constant, x.type);
      return true;
    }
    define(0, "reshape(" + x.name + ", " + list(out) + ")");
    return true;
  }
  if (op == "Expand") {
    const std::vector<int64_t> &out = outShape(0);
    if (shape(0) == out) {
      define(0, tensor(0));
      return true;
    }
    define(0, "broadcast_to(" + tensor(0) + ", " + list(out) + ")");
    return true;
  }
  if (op == "Concat") {
    int64_t r = rank(0);
    bool folded = r == 1;
    for (int i = 0; i < node->input_size(); ++i)
      folded &= input(i).constant.has_value();
    if (folded) {
      std::vector<double> data;
      for (int i = 0; i < node->input_size(); ++i)
        data.insert(data.end(), input(i).constant->begin(),
                    input(i).constant->end());
      defineConstant(0, {int64_t(data.size())}, data, input(0).type);
      return true;
    }
    std::string parts;
    for (int i = 0; i < node->input_size(); ++i)
      parts += (i ? ", " : "") + tensor(i);
    define(0, "concat([" + parts + "], axis = " +
                  std::to_string(axis(attrInt("axis", 0), r)) + ")");
    return true;
  }
  if (op == "Split") {
    split();
    return true;
  }
  if (op == "Slice") {
    slice();
    return true;
  }
  if (op == "Gather") {
    gather();
    return true;
  }
  if (op == "Where") {
    define(0,
           "where(" + tensor(0) + ", " + operand(1) + ", " + operand(2) + ")");
    return true;
  }
  // Booleans compute as 0 and 1 in i32 (nabla's i1 has no arithmetic).
  if (op == "Not") {
    define(0, "(cast(" + tensor(0) + ", i32) == 0)");
    return true;
  }
  if (op == "And" || op == "Or" || op == "Xor") {
    std::string a = "cast(" + tensor(0) + ", i32)",
                b = "cast(" + tensor(1) + ", i32)";
    define(0, op == "And"  ? "(" + a + " * " + b + " == 1)"
              : op == "Or" ? "(" + a + " + " + b + " > 0)"
                           : "(" + a + " != " + b + ")");
    return true;
  }
  if (op == "Cast") {
    cast();
    return true;
  }
  if (op == "Constant") {
    constantNode();
    return true;
  }
  if (op == "ConstantOfShape") {
    std::vector<int64_t> s = constInts(0);
    double v = 0;
    int32_t type = onnx::TensorProto::FLOAT;
    if (const auto *a = attr("value")) {
      v = tensorValues(a->t(), where() + "'s value").at(0);
      type = a->t().data_type();
    }
    defineConstant(0, s, std::vector<double>(product(s), v), type);
    return true;
  }
  if (op == "Shape") {
    const auto &s = shape(0);
    int64_t r = s.size();
    int64_t begin = attrInt("start", 0), end = attrInt("end", r);
    begin = std::clamp<int64_t>(begin < 0 ? begin + r : begin, 0, r);
    end = std::clamp<int64_t>(end < 0 ? end + r : end, 0, r);
    std::vector<double> dims(s.begin() + begin,
                             s.begin() + std::max(begin, end));
    defineConstant(0, {int64_t(dims.size())}, dims, onnx::TensorProto::INT64);
    return true;
  }
  if (op == "Size") {
    defineConstant(0, {}, {double(product(shape(0)))},
                   onnx::TensorProto::INT64);
    return true;
  }
  if (op == "Range") {
    double start = *constScalar(0), limit = *constScalar(1),
           delta = *constScalar(2);
    if (delta == 0)
      fail(where() + ": a Range with delta 0");
    std::vector<double> data;
    int64_t n =
        std::max<int64_t>(0, int64_t(std::ceil((limit - start) / delta)));
    for (int64_t i = 0; i < n; ++i)
      data.push_back(start + i * delta);
    defineConstant(0, {n}, data, input(0).type);
    return true;
  }
  if (op == "Trilu") {
    int64_t k = hasInput(1) ? constInts(1).at(0) : 0;
    bool upper = attrInt("upper", 1);
    const Value &x = input(0);
    if (x.constant && rank(0) >= 2) {
      // A constant (an attention mask), folded: rows and columns are the
      // last two dims; an element is kept on its side of diagonal k.
      int64_t rows = x.shape[x.shape.size() - 2], cols = x.shape.back();
      std::vector<double> data = *x.constant;
      for (size_t i = 0; i < data.size(); ++i) {
        int64_t r = (i / cols) % rows, c = i % cols;
        if (upper ? c - r < k : c - r > k)
          data[i] = 0;
      }
      defineConstant(0, x.shape, data, x.type);
      return true;
    }
    std::string t = tensor(0);
    bool boolean = x.type == onnx::TensorProto::BOOL;
    if (boolean) // nabla's triu selects numbers
      t = "cast(" + t + ", i32)";
    t = std::string(upper ? "triu" : "tril") + "(" + t +
        ", diagonal = " + std::to_string(k) + ")";
    define(0, boolean ? "cast(" + t + ", i1)" : t);
    return true;
  }
  return false;
}

/// Convolutions, pooling and the normalization layers. False when the op is
/// none of these.
bool Importer::networkOp() {
  const std::string &op = node->op_type();
  if (op == "Conv" || op == "ConvTranspose") {
    conv(op == "ConvTranspose");
    return true;
  }
  if (op == "MaxPool" || op == "AveragePool") {
    pool(op == "MaxPool");
    return true;
  }
  if (op == "GlobalAveragePool") {
    define(0, "global_avg_pool(" + tensor(0) + ")");
    return true;
  }
  if (op == "GlobalMaxPool") {
    std::vector<int64_t> axes;
    for (int64_t i = 2; i < rank(0); ++i)
      axes.push_back(i);
    define(0,
           "max(" + tensor(0) + ", axis = " + list(axes) + ", keepdims = 1)");
    return true;
  }
  if (op == "BatchNormalization") {
    batchNorm();
    return true;
  }
  if (op == "LayerNormalization") {
    layerNorm();
    return true;
  }
  return false;
}

void Importer::translateOp() {
  if (elementwiseOp() || matmulOrReductionOp() || compositeOp() || shapeOp() ||
      networkOp())
    return;
  unsupported("nabla has no translation of " + node->op_type());
}

} // namespace nabla::onnx_import
