//===- OnnxImport.cpp - ONNX models as .nb source -------------------------===//
//
// See OnnxImport.h. One pass over the graph's nodes (ONNX keeps them in
// topological order): each value is either a tensor the .nb model computes
// (a name there) or a constant the importer folds (Constant nodes, the
// shapes Shape gives, integer initializers), which an op that needs a
// number (Reshape's shape, Slice's bounds) reads and an op that needs a
// tensor gets as a literal. Shapes come from ONNX's own shape inference,
// run on the model with the symbolic dims bound.
//
// This file is compiled with exceptions: libonnx reports bad models by
// throwing (checker, shape inference), and they stop here.
//
//===----------------------------------------------------------------------===//
#include "nabla/frontend/OnnxImport.h"
#include "nabla/runtime/Init.h"
#include "nabla/support/Error.h"

#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>

using namespace nabla;

namespace {

constexpr int kMinOpset = 7, kMaxOpset = 17;
/// The most elements a constant may have to be written as a literal.
constexpr int64_t kMaxLiteral = 1 << 16;

/// An error of the whole import: the file's name, then what.
struct ImportError {
  std::string message;
};

[[noreturn]] void fail(const std::string &message) {
  throw ImportError{message};
}

std::string join(llvm::ArrayRef<int64_t> values) {
  std::string s;
  for (auto [i, v] : llvm::enumerate(values))
    s += (i ? ", " : "") + std::to_string(v);
  return s;
}

std::string list(llvm::ArrayRef<int64_t> values) {
  return "[" + join(values) + "]";
}

int64_t product(llvm::ArrayRef<int64_t> shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

/// A float as the .nb lexer reads it back to the same f32 (or f64) value.
std::string number(double v) {
  if (std::isinf(v))
    return v > 0 ? "3.4028234663852886e38" : "-3.4028234663852886e38";
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

std::string dtypeName(int32_t type) {
  switch (type) {
  case onnx::TensorProto::FLOAT:
    return "float";
  case onnx::TensorProto::UINT8:
    return "uint8";
  case onnx::TensorProto::INT8:
    return "int8";
  case onnx::TensorProto::UINT16:
    return "uint16";
  case onnx::TensorProto::INT16:
    return "int16";
  case onnx::TensorProto::INT32:
    return "int32";
  case onnx::TensorProto::INT64:
    return "int64";
  case onnx::TensorProto::STRING:
    return "string";
  case onnx::TensorProto::BOOL:
    return "bool";
  case onnx::TensorProto::FLOAT16:
    return "float16";
  case onnx::TensorProto::DOUBLE:
    return "double";
  case onnx::TensorProto::UINT32:
    return "uint32";
  case onnx::TensorProto::UINT64:
    return "uint64";
  case onnx::TensorProto::COMPLEX64:
    return "complex64";
  case onnx::TensorProto::COMPLEX128:
    return "complex128";
  case onnx::TensorProto::BFLOAT16:
    return "bfloat16";
  default:
    return "type " + std::to_string(type);
  }
}

/// The .nb element type of an ONNX one: int64 computes as i32 (nabla's
/// integers), as the ids and counts models hold fit in it.
std::optional<ElementType> elementType(int32_t type) {
  switch (type) {
  case onnx::TensorProto::FLOAT:
    return ElementType::F32;
  case onnx::TensorProto::FLOAT16:
    return ElementType::F16;
  case onnx::TensorProto::BFLOAT16:
    return ElementType::BF16;
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::INT64:
    return ElementType::I32;
  case onnx::TensorProto::BOOL:
    return ElementType::I1;
  default:
    return std::nullopt;
  }
}

bool isFloat(int32_t type) {
  return type == onnx::TensorProto::FLOAT ||
         type == onnx::TensorProto::FLOAT16 ||
         type == onnx::TensorProto::BFLOAT16 ||
         type == onnx::TensorProto::DOUBLE;
}

/// The values of a TensorProto as doubles (every type a model's numbers
/// come in), checked against its dims.
std::vector<double> tensorValues(const onnx::TensorProto &t,
                                 const std::string &what) {
  std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  for (int64_t d : dims)
    if (d < 0)
      fail(what + " has a negative dim " + list(dims));
  int64_t n = product(dims);
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    fail(what + " keeps its data in an external file, which nabla does not "
                "read; save the model with its weights inside");
  std::vector<double> values;
  auto take = [&](auto begin, auto end) {
    for (auto it = begin; it != end; ++it)
      values.push_back(static_cast<double>(*it));
  };
  int32_t type = t.data_type();
  if (t.has_raw_data()) {
    const std::string &raw = t.raw_data();
    auto unpack = [&](auto sample) {
      using T = decltype(sample);
      if (raw.size() != size_t(n) * sizeof(T))
        fail(what + " has " + std::to_string(raw.size()) +
             " bytes of data but its dims " + list(dims) + " need " +
             std::to_string(n * sizeof(T)));
      for (int64_t i = 0; i < n; ++i) {
        T v;
        std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
        values.push_back(static_cast<double>(v));
      }
    };
    switch (type) {
    case onnx::TensorProto::FLOAT:
      unpack(float());
      break;
    case onnx::TensorProto::DOUBLE:
      unpack(double());
      break;
    case onnx::TensorProto::INT32:
      unpack(int32_t());
      break;
    case onnx::TensorProto::INT64:
      unpack(int64_t());
      break;
    case onnx::TensorProto::INT8:
      unpack(int8_t());
      break;
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL:
      unpack(uint8_t());
      break;
    case onnx::TensorProto::INT16:
      unpack(int16_t());
      break;
    case onnx::TensorProto::UINT16:
      unpack(uint16_t());
      break;
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16: {
      if (raw.size() != size_t(n) * 2)
        fail(what + " has " + std::to_string(raw.size()) +
             " bytes of data but its dims " + list(dims) + " need " +
             std::to_string(n * 2));
      Tensor half(type == onnx::TensorProto::FLOAT16 ? ElementType::F16
                                                     : ElementType::BF16,
                  dims);
      std::memcpy(half.data(), raw.data(), raw.size());
      for (int64_t i = 0; i < n; ++i)
        values.push_back(half.get(i));
      break;
    }
    default:
      fail(what + " is of type " + dtypeName(type) + ", which nabla lacks");
    }
    return values;
  }
  switch (type) {
  case onnx::TensorProto::FLOAT:
    take(t.float_data().begin(), t.float_data().end());
    break;
  case onnx::TensorProto::DOUBLE:
    take(t.double_data().begin(), t.double_data().end());
    break;
  case onnx::TensorProto::INT64:
    take(t.int64_data().begin(), t.int64_data().end());
    break;
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT16:
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL:
    take(t.int32_data().begin(), t.int32_data().end());
    break;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16: {
    // Stored as the 16 bits in int32_data.
    Tensor half(type == onnx::TensorProto::FLOAT16 ? ElementType::F16
                                                   : ElementType::BF16,
                {int64_t(t.int32_data_size())});
    for (int i = 0; i < t.int32_data_size(); ++i) {
      uint16_t bits = static_cast<uint16_t>(t.int32_data(i));
      std::memcpy(static_cast<uint8_t *>(half.data()) + 2 * i, &bits, 2);
    }
    for (int64_t i = 0; i < half.getNumElements(); ++i)
      values.push_back(half.get(i));
    break;
  }
  default:
    fail(what + " is of type " + dtypeName(type) + ", which nabla lacks");
  }
  if (int64_t(values.size()) != n)
    fail(what + " has " + std::to_string(values.size()) +
         " values but its dims " + list(dims) + " need " + std::to_string(n));
  return values;
}

Tensor toTensor(const onnx::TensorProto &t, const std::string &what) {
  auto type = elementType(t.data_type());
  if (!type && t.data_type() == onnx::TensorProto::DOUBLE)
    type = ElementType::F64;
  if (!type)
    fail(what + " is of type " + dtypeName(t.data_type()) +
         ", which nabla lacks");
  std::vector<double> values = tensorValues(t, what);
  return Tensor::fromDoubles(
      *type, std::vector<int64_t>(t.dims().begin(), t.dims().end()), values);
}

onnx::ModelProto readModel(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer)
    fail("cannot read it: " + buffer.getError().message());
  onnx::ModelProto model;
  if (!model.ParseFromArray((*buffer)->getBufferStart(),
                            static_cast<int>((*buffer)->getBufferSize())))
    fail("not an ONNX model: its protobuf does not parse (a truncated or "
         "corrupt file?)");
  if (!model.has_graph() || model.graph().node_size() == 0)
    fail("not an ONNX model: it has no graph of nodes");
  return model;
}

//===----------------------------------------------------------------------===//
// The translation
//===----------------------------------------------------------------------===//

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
};

/// An op the importer does not translate (counted apart by the
/// conformance runner from a wrong result).
struct Unsupported {
  std::string message;
};

/// Names an ONNX value may not take in the .nb source: keywords, types,
/// and the built-ins the translation calls (a value named `split` would
/// hide the function).
const std::set<std::string> kReserved = {"model",
                                         "layer",
                                         "param",
                                         "state",
                                         "repeat",
                                         "return",
                                         "in",
                                         "train",
                                         "import",
                                         "f32",
                                         "f16",
                                         "bf16",
                                         "i32",
                                         "i1",
                                         "int",
                                         "float",
                                         "none",
                                         "relu",
                                         "sigmoid",
                                         "tanh",
                                         "exp",
                                         "log",
                                         "sqrt",
                                         "identity",
                                         "abs",
                                         "square",
                                         "rsqrt",
                                         "erf",
                                         "silu",
                                         "selu",
                                         "gelu",
                                         "leaky_relu",
                                         "elu",
                                         "softplus",
                                         "clamp",
                                         "maximum",
                                         "sum",
                                         "mean",
                                         "max",
                                         "global_avg_pool",
                                         "dropout",
                                         "batch_norm",
                                         "softmax",
                                         "log_softmax",
                                         "conv1d",
                                         "conv2d",
                                         "conv_transpose1d",
                                         "conv_transpose2d",
                                         "max_pool1d",
                                         "max_pool2d",
                                         "avg_pool1d",
                                         "avg_pool2d",
                                         "pad",
                                         "concat",
                                         "stack",
                                         "where",
                                         "masked_fill",
                                         "tril",
                                         "triu",
                                         "causal_mask",
                                         "arange",
                                         "layer_norm",
                                         "rms_norm",
                                         "logsumexp",
                                         "embedding",
                                         "take",
                                         "split",
                                         "chunk",
                                         "transpose",
                                         "reshape",
                                         "flatten",
                                         "broadcast_to",
                                         "cast",
                                         "mse",
                                         "cross_entropy",
                                         "binary_cross_entropy",
                                         "load",
                                         "zeros",
                                         "ones",
                                         "normal",
                                         "uniform",
                                         "xavier",
                                         "he",
                                         "lecun"};

class Importer {
public:
  Importer(onnx::ModelProto &model, const OnnxImportOptions &options,
           std::string weightsFile)
      : model(model), options(options), weightsFile(std::move(weightsFile)) {}

  OnnxImport run(const std::string &stem);

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
      unsupported("the shape of input '" + node->input(i) +
                  "' is not known (bind the model's symbolic dims with "
                  "--dim)");
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
      unsupported("the shape of output '" + node->output(i) +
                  "' is not known (bind the model's symbolic dims with "
                  "--dim)");
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

std::string Importer::typeText(int32_t type,
                               const std::vector<int64_t> &shape) const {
  auto t = elementType(type);
  if (!t)
    throw Unsupported{"the model has a tensor of type " + dtypeName(type) +
                      ", which nabla lacks"};
  std::string text = toString(*t).str();
  if (!shape.empty())
    text += list(shape);
  return text;
}

OnnxImport Importer::run(const std::string &stem) {
  for (const auto &import : model.opset_import())
    if (import.domain().empty() || import.domain() == "ai.onnx")
      opset = static_cast<int>(import.version());
  if (opset == 0 && model.opset_import_size() == 0)
    opset = 1;
  // Opset 0: no standard ops at all (a training or ML domain's model):
  // its nodes say what is outside nabla. Before opset 7, a node whose
  // attributes changed since (broadcast, consumed_inputs) is refused.
  if (opset > kMaxOpset)
    throw Unsupported{"its opset is " + std::to_string(opset) +
                      "; nabla imports opsets " + std::to_string(kMinOpset) +
                      " to " + std::to_string(kMaxOpset) +
                      " (torch.onnx.export(..., opset_version=17))"};

  onnx::GraphProto &graph = *model.mutable_graph();
  std::set<std::string> initializerNames;
  for (const auto &init : graph.initializer())
    initializerNames.insert(init.name());
  // Symbolic dims of the inputs: bound by options.dims, else an error.
  for (auto &in : *graph.mutable_input()) {
    if (initializerNames.count(in.name()))
      continue;
    if (!in.type().has_tensor_type())
      throw Unsupported{"input '" + in.name() +
                        "' is not a tensor (sequences, maps and optionals "
                        "are outside nabla)"};
    auto *shape = in.mutable_type()->mutable_tensor_type()->mutable_shape();
    for (auto [d, dim] : llvm::enumerate(*shape->mutable_dim())) {
      if (dim.has_dim_value())
        continue;
      std::string param = dim.dim_param();
      auto bound = options.dims.find(param);
      if (param.empty() || bound == options.dims.end())
        fail("input '" + in.name() + "' has a dynamic dim " +
             std::to_string(d) + (param.empty() ? "" : " ('" + param + "')") +
             "; bind it with --dim " + (param.empty() ? "NAME" : param) +
             "=SIZE");
      dim.set_dim_value(bound->second);
    }
  }
  try {
    onnx::ShapeInferenceOptions inference{/*check_type=*/false,
                                          /*error_mode=*/0,
                                          /*enable_data_propagation=*/true};
    onnx::shape_inference::InferShapes(
        model, onnx::OpSchemaRegistry::Instance(), inference);
  } catch (const std::exception &e) {
    fail(std::string("its shapes do not check: ") + e.what());
  }
  for (const auto &v : graph.value_info())
    inferred[v.name()] = &v.type();
  for (const auto &v : graph.output())
    inferred[v.name()] = &v.type();

  std::ostringstream signature, params;
  declareInputs(signature, params);
  for (const auto &n : graph.node()) {
    translate(n);
    ++nodeIndex;
  }

  std::string base = stem.empty() ? "Imported" : stem;
  base[0] =
      static_cast<char>(std::toupper(static_cast<unsigned char>(base[0])));
  std::string name = fresh(base);
  std::ostringstream text;
  text << "# Imported from " << llvm::sys::path::filename(stem).str() << ".onnx"
       << " (opset " << opset << ")";
  if (!model.producer_name().empty())
    text << ", made by " << model.producer_name() << " "
         << model.producer_version();
  // Outputs the importer folded become literals at the end of the body.
  std::vector<std::string> results;
  node = &graph.node(graph.node_size() - 1);
  for (const auto &out : graph.output()) {
    auto it = values.find(out.name());
    if (it == values.end())
      fail("output '" + out.name() + "' is computed by no node");
    results.push_back(it->second.constant ? materialize(it->second)
                                          : it->second.name);
  }
  text << ".\nmodel " << name << "(" << signature.str() << ") {\n"
       << params.str() << body.str() << "  return ";
  for (auto [i, r] : llvm::enumerate(results))
    text << (i ? ", " : "") << r;
  text << "\n}\n";
  OnnxImport result;
  result.text = text.str();
  result.modelName = name;
  result.weights = std::move(weights);
  result.inputs = std::move(inputNames);
  return result;
}

void Importer::declareInputs(std::ostringstream &signature,
                             std::ostringstream &params) {
  const onnx::GraphProto &graph = model.graph();
  std::set<std::string> initializerNames;
  for (const auto &init : graph.initializer())
    initializerNames.insert(init.name());
  bool first = true;
  for (const auto &in : graph.input()) {
    if (initializerNames.count(in.name()))
      continue;
    const auto &t = in.type().tensor_type();
    Value v;
    v.type = t.elem_type();
    v.shapeKnown = true;
    for (const auto &d : t.shape().dim())
      v.shape.push_back(d.dim_value());
    v.name = fresh(in.name());
    if (!elementType(v.type))
      throw Unsupported{"input '" + in.name() + "' is of type " +
                        dtypeName(v.type) + ", which nabla lacks"};
    if (auto known = options.inputValues.find(in.name());
        known != options.inputValues.end()) {
      v.known.emplace();
      for (int64_t i = 0; i < known->second.getNumElements(); ++i)
        v.known->push_back(known->second.get(i));
    }
    if (llvm::is_contained(v.shape, 0)) {
      // An empty input (no axes, say) can only be numbers an op reads.
      if (!v.known)
        throw Unsupported{"input '" + in.name() + "' is empty " +
                          list(v.shape) +
                          " (nabla's tensors have no empty dims)"};
      v.constant = v.known;
      v.name.clear();
      values[in.name()] = v;
      continue;
    }
    inputNames.emplace_back(in.name(), v.name);
    signature << (first ? "" : ", ") << v.name << ": "
              << typeText(v.type, v.shape);
    first = false;
    values[in.name()] = v;
  }
  // Initializers: float ones are parameters (trained, loaded from the
  // weights file); integer ones (shapes, indices) are folded constants.
  for (const auto &init : graph.initializer()) {
    std::string what = "initializer '" + init.name() + "'";
    Value v;
    v.type = init.data_type();
    v.shapeKnown = true;
    v.shape.assign(init.dims().begin(), init.dims().end());
    if (!isFloat(v.type) || product(v.shape) == 1) {
      // Scalars too: a constant of the graph (an epsilon, an exponent).
      v.constant = tensorValues(init, what);
      values[init.name()] = v;
      continue;
    }
    Tensor t = toTensor(init, what);
    if (t.getElementType() == ElementType::F64)
      fail(what + " is of type double, which nabla lacks");
    v.name = fresh(init.name());
    params << "  param " << v.name << ": " << typeText(v.type, v.shape)
           << " = load(\"" << weightsFile << "\", \"" << init.name() << "\")\n";
    weights.emplace_back(init.name(), std::move(t));
    values[init.name()] = v;
  }
}

void Importer::translate(const onnx::NodeProto &n) {
  node = &n;
  if (!n.domain().empty() && n.domain() != "ai.onnx")
    unsupported("ops of domain '" + n.domain() + "' are outside nabla");
  if (opset < kMinOpset)
    for (const char *legacy : {"broadcast", "consumed_inputs", "is_test"})
      if (attr(legacy))
        unsupported(std::string("attribute ") + legacy + " (opset " +
                    std::to_string(opset) + "; nabla imports opsets " +
                    std::to_string(kMinOpset) + " to " +
                    std::to_string(kMaxOpset) + ")");
  outputs.clear();
  for (int i = 0; i < n.output_size(); ++i) {
    outputs.push_back(outputInfo(i));
    if (llvm::is_contained(outputs.back().shape, 0))
      unsupported("output '" + n.output(i) + "' is empty " +
                  list(outputs.back().shape) +
                  " (nabla's tensors have no empty dims)");
  }
  translateOp();
}

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
    starts = *attrInts("starts");
    ends = *attrInts("ends");
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
static std::vector<int64_t> explicitPads(
    const std::string &autoPad, std::optional<std::vector<int64_t>> pads,
    llvm::ArrayRef<int64_t> in, llvm::ArrayRef<int64_t> kernel,
    llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> dilations) {
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
  if (autoPad == "VALID" || !pads)
    return std::vector<int64_t>(2 * k, 0);
  return *pads;
}

void Importer::conv(bool transpose) {
  int64_t r = rank(0);
  if (r != 3 && r != 4)
    unsupported("a " + std::to_string(r - 2) +
                "-D convolution (nabla has 1-D and 2-D)");
  size_t k = r - 2;
  const auto &ws = shape(1);
  std::vector<int64_t> kernel =
      attrInts("kernel_shape")
          .value_or(std::vector<int64_t>(ws.begin() + 2, ws.end()));
  std::vector<int64_t> strides =
      attrInts("strides").value_or(std::vector<int64_t>(k, 1));
  std::vector<int64_t> dilations =
      attrInts("dilations").value_or(std::vector<int64_t>(k, 1));
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
        attrInts("pads").value_or(std::vector<int64_t>(2 * k, 0));
    for (size_t i = 0; i < k; ++i)
      if (pads[i] != pads[i + k])
        unsupported("asymmetric pads " + list(pads));
    std::vector<int64_t> outPad =
        attrInts("output_padding").value_or(std::vector<int64_t>(k, 0));
    define(0, "conv_transpose" + dims + "(" + x + ", " + w + b +
                  ", stride = " + list(strides) +
                  ", padding = " + list(llvm::ArrayRef(pads).take_front(k)) +
                  ", output_padding = " + list(outPad) +
                  ", groups = " + std::to_string(groups) +
                  ", dilation = " + list(dilations) + ")");
    return;
  }
  std::vector<int64_t> pads =
      explicitPads(autoPad, attrInts("pads"), in, kernel, strides, dilations);
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
  std::vector<int64_t> kernel = *attrInts("kernel_shape");
  std::vector<int64_t> strides =
      attrInts("strides").value_or(std::vector<int64_t>(k, 1));
  std::vector<int64_t> dilations =
      attrInts("dilations").value_or(std::vector<int64_t>(k, 1));
  std::vector<int64_t> in(shape(0).begin() + 2, shape(0).end());
  std::vector<int64_t> pads =
      explicitPads(attrString("auto_pad", "NOTSET"), attrInts("pads"), in,
                   kernel, strides, dilations);
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
  double eps = attrFloat("epsilon", 1e-5);
  // [C] as [C, 1, ...] against x's [N, C, spatial...].
  auto channel = [&](int i) {
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
  // Known problem: the CPU vectorizer (nabla-cpu-vectorize-elementwise)
  // takes minutes on the broadcast products of a loss over three or more
  // spatial dims; refused until it is fixed.
  if (r > 4)
    unsupported("a loss over " + std::to_string(r - 2) +
                " spatial dims (at most 2 until the CPU vectorizer compiles "
                "these in reasonable time)");
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

void Importer::translateOp() {
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
    // Integer division truncates in ONNX; nabla's / on i32 is not that.
    if (op == "Div" && !isFloat(input(0).type))
      unsupported("integer division");
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
      return;
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
        z = x / y;
        break;
      default:
        z = std::pow(x, y);
      }
      defineConstant(0, a.shape, {z}, a.type);
      return;
    }
    binary(it->second);
    return;
  }
  if (auto it = compareOps.find(op); it != compareOps.end()) {
    binary(it->second);
    return;
  }
  if (auto it = unaryFns.find(op); it != unaryFns.end()) {
    if (!isFloat(input(0).type))
      unsupported(op + " of " + dtypeName(input(0).type));
    define(0, std::string(it->second) + "(" + tensor(0) + ")");
    return;
  }
  if (op == "Neg") {
    define(0, "-" + tensor(0));
    return;
  }
  if (op == "Reciprocal") {
    define(0, "1 / " + tensor(0));
    return;
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
      return;
    }
    define(0, x.name);
    return;
  }
  if (op == "LeakyRelu") {
    define(0, "leaky_relu(" + tensor(0) +
                  ", slope = " + number(attrFloat("alpha", 0.01)) + ")");
    return;
  }
  if (op == "Elu") {
    define(0, "elu(" + tensor(0) +
                  ", alpha = " + number(attrFloat("alpha", 1)) + ")");
    return;
  }
  if (op == "Selu") {
    double alpha = attrFloat("alpha", 1.67326319217681884765625);
    double gamma = attrFloat("gamma", 1.05070102214813232421875);
    std::string x = tensor(0);
    define(0, number(gamma) + " * where(" + x + " > 0, " + x + ", " +
                  number(alpha) + " * (exp(" + x + ") - 1))");
    return;
  }
  if (op == "HardSigmoid") {
    define(0, "clamp(" + number(attrFloat("alpha", 0.2)) + " * " + tensor(0) +
                  " + " + number(attrFloat("beta", 0.5)) + ", 0, 1)");
    return;
  }
  if (op == "Softsign") {
    std::string x = tensor(0);
    define(0, x + " / (1 + abs(" + x + "))");
    return;
  }
  if (op == "PRelu") {
    std::string x = tensor(0);
    define(0,
           "where(" + x + " < 0, " + operand(1) + " * " + x + ", " + x + ")");
    return;
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
    return;
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
    return;
  }
  if (op == "Softmax" || op == "LogSoftmax") {
    softmax(op == "Softmax" ? "softmax" : "log_softmax");
    return;
  }
  if (op == "MatMul") {
    matmul();
    return;
  }
  if (op == "Gemm") {
    gemm();
    return;
  }
  if (op == "ReduceSum") {
    reduce("sum", false);
    return;
  }
  if (op == "ReduceMean") {
    reduce("mean", false);
    return;
  }
  if (op == "ReduceMax") {
    reduce("max", false);
    return;
  }
  if (op == "ReduceMin") {
    reduce("max", true);
    return;
  }
  if (op == "ReduceSumSquare") {
    reduce("sum", false, "@ * @");
    return;
  }
  if (op == "ReduceL1") {
    reduce("sum", false, "abs(@)");
    return;
  }
  if (op == "ReduceL2") {
    reduce("sum", false, "@ * @", "sqrt(@)");
    return;
  }
  if (op == "ReduceLogSum") {
    reduce("sum", false, "", "log(@)");
    return;
  }
  if (op == "ReduceLogSumExp") {
    reduce("logsumexp", false);
    return;
  }
  if (op == "Celu") {
    std::string x = tensor(0), a = number(attrFloat("alpha", 1));
    define(0, "where(" + x + " > 0, " + x + ", " + a + " * (exp(" + x + " / " +
                  a + ") - 1))");
    return;
  }
  if (op == "HardSwish") {
    std::string x = tensor(0);
    define(0, x + " * clamp(" + x + " / 6 + 0.5, 0, 1)");
    return;
  }
  if (op == "Mish") {
    std::string x = tensor(0);
    define(0, x + " * tanh(softplus(" + x + "))");
    return;
  }
  if (op == "ThresholdedRelu") {
    std::string x = tensor(0);
    define(0, "where(" + x + " > " + number(attrFloat("alpha", 1)) + ", " + x +
                  ", 0)");
    return;
  }
  if (op == "Shrink") {
    std::string x = tensor(0), bias = number(attrFloat("bias", 0)),
                lambd = number(attrFloat("lambd", 0.5));
    if (!isFloat(input(0).type))
      unsupported("Shrink of " + dtypeName(input(0).type));
    define(0, "where(" + x + " < -" + lambd + ", " + x + " + " + bias +
                  ", where(" + x + " > " + lambd + ", " + x + " - " + bias +
                  ", 0))");
    return;
  }
  if (op == "Sign") {
    std::string x = tensor(0);
    std::string t = toString(*elementType(input(0).type)).str();
    define(0,
           "cast(" + x + " > 0, " + t + ") - cast(" + x + " < 0, " + t + ")");
    return;
  }
  if (op == "IsNaN") {
    std::string x = tensor(0);
    define(0, "(" + x + " != " + x + ")");
    return;
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
    return;
  }
  if (op == "CastLike") {
    auto type = elementType(input(1).type);
    if (!type)
      unsupported("a cast to " + dtypeName(input(1).type));
    if (elementType(input(0).type) == type) {
      define(0, tensor(0));
      return;
    }
    define(0, "cast(" + tensor(0) + ", " + toString(*type).str() + ")");
    return;
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
      return;
    }
    std::vector<int64_t> c = {shape(1)[0]};
    c.resize(r - 1, 1);
    define(0, d + " / sqrt(mean(" + d + " * " + d + over + " + " +
                  number(attrFloat("epsilon", 1e-5)) + ") * reshape(" +
                  tensor(1) + ", " + list(c) + ") + reshape(" + tensor(2) +
                  ", " + list(c) + ")");
    return;
  }
  if (op == "Pad") {
    pad();
    return;
  }
  if (op == "NegativeLogLikelihoodLoss") {
    nllLoss(false);
    return;
  }
  if (op == "SoftmaxCrossEntropyLoss") {
    nllLoss(true);
    return;
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
    return;
  }
  if (op == "Transpose") {
    std::vector<int64_t> perm;
    if (auto p = attrInts("perm"))
      perm = *p;
    else
      for (int64_t i = rank(0); i-- > 0;)
        perm.push_back(i);
    define(0, "transpose(" + tensor(0) + ", perm = " + list(perm) + ")");
    return;
  }
  if (op == "Reshape" || op == "Flatten" || op == "Squeeze" ||
      op == "Unsqueeze") {
    const Value &x = input(0);
    const std::vector<int64_t> &out = outShape(0);
    if (x.constant) {
      defineConstant(0, out, *x.constant, x.type);
      return;
    }
    define(0, "reshape(" + x.name + ", " + list(out) + ")");
    return;
  }
  if (op == "Expand") {
    const std::vector<int64_t> &out = outShape(0);
    if (shape(0) == out) {
      define(0, tensor(0));
      return;
    }
    define(0, "broadcast_to(" + tensor(0) + ", " + list(out) + ")");
    return;
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
      return;
    }
    std::string parts;
    for (int i = 0; i < node->input_size(); ++i)
      parts += (i ? ", " : "") + tensor(i);
    define(0, "concat([" + parts + "], axis = " +
                  std::to_string(axis(attrInt("axis", 0), r)) + ")");
    return;
  }
  if (op == "Split") {
    split();
    return;
  }
  if (op == "Slice") {
    slice();
    return;
  }
  if (op == "Gather") {
    gather();
    return;
  }
  if (op == "Where") {
    define(0,
           "where(" + tensor(0) + ", " + operand(1) + ", " + operand(2) + ")");
    return;
  }
  // Booleans compute as 0 and 1 in i32 (nabla's i1 has no arithmetic).
  if (op == "Not") {
    define(0, "(cast(" + tensor(0) + ", i32) == 0)");
    return;
  }
  if (op == "And" || op == "Or" || op == "Xor") {
    std::string a = "cast(" + tensor(0) + ", i32)",
                b = "cast(" + tensor(1) + ", i32)";
    define(0, op == "And"  ? "(" + a + " * " + b + " == 1)"
              : op == "Or" ? "(" + a + " + " + b + " > 0)"
                           : "(" + a + " != " + b + ")");
    return;
  }
  if (op == "Cast") {
    cast();
    return;
  }
  if (op == "Constant") {
    constantNode();
    return;
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
    return;
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
    return;
  }
  if (op == "Size") {
    defineConstant(0, {}, {double(product(shape(0)))},
                   onnx::TensorProto::INT64);
    return;
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
    return;
  }
  if (op == "Trilu") {
    int64_t k = hasInput(1) ? constInts(1).at(0) : 0;
    define(0, std::string(attrInt("upper", 1) ? "triu" : "tril") + "(" +
                  tensor(0) + ", diagonal = " + std::to_string(k) + ")");
    return;
  }
  if (op == "Conv" || op == "ConvTranspose") {
    conv(op == "ConvTranspose");
    return;
  }
  if (op == "MaxPool" || op == "AveragePool") {
    pool(op == "MaxPool");
    return;
  }
  if (op == "GlobalAveragePool") {
    define(0, "global_avg_pool(" + tensor(0) + ")");
    return;
  }
  if (op == "GlobalMaxPool") {
    std::vector<int64_t> axes;
    for (int64_t i = 2; i < rank(0); ++i)
      axes.push_back(i);
    define(0,
           "max(" + tensor(0) + ", axis = " + list(axes) + ", keepdims = 1)");
    return;
  }
  if (op == "BatchNormalization") {
    batchNorm();
    return;
  }
  if (op == "LayerNormalization") {
    layerNorm();
    return;
  }
  unsupported("nabla has no translation of " + op);
}

std::string lastError(const std::string &path, const std::string &message) {
  return "error: " + path + ": " + message;
}

} // namespace

llvm::Expected<OnnxImport> nabla::importOnnx(llvm::StringRef path,
                                             const OnnxImportOptions &options) {
  std::string file = path.str();
  try {
    onnx::ModelProto model = readModel(file);
    std::string weights =
        options.weightsFile.empty() ? file : options.weightsFile;
    Importer importer(model, options, weights);
    return importer.run(llvm::sys::path::stem(path).str());
  } catch (const ImportError &e) {
    return makeError(lastError(file, e.message));
  } catch (const Unsupported &e) {
    return makeError(lastError(file, "unsupported: " + e.message));
  } catch (const std::exception &e) {
    return makeError(lastError(file, e.what()));
  }
}

llvm::Expected<OnnxGraphInfo> nabla::onnxGraphInfo(llvm::StringRef path) {
  try {
    onnx::ModelProto model = readModel(path.str());
    OnnxGraphInfo info;
    for (const auto &n : model.graph().node())
      info.opTypes.push_back(n.op_type());
    std::set<std::string> initializers;
    for (const auto &init : model.graph().initializer())
      initializers.insert(init.name());
    for (const auto &in : model.graph().input())
      if (!initializers.count(in.name()))
        info.inputs.push_back(in.name());
    return info;
  } catch (const ImportError &e) {
    return makeError(lastError(path.str(), e.message));
  } catch (const std::exception &e) {
    return makeError(lastError(path.str(), e.what()));
  }
}

llvm::Expected<Tensor> nabla::readOnnxTensorFile(llvm::StringRef path) {
  std::string file = path.str();
  try {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
    if (!buffer)
      fail("cannot read it: " + buffer.getError().message());
    onnx::TensorProto tensor;
    if (!tensor.ParseFromArray((*buffer)->getBufferStart(),
                               static_cast<int>((*buffer)->getBufferSize())))
      fail("not a serialized ONNX tensor");
    return toTensor(tensor, "the tensor");
  } catch (const ImportError &e) {
    return makeError(lastError(file, e.message));
  } catch (const std::exception &e) {
    return makeError(lastError(file, e.what()));
  }
}

void nabla::registerOnnxTensorReader() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerTensorFileReader(
        ".onnx",
        [](llvm::StringRef path,
           llvm::StringRef key) -> llvm::Expected<Tensor> {
          std::string file = path.str();
          try {
            // Parsed once per model: a model's parameters load one after
            // the other.
            static std::mutex mutex;
            static std::string lastPath;
            static std::shared_ptr<onnx::ModelProto> last;
            std::shared_ptr<onnx::ModelProto> model;
            {
              std::lock_guard<std::mutex> lock(mutex);
              if (lastPath == file)
                model = last;
            }
            if (!model) {
              model = std::make_shared<onnx::ModelProto>(readModel(file));
              std::lock_guard<std::mutex> lock(mutex);
              lastPath = file;
              last = model;
            }
            for (const auto &init : model->graph().initializer())
              if (init.name() == key)
                return toTensor(init, "initializer '" + init.name() + "'");
            return makeError(file + " has no initializer '" + key.str() + "'");
          } catch (const ImportError &e) {
            return makeError(file + ": " + e.message);
          } catch (const std::exception &e) {
            return makeError(file + ": " + e.what());
          }
        });
  });
}
