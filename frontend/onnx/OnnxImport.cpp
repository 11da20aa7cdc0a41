//===- OnnxImport.cpp - ONNX models as .nb source -------------------------===//
//
// See OnnxImport.h. One pass over the graph's nodes (ONNX keeps them in
// topological order): each value is either a tensor the .nb model computes
// (a name there) or a constant the importer folds (Constant nodes, the
// shapes Shape gives, integer initializers), which an op that needs a
// number (Reshape's shape, Slice's bounds) reads and an op that needs a
// tensor gets as a literal. Shapes come from ONNX's own shape inference,
// run on the model with the symbolic dims bound. This file walks the
// graph and writes the model's text; OnnxOps.cpp translates each op,
// OnnxTensors.cpp reads the tensors. The public functions at the end
// catch what libonnx and the importer throw.
//
//===----------------------------------------------------------------------===//
#include "Importer.h"
#include "nabla/runtime/Init.h"
#include "nabla/support/Error.h"

#include "onnx/checker.h"
#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
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
using namespace nabla::onnx_import;

namespace nabla::onnx_import {

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

/// `text` as a .nb string literal. The lexer knows \" \\ \n \t; a name
/// with other control characters is refused.
std::string quoted(const std::string &text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '\t') {
      out += "\\t";
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      fail("the name " + printable(text) + " holds control characters");
    out += c;
  }
  return out + "\"";
}

/// `text` for a comment or a message: control characters as '?'.
std::string printable(const std::string &text) {
  std::string out = text;
  for (char &c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  return out;
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
  if (graph.output_size() == 0)
    fail("its graph has no outputs");
  if (!options.layerName.empty() && graph.output_size() != 1)
    fail("it has " + std::to_string(graph.output_size()) +
         " outputs; an imported layer returns one");
  // Symbolic dims of the inputs: bound by options.dims, else an error.
  std::vector<onnx::ValueInfoProto *> inputs;
  for (auto &in : *graph.mutable_input()) {
    if (initializerNames.count(in.name()))
      continue;
    if (!in.type().has_tensor_type())
      throw Unsupported{"input '" + in.name() +
                        "' is not a tensor (sequences, maps and optionals "
                        "are outside nabla)"};
    inputs.push_back(&in);
  }
  std::map<std::string, int64_t> dims = options.dims;
  if (!options.inputShapes.empty())
    bindInputShapes(inputs, dims);
  for (onnx::ValueInfoProto *input : inputs) {
    onnx::ValueInfoProto &in = *input;
    auto *shape = in.mutable_type()->mutable_tensor_type()->mutable_shape();
    for (auto [d, dim] : llvm::enumerate(*shape->mutable_dim())) {
      if (dim.has_dim_value())
        continue;
      std::string param = dim.dim_param();
      auto bound = dims.find(param);
      if (param.empty() || bound == dims.end())
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
  text << "# Imported from " << printable(llvm::sys::path::filename(stem).str())
       << ".onnx"
       << " (opset " << opset << ")";
  if (!model.producer_name().empty())
    text << ", made by "
         << printable(model.producer_name() + " " + model.producer_version());
  // Outputs the importer folded become literals at the end of the body.
  std::vector<std::string> results;
  node = &graph.node(graph.node_size() - 1);
  for (const auto &out : graph.output()) {
    auto it = values.find(out.name());
    if (it == values.end())
      fail("output '" + out.name() + "' is computed by no node");
    results.push_back(it->second.constant ? materialize(it->second)
                                          : it->second.name);
    if (results.back().empty())
      fail("output '" + out.name() + "' is no tensor nabla computes");
  }
  if (!options.layerName.empty())
    name = options.layerName;
  text << ".\n"
       << (options.layerName.empty() ? "model " : "layer ") << name << "("
       << signature.str() << ") {\n"
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

/// Binds the inputs' dims to options.inputShapes (a call's arguments,
/// one per input): a symbolic dim takes the argument's size (the same in
/// every input that names it), a fixed one must equal it.
void Importer::bindInputShapes(
    const std::vector<onnx::ValueInfoProto *> &inputs,
    std::map<std::string, int64_t> &dims) {
  std::string names;
  for (const onnx::ValueInfoProto *in : inputs)
    names += (names.empty() ? "" : ", ") + in->name();
  if (inputs.size() != options.inputShapes.size())
    fail("it takes " + std::to_string(inputs.size()) + " input" +
         (inputs.size() == 1 ? "" : "s") + " (" + names + "), not " +
         std::to_string(options.inputShapes.size()));
  for (auto [in, given] : llvm::zip(inputs, options.inputShapes)) {
    auto *shape = in->mutable_type()->mutable_tensor_type()->mutable_shape();
    std::vector<std::string> declared;
    for (const auto &dim : shape->dim())
      declared.push_back(dim.has_dim_value() ? std::to_string(dim.dim_value())
                                             : dim.dim_param());
    std::string wanted = "[" + llvm::join(declared, ", ") + "]";
    auto mismatch = [&] {
      fail("input '" + in->name() + "' is " + wanted + ", given " +
           list(given));
    };
    if (shape->dim_size() != static_cast<int>(given.size()))
      mismatch();
    for (auto [dim, size] : llvm::zip(*shape->mutable_dim(), given)) {
      if (dim.has_dim_value()) {
        if (dim.dim_value() != size)
          mismatch();
        continue;
      }
      if (!dim.dim_param().empty()) {
        auto [it, inserted] = dims.try_emplace(dim.dim_param(), size);
        if (!inserted && it->second != size)
          fail("input '" + in->name() + "' is " + wanted + ", given " +
               list(given) + ", but " + dim.dim_param() + " is " +
               std::to_string(it->second) + " in an earlier input");
      }
      dim.set_dim_value(size);
    }
  }
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
    if (!isFloat(v.type) || product(v.shape) == 1 ||
        foldedInitializers.count(init.name())) {
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
           << " = load(" << quoted(weightsFile) << ", " << quoted(init.name())
           << ")\n";
    weights.emplace_back(init.name(), std::move(t));
    values[init.name()] = v;
  }
}

bool Importer::foldIntoModel(std::set<std::string> &allFolded) {
  onnx::GraphProto &graph = *model.mutable_graph();
  std::set<std::string> folded;
  for (const auto &n : graph.node()) {
    bool all = n.output_size() > 0;
    for (const std::string &out : n.output()) {
      auto it = values.find(out);
      all &= it != values.end() && it->second.constant.has_value() &&
             it->second.shapeKnown;
    }
    if (all)
      folded.insert(n.output().begin(), n.output().end());
  }
  if (folded.empty())
    return false;
  for (const std::string &name : folded) {
    const Value &v = values[name];
    onnx::TensorProto *t = graph.add_initializer();
    t->set_name(name);
    t->set_data_type(v.type);
    for (int64_t d : v.shape)
      t->add_dims(d);
    for (double x : *v.constant) {
      switch (v.type) {
      case onnx::TensorProto::FLOAT:
        t->add_float_data(static_cast<float>(x));
        break;
      case onnx::TensorProto::DOUBLE:
        t->add_double_data(x);
        break;
      case onnx::TensorProto::INT64:
        t->add_int64_data(static_cast<int64_t>(x));
        break;
      case onnx::TensorProto::INT32:
      case onnx::TensorProto::BOOL:
        t->add_int32_data(static_cast<int32_t>(x));
        break;
      default:
        return false; // f16 constants: not shape arithmetic
      }
    }
  }
  auto *nodes = graph.mutable_node();
  nodes->erase(std::remove_if(nodes->begin(), nodes->end(),
                              [&](const onnx::NodeProto &n) {
                                return n.output_size() > 0 &&
                                       folded.count(n.output(0));
                              }),
               nodes->end());
  // Inferred again from scratch, now from the folded values.
  graph.clear_value_info();
  allFolded.insert(folded.begin(), folded.end());
  return true;
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
  for (const std::string &out : n.output())
    if (!out.empty() && values.count(out))
      fail(where() + " defines '" + out +
           "' again (ONNX values are defined once)");
  for (int i = 0; i < n.output_size(); ++i) {
    outputs.push_back(outputInfo(i));
    if (llvm::is_contained(outputs.back().shape, 0))
      unsupported("output '" + n.output(i) + "' is empty " +
                  list(outputs.back().shape) +
                  " (nabla's tensors have no empty dims)");
  }
  translateOp();
}

} // namespace nabla::onnx_import

namespace {

std::string lastError(const std::string &path, const std::string &message) {
  return "error: " + path + ": " + message;
}

} // namespace

llvm::Expected<OnnxImport> nabla::importOnnx(llvm::StringRef path,
                                             const OnnxImportOptions &options) {
  std::string file = path.str();
  try {
    onnx::ModelProto model = readModel(file);
    // ONNX's own checks first (each node's inputs, attributes and types
    // against its op's schema, values defined once): the importer and
    // shape inference then see only models that are well formed.
    try {
      onnx::checker::check_model(model);
    } catch (const std::exception &e) {
      throw ImportError{std::string("not a valid ONNX model: ") + e.what()};
    }
    std::string weights =
        options.weightsFile.empty() ? file : options.weightsFile;
    // Each round folds more shape arithmetic into initializers; a graph
    // has fewer nodes after each, so the rounds end.
    std::set<std::string> folded;
    for (;;) {
      Importer importer(model, options, weights);
      importer.foldedInitializers = folded;
      try {
        return importer.run(llvm::sys::path::stem(path).str());
      } catch (const UnknownShape &e) {
        if (!importer.foldIntoModel(folded))
          throw Unsupported{e.message};
      }
    }
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
    onnx::TensorProto tensor;
    if (!parseProtoFile(file, tensor))
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
