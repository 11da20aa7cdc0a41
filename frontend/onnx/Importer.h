//===- Importer.h - The ONNX importer's pieces ------------------*- C++ -*-===//
//
// Shared by the files of frontend/onnx: the tensors of a model
// (OnnxTensors.cpp), the graph walk and the .nb text it writes
// (OnnxImport.cpp) and the translation of each op (OnnxOps.cpp). See
// nabla/frontend/OnnxImport.h for what the importer does.
//
// These files are compiled with exceptions: libonnx reports bad models by
// throwing, and so does the importer (ImportError, Unsupported), caught
// at the public functions.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_FRONTEND_ONNX_IMPORTER_H
#define NABLA_FRONTEND_ONNX_IMPORTER_H

#include "nabla/frontend/OnnxImport.h"
#include "nabla/runtime/Tensor.h"

#include "onnx/onnx_pb.h"

#include "llvm/ADT/ArrayRef.h"

#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace nabla::onnx_import {

inline constexpr int kMinOpset = 7, kMaxOpset = 17;
/// The most elements a constant may have to be written as a literal.
inline constexpr int64_t kMaxLiteral = 1 << 16;

/// An error of the whole import: the file's name, then what.
struct ImportError {
  std::string message;
};

[[noreturn]] void fail(const std::string &message);
/// `text` as a .nb string literal (quotes and backslashes escaped).
std::string quoted(const std::string &text);
/// `text` with control characters as '?', for comments and messages.
std::string printable(const std::string &text);
std::string join(llvm::ArrayRef<int64_t> values);
std::string list(llvm::ArrayRef<int64_t> values);
int64_t product(llvm::ArrayRef<int64_t> shape);
/// A float as the .nb lexer reads it back to the same f32 (or f64) value.
std::string number(double v);
std::string dtypeName(int32_t type);
/// The .nb element type of an ONNX one: int64 computes as i32 (nabla's
/// integers), as the ids and counts models hold fit in it.
std::optional<ElementType> elementType(int32_t type);
bool isFloat(int32_t type);
/// The values of a TensorProto as doubles, checked against its dims.
std::vector<double> tensorValues(const onnx::TensorProto &t,
                                 const std::string &what);
Tensor toTensor(const onnx::TensorProto &t, const std::string &what);
/// Parses the protobuf file at `path` into `message` (false when it does
/// not parse); a file it cannot read is an ImportError.
bool parseProtoFile(const std::string &path,
                    google::protobuf::MessageLite &message);
onnx::ModelProto readModel(const std::string &path);

/// What the importer knows of an ONNX value.
struct Value {
  std::string name;           // the .nb name of a computed tensor; empty
                              // for a folded constant
  int32_t type = 0;           // ONNX element type
  std::vector<int64_t> shape; // static
  bool shapeKnown = false;
  std::optional<std::vector<double>> constant; // folded values
  // A graph input's value given at import (OnnxImportOptions::inputValues),
  // for an op that needs numbers.
  std::optional<std::vector<double>> known;
  // For Sqrt's output: the .nb name of its operand, so that a Reciprocal
  // of it is rsqrt (PyTorch's torch.rsqrt, nabla's own export).
  std::string sqrtOf;
};

/// An op the importer does not translate (counted apart by the
/// conformance runner from a wrong result).
struct Unsupported {
  std::string message;
};

/// A node whose output shapes (or an input's) shape inference could not
/// tell: ONNX's data propagation stops at some shape arithmetic (Mul,
/// Div) that the importer folds. importOnnx then writes the folded values
/// into the model as initializers and infers the shapes again.
struct UnknownShape {
  std::string message;
};

/// Names an ONNX value may not take in the .nb source (OnnxImport.cpp).
extern const std::set<std::string> kReserved;

class Importer {
public:
  Importer(onnx::ModelProto &model, const OnnxImportOptions &options,
           std::string weightsFile)
      : model(model), options(options), weightsFile(std::move(weightsFile)) {}

  OnnxImport run(const std::string &stem);
  /// After an UnknownShape: makes every value folded so far that a node
  /// computed an initializer of the model, its nodes removed, and adds its
  /// name to `folded`. False when there was none (no progress to make).
  bool foldIntoModel(std::set<std::string> &folded);
  /// Initializers that an earlier round folded: constants, never params.
  std::set<std::string> foldedInitializers;

private:
  void bindInputShapes(const std::vector<onnx::ValueInfoProto *> &inputs,
                       std::map<std::string, int64_t> &dims);

private:
  onnx::ModelProto &model;
  const OnnxImportOptions &options;
  std::string weightsFile;
  int opset = 0;
  std::map<std::string, Value> values;
  std::map<std::string, const onnx::TypeProto *> inferred;
  std::set<std::string> used;
  std::ostringstream body;
  std::vector<std::pair<std::string, Tensor>> weights;
  std::vector<std::pair<std::string, std::string>> inputNames;
  const onnx::NodeProto *node = nullptr; // the node being translated
  int nodeIndex = 0;
  int temporaries = 0;

  // --- names ---
  std::string fresh(const std::string &onnxName) {
    std::string name;
    for (char c : onnxName)
      name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) ||
        name[0] == '_')
      name = "v" + name;
    if (kReserved.count(name))
      name += "_";
    std::string unique = name;
    for (int i = 2; used.count(unique); ++i)
      unique = name + "_" + std::to_string(i);
    used.insert(unique);
    return unique;
  }
  std::string temporary() { return fresh("t" + std::to_string(temporaries++)); }

  // --- the node's inputs and attributes ---
  std::string where() const {
    std::string name = node->name().empty() ? "" : " '" + node->name() + "'";
    return "node " + std::to_string(nodeIndex) + name + " (" + node->op_type() +
           ", opset " + std::to_string(opset) + ")";
  }
  [[noreturn]] void unsupported(const std::string &why) const {
    throw Unsupported{where() + ": " + why};
  }
  bool hasInput(int i) const {
    return i < node->input_size() && !node->input(i).empty();
  }
  const Value &input(int i) const {
    if (!hasInput(i))
      fail(where() + " lacks its input " + std::to_string(i));
    auto it = values.find(node->input(i));
    if (it == values.end())
      fail(where() + " reads '" + node->input(i) +
           "', which no node or input before it defines");
    return it->second;
  }
  const std::vector<int64_t> &shape(int i) const {
    const Value &v = input(i);
    if (!v.shapeKnown)
      throw UnknownShape{where() + ": the shape of input '" + node->input(i) +
                         "' is not known (bind the model's symbolic dims "
                         "with --dim)"};
    return v.shape;
  }
  int64_t rank(int i) const { return shape(i).size(); }
  const onnx::AttributeProto *attr(const std::string &name) const {
    for (const auto &a : node->attribute())
      if (a.name() == name)
        return &a;
    return nullptr;
  }
  int64_t attrInt(const std::string &name, int64_t fallback) const {
    const auto *a = attr(name);
    return a ? a->i() : fallback;
  }
  double attrFloat(const std::string &name, double fallback) const {
    const auto *a = attr(name);
    return a ? a->f() : fallback;
  }
  std::string attrString(const std::string &name,
                         const std::string &fallback) const {
    const auto *a = attr(name);
    return a ? a->s() : fallback;
  }
  std::optional<std::vector<int64_t>> attrInts(const std::string &name) const {
    const auto *a = attr(name);
    if (!a)
      return std::nullopt;
    return std::vector<int64_t>(a->ints().begin(), a->ints().end());
  }
  /// A list attribute that must be there.
  std::vector<int64_t> requiredInts(const std::string &name) const {
    auto values = attrInts(name);
    if (!values)
      fail(where() + " lacks its attribute " + name);
    return *values;
  }
  /// A list attribute of `n` values each at least `min` (kernel sizes,
  /// strides, pads: `n` follows from the input's rank), or `fallback`
  /// where it is absent.
  std::vector<int64_t> attrIntsOf(const std::string &name, size_t n,
                                  int64_t min,
                                  std::vector<int64_t> fallback) const {
    std::vector<int64_t> values = attrInts(name).value_or(std::move(fallback));
    if (values.size() != n)
      fail(where() + ": attribute " + name + " has " +
           std::to_string(values.size()) + " values, not " + std::to_string(n));
    for (int64_t v : values)
      if (v < min || v > (int64_t(1) << 31))
        fail(where() + ": attribute " + name + " holds " + std::to_string(v));
    return values;
  }
  /// Refuses an attribute the translation does not honour unless it has
  /// its default.
  void requireDefault(const std::string &name, int64_t fallback) const {
    if (attr(name) && attrInt(name, fallback) != fallback)
      unsupported("attribute " + name + " = " +
                  std::to_string(attrInt(name, fallback)) +
                  " is not supported");
  }

  /// Input `i` as folded integers (a shape, axes, bounds).
  /// The numbers of input `i`: folded, or given for a graph input.
  const std::optional<std::vector<double>> &numbers(int i) const {
    const Value &v = input(i);
    return v.constant ? v.constant : v.known;
  }
  std::vector<int64_t> constInts(int i) const {
    const auto &values = numbers(i);
    if (!values)
      unsupported("input " + std::to_string(i) + " ('" + node->input(i) +
                  "') must be a constant nabla can fold");
    std::vector<int64_t> ints;
    for (double d : *values)
      ints.push_back(static_cast<int64_t>(d));
    return ints;
  }
  std::optional<double> constScalar(int i) const {
    if (!hasInput(i))
      return std::nullopt;
    const auto &values = numbers(i);
    if (!values || values->size() != 1)
      unsupported("input " + std::to_string(i) + " ('" + node->input(i) +
                  "') must be a constant scalar");
    return values->front();
  }

  /// Input `i` as a .nb tensor expression.
  std::string tensor(int i) { return materialize(input(i)); }
  std::string materialize(const Value &v) {
    if (!v.constant)
      return v.name;
    auto type = elementType(v.type);
    if (!type)
      unsupported("a constant of type " + dtypeName(v.type));
    const std::vector<double> &data = *v.constant;
    if (int64_t(data.size()) > kMaxLiteral)
      unsupported("a constant of " + std::to_string(data.size()) +
                  " elements (more than a literal may hold)");
    // Nested arrays, as the shape; a scalar is a one-element array made
    // rank 0.
    std::string text;
    std::function<void(size_t, int64_t &)> nest = [&](size_t dim, int64_t &at) {
      if (dim == v.shape.size()) {
        text += number(data[at++]);
        return;
      }
      text += "[";
      for (int64_t k = 0; k < v.shape[dim]; ++k) {
        if (k)
          text += ", ";
        nest(dim + 1, at);
      }
      text += "]";
    };
    int64_t at = 0;
    if (v.shape.empty())
      text = "reshape([" + number(data[0]) + "], [])";
    else
      nest(0, at);
    std::string castTo = *type == ElementType::F32 ? "" : toString(*type).str();
    std::string name = temporary();
    body << "  " << name << " = "
         << (castTo.empty() ? text : "cast(" + text + ", " + castTo + ")")
         << "\n";
    return name;
  }
  /// A constant scalar input as a number, else the tensor.
  std::string operand(int i) {
    const Value &v = input(i);
    if (v.constant && v.constant->size() == 1 && v.shape.empty())
      return number(v.constant->front());
    return tensor(i);
  }

  // --- outputs ---
  /// The inferred type of output `i` (shape inference filled it).
  Value outputInfo(int i) const {
    Value v;
    auto it = inferred.find(node->output(i));
    if (it == inferred.end() || !it->second->has_tensor_type())
      return v;
    const auto &t = it->second->tensor_type();
    v.type = t.elem_type();
    if (t.has_shape()) {
      v.shapeKnown = true;
      for (const auto &d : t.shape().dim()) {
        if (!d.has_dim_value()) {
          v.shapeKnown = false;
          v.shape.clear();
          break;
        }
        v.shape.push_back(d.dim_value());
      }
    }
    return v;
  }
  const std::vector<int64_t> &outShape(int i) {
    auto &v = outputs[i];
    if (!v.shapeKnown)
      throw UnknownShape{where() + ": the shape of output '" + node->output(i) +
                         "' is not known (bind the model's symbolic dims "
                         "with --dim)"};
    return v.shape;
  }
  std::vector<Value> outputs; // the node's, from shape inference

  /// Binds output `i` to the .nb expression `expr`.
  void define(int i, const std::string &expr) {
    Value v = outputs[i];
    v.name = fresh(node->output(i));
    body << "  " << v.name << " = " << expr << "\n";
    values[node->output(i)] = v;
  }
  /// Binds output `i` to a folded constant.
  void defineConstant(int i, std::vector<int64_t> shape,
                      std::vector<double> data, int32_t type) {
    Value v;
    v.type = type;
    v.shape = std::move(shape);
    v.shapeKnown = true;
    v.constant = std::move(data);
    values[node->output(i)] = v;
  }

  // --- graph ---
  void declareInputs(std::ostringstream &signature, std::ostringstream &params);
  std::string typeText(int32_t type, const std::vector<int64_t> &shape) const;
  void translate(const onnx::NodeProto &n);
  void translateOp();
  bool elementwiseOp();
  bool matmulOrReductionOp();
  bool compositeOp();
  bool shapeOp();
  bool networkOp();
  int64_t axis(int64_t a, int64_t rank) const {
    if (a < -rank || a >= std::max<int64_t>(rank, 1))
      fail(where() + ": axis " + std::to_string(a) + " is outside rank " +
           std::to_string(rank));
    return a < 0 ? a + rank : a;
  }

  // --- ops ---
  void binary(const char *op);
  void reduce(const std::string &fn, bool negate,
              const std::string &before = "", const std::string &after = "");
  void nllLoss(bool softmax);
  void pad();
  void softmax(const std::string &fn);
  void matmul();
  void gemm();
  void slice();
  void gather();
  void conv(bool transpose);
  void pool(bool max);
  void batchNorm();
  void layerNorm();
  void split();
  void cast();
  void constantNode();
  std::vector<int64_t> reduceAxes(int64_t r, bool &identity);
};

} // namespace nabla::onnx_import

#endif // NABLA_FRONTEND_ONNX_IMPORTER_H
