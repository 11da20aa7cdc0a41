//===- OnnxExport.cpp - A model's prediction form as ONNX -----------------===//
//
// Each op of the nabla dialect becomes the ONNX node (opset 17) that
// computes the same thing, or a few where ONNX has none (rsqrt is
// Reciprocal(Sqrt), exact GELU is 0.5 x (1 + Erf(x / sqrt 2)) in the order
// nabla computes it). The ops are chosen so that the importer
// (OnnxImport.cpp) maps each back to the nabla op it came from: a model
// exported and imported again computes bit for bit what it computed.
//
// Built with exceptions, as the importer: libonnx's checker throws.
//
//===----------------------------------------------------------------------===//

#include "nabla/frontend/OnnxExport.h"
#include "nabla/ir/NablaOps.h"
#include "nabla/support/Error.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/checker.h"
#include "onnx/onnx_pb.h"

#include <algorithm>
#include <string>
#include <vector>

using namespace mlir;

namespace nabla {
namespace {

/// An op the exporter has no ONNX for.
struct ExportError {
  std::string message;
};

int32_t onnxType(Type t) {
  if (t.isF32())
    return onnx::TensorProto::FLOAT;
  if (t.isF16())
    return onnx::TensorProto::FLOAT16;
  if (t.isBF16())
    return onnx::TensorProto::BFLOAT16;
  if (t.isF64())
    return onnx::TensorProto::DOUBLE;
  if (t.isInteger(32))
    return onnx::TensorProto::INT32;
  if (t.isInteger(1))
    return onnx::TensorProto::BOOL;
  std::string text;
  llvm::raw_string_ostream os(text);
  t.print(os);
  throw ExportError{"ONNX has no type for " + text};
}

class Exporter {
public:
  Exporter(onnx::GraphProto &graph,
           const std::map<std::string, const Tensor *> &weights)
      : graph(graph), weights(weights) {}

  void run(func::FuncOp fn);

private:
  onnx::GraphProto &graph;
  const std::map<std::string, const Tensor *> &weights;
  llvm::DenseMap<Value, std::string> names;
  int counter = 0;

  std::string fresh(llvm::StringRef stem) {
    return (stem + "_" + llvm::Twine(counter++)).str();
  }
  const std::string &name(Value v) {
    auto it = names.find(v);
    if (it == names.end())
      throw ExportError{"a value is used before it is defined"};
    return it->second;
  }
  void setType(onnx::ValueInfoProto &info, RankedTensorType t) {
    auto *tensor = info.mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(onnxType(t.getElementType()));
    auto *shape = tensor->mutable_shape();
    for (int64_t d : t.getShape())
      shape->add_dim()->set_dim_value(d);
  }

  // --- constants: Constant nodes (initializers are the weights alone,
  // which the importer makes parameters) ---
  std::string constantNode(onnx::TensorProto value) {
    std::string out = fresh("const");
    auto &n = node("Constant", {}, out);
    auto *a = n.add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    *a->mutable_t() = std::move(value);
    return out;
  }
  std::string ints(llvm::ArrayRef<int64_t> values) {
    onnx::TensorProto t;
    t.set_data_type(onnx::TensorProto::INT64);
    t.add_dims(values.size());
    for (int64_t v : values)
      t.add_int64_data(v);
    return constantNode(std::move(t));
  }
  /// A scalar of `type` (the element type of the tensor it meets).
  std::string scalar(double value, Type type) {
    onnx::TensorProto t;
    fill(t, type, {value});
    return constantNode(std::move(t));
  }
  void fill(onnx::TensorProto &t, Type type, llvm::ArrayRef<double> values) {
    t.set_data_type(onnxType(type));
    std::string raw;
    auto append = [&](const void *p, size_t n) {
      raw.append(static_cast<const char *>(p), n);
    };
    for (double v : values) {
      if (type.isF32()) {
        float f = static_cast<float>(v);
        append(&f, 4);
      } else if (type.isF16() || type.isBF16()) {
        llvm::APFloat a(v);
        bool lost;
        a.convert(cast<FloatType>(type).getFloatSemantics(),
                  llvm::APFloat::rmNearestTiesToEven, &lost);
        uint16_t bits = a.bitcastToAPInt().getZExtValue();
        append(&bits, 2);
      } else if (type.isInteger(32)) {
        int32_t i = static_cast<int32_t>(v);
        append(&i, 4);
      } else if (type.isInteger(1)) {
        uint8_t b = v != 0;
        append(&b, 1);
      } else {
        append(&v, 8);
      }
    }
    t.set_raw_data(raw);
  }
  void constant(ConstantOp op);

  // --- nodes ---
  onnx::NodeProto &node(llvm::StringRef type, std::vector<std::string> inputs,
                        std::string output) {
    onnx::NodeProto *n = graph.add_node();
    n->set_op_type(type.str());
    n->set_name(fresh(type));
    for (std::string &in : inputs)
      n->add_input(std::move(in));
    n->add_output(std::move(output));
    return *n;
  }
  /// A node whose output is op's result.
  onnx::NodeProto &define(Operation *op, llvm::StringRef type,
                          std::vector<std::string> inputs) {
    std::string out = fresh(type);
    names[op->getResult(0)] = out;
    return node(type, std::move(inputs), out);
  }
  /// A node whose output is an intermediate, named and returned.
  std::string temp(llvm::StringRef type, std::vector<std::string> inputs) {
    std::string out = fresh(type);
    node(type, std::move(inputs), out);
    return out;
  }
  static void attr(onnx::NodeProto &n, const std::string &key, int64_t v) {
    auto *a = n.add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr(onnx::NodeProto &n, const std::string &key, float v) {
    auto *a = n.add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr(onnx::NodeProto &n, const std::string &key,
                   llvm::ArrayRef<int64_t> v) {
    auto *a = n.add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v)
      a->add_ints(x);
  }

  void exportOp(Operation *op);
  bool elementwise(Operation *op);
  bool shapeOp(Operation *op);
  bool networkOp(Operation *op);
};

void Exporter::run(func::FuncOp fn) {
  for (auto [i, arg] : llvm::enumerate(fn.getArguments())) {
    auto type = cast<RankedTensorType>(arg.getType());
    if (auto input = fn.getArgAttrOfType<StringAttr>(i, "nabla.input")) {
      names[arg] = input.str();
      auto *info = graph.add_input();
      info->set_name(input.str());
      setType(*info, type);
      continue;
    }
    auto held = fn.getArgAttrOfType<StringAttr>(i, "nabla.param");
    if (!held)
      held = fn.getArgAttrOfType<StringAttr>(i, "nabla.state");
    if (!held)
      throw ExportError{"argument " + std::to_string(i) +
                        " is neither an input nor a parameter"};
    auto it = weights.find(held.str());
    if (it == weights.end())
      throw ExportError{"no weights for '" + held.str() + "'"};
    const Tensor &w = *it->second;
    if (llvm::ArrayRef<int64_t>(w.getShape()) != type.getShape())
      throw ExportError{"the weights of '" + held.str() + "' are " +
                        w.typeString() + ", which the model does not take"};
    auto *t = graph.add_initializer();
    t->set_name(held.str());
    for (int64_t d : type.getShape())
      t->add_dims(d);
    std::vector<double> values(w.getNumElements());
    for (int64_t k = 0; k < w.getNumElements(); ++k)
      values[k] = w.get(k);
    fill(*t, type.getElementType(), values);
    names[arg] = held.str();
  }
  for (Operation &op : fn.getBody().front().without_terminator())
    exportOp(&op);
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    auto out = fn.getResultAttrOfType<StringAttr>(i, "nabla.output");
    std::string outName = out ? out.str() : "output_" + std::to_string(i);
    // An output is a node's own output: Identity where it is an input
    // or another output.
    node("Identity", {name(v)}, outName);
    auto *info = graph.add_output();
    info->set_name(outName);
    setType(*info, cast<RankedTensorType>(v.getType()));
  }
}

void Exporter::constant(ConstantOp op) {
  auto value = dyn_cast<DenseElementsAttr>(op.getValue());
  if (!value)
    throw ExportError{"a constant that is not a dense tensor"};
  auto type = cast<RankedTensorType>(op.getType());
  onnx::TensorProto t;
  for (int64_t d : type.getShape())
    t.add_dims(d);
  std::vector<double> values;
  Type element = type.getElementType();
  if (isa<FloatType>(element))
    for (const llvm::APFloat &f : value.getValues<llvm::APFloat>())
      values.push_back(f.convertToDouble());
  else
    for (const llvm::APInt &i : value.getValues<llvm::APInt>())
      values.push_back(element.isInteger(1)
                           ? static_cast<double>(i.getZExtValue())
                           : static_cast<double>(i.getSExtValue()));
  fill(t, element, values);
  names[op.getResult()] = constantNode(std::move(t));
}

void Exporter::exportOp(Operation *op) {
  if (auto c = dyn_cast<ConstantOp>(op))
    return constant(c);
  if (elementwise(op) || shapeOp(op) || networkOp(op))
    return;
  throw ExportError{
      "nabla." + op->getName().stripDialect().str() + " has no ONNX form" +
      (isa<MseOp, CrossEntropyOp, BinaryCrossEntropyOp, DropoutMaskOp>(op)
           ? " (a loss or dropout: not part of the prediction "
             "form)"
           : "")};
}

/// The ONNX op that computes a nabla op by itself, on the same operands;
/// empty where there is none.
static llvm::StringRef directOnnxOp(Operation *op) {
  return llvm::TypeSwitch<Operation *, llvm::StringRef>(op)
      .Case([](AddOp) { return "Add"; })
      .Case([](SubOp) { return "Sub"; })
      .Case([](MulOp) { return "Mul"; })
      .Case([](DivOp) { return "Div"; })
      .Case([](PowOp) { return "Pow"; })
      .Case([](MaxOp) { return "Max"; })
      .Case([](NegOp) { return "Neg"; })
      .Case([](ReluOp) { return "Relu"; })
      .Case([](SigmoidOp) { return "Sigmoid"; })
      .Case([](TanhOp) { return "Tanh"; })
      .Case([](ExpOp) { return "Exp"; })
      .Case([](LogOp) { return "Log"; })
      .Case([](SqrtOp) { return "Sqrt"; })
      .Case([](AbsOp) { return "Abs"; })
      .Case([](ErfOp) { return "Erf"; })
      .Case([](MatmulOp) { return "MatMul"; })
      .Case([](SelectOp) { return "Where"; })
      .Case([](SeluOp) { return "Selu"; }) // torch's constants, ONNX's too
      .Default([](Operation *) { return ""; });
}

bool Exporter::elementwise(Operation *op) {
  auto x = [&](int i = 0) { return name(op->getOperand(i)); };
  if (llvm::StringRef type = directOnnxOp(op); !type.empty()) {
    std::vector<std::string> inputs;
    for (Value operand : op->getOperands())
      inputs.push_back(name(operand));
    define(op, type, std::move(inputs));
    return true;
  }
  Type element = getElementTypeOrSelf(op->getResult(0).getType());
  auto c = [&](double v) { return scalar(v, element); };
  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case([&](CastOp) {
        attr(define(op, "Cast", {x()}), "to",
             static_cast<int64_t>(onnxType(element)));
        return true;
      })
      .Case([&](SquareOp) {
        define(op, "Mul", {x(), x()});
        return true;
      })
      .Case([&](RsqrtOp) {
        // The importer reads Reciprocal(Sqrt(x)) back as rsqrt(x).
        define(op, "Reciprocal", {temp("Sqrt", {x()})});
        return true;
      })
      .Case([&](SiluOp) { // x / (1 + exp(-x)), as nabla computes it
        define(op, "Div",
               {x(), temp("Add", {c(1), temp("Exp", {temp("Neg", {x()})})})});
        return true;
      })
      .Case([&](GeluOp g) {
        std::string half = temp("Mul", {c(0.5), x()});
        std::string inner;
        if (g.getApproximate() == "tanh") {
          std::string cube = temp("Mul", {temp("Mul", {x(), x()}), x()});
          inner = temp(
              "Tanh",
              {temp("Mul",
                    {c(0.7978845608028654),
                     temp("Add", {x(), temp("Mul", {c(0.044715), cube})})})});
        } else {
          inner = temp("Erf", {temp("Mul", {x(), c(0.7071067811865476)})});
        }
        define(op, "Mul", {half, temp("Add", {c(1), inner})});
        return true;
      })
      .Case([&](LeakyReluOp l) {
        attr(define(op, "LeakyRelu", {x()}), "alpha",
             static_cast<float>(l.getSlope().convertToDouble()));
        return true;
      })
      .Case([&](EluOp e) {
        attr(define(op, "Elu", {x()}), "alpha",
             static_cast<float>(e.getAlpha().convertToDouble()));
        return true;
      })
      .Case([&](SoftplusOp s) {
        double beta = s.getBeta().convertToDouble();
        double threshold = s.getThreshold().convertToDouble();
        if (beta == 1 && threshold == 20) {
          define(op, "Softplus", {x()});
          return true;
        }
        // softplus(beta x) / beta, x where beta x > threshold: nabla's
        // own operations (Softplus reads back as softplus).
        std::string bx = temp("Mul", {x(), c(beta)});
        std::string soft = temp("Div", {temp("Softplus", {bx}), c(beta)});
        define(op, "Where", {temp("Greater", {bx, c(threshold)}), x(), soft});
        return true;
      })
      .Case([&](ClampOp cl) {
        define(op, "Clip",
               {x(), c(cl.getLo().convertToDouble()),
                c(cl.getHi().convertToDouble())});
        return true;
      })
      .Case([&](CompareOp cmp) {
        llvm::StringRef p = cmp.getPredicate();
        llvm::StringRef type = llvm::StringSwitch<llvm::StringRef>(p)
                                   .Case("lt", "Less")
                                   .Case("le", "LessOrEqual")
                                   .Case("gt", "Greater")
                                   .Case("ge", "GreaterOrEqual")
                                   .Default("Equal");
        if (p == "ne")
          define(op, "Not", {temp("Equal", {x(0), x(1)})});
        else
          define(op, type, {x(0), x(1)});
        return true;
      })
      .Default([](Operation *) { return false; });
}

bool Exporter::shapeOp(Operation *op) {
  auto x = [&](int i = 0) { return name(op->getOperand(i)); };
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  auto reduce = [&](llvm::StringRef type, llvm::ArrayRef<int64_t> axes,
                    bool keepdims) {
    onnx::NodeProto *n;
    if (type == "ReduceSum") // axes an input since opset 13
      n = &define(op, type, {x(), ints(axes)});
    else {
      n = &define(op, type, {x()});
      attr(*n, "axes", axes);
    }
    attr(*n, "keepdims", static_cast<int64_t>(keepdims));
    return true;
  };
  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case([&](SumOp r) {
        return reduce("ReduceSum", r.getAxes(), r.getKeepdims());
      })
      .Case([&](MeanOp r) {
        return reduce("ReduceMean", r.getAxes(), r.getKeepdims());
      })
      .Case([&](ReduceMaxOp r) {
        return reduce("ReduceMax", r.getAxes(), r.getKeepdims());
      })
      .Case([&](TransposeOp t) {
        attr(define(op, "Transpose", {x()}), "perm", t.getPermutation());
        return true;
      })
      .Case([&](ReshapeOp) {
        define(op, "Reshape", {x(), ints(resultType.getShape())});
        return true;
      })
      .Case([&](BroadcastToOp) {
        define(op, "Expand", {x(), ints(resultType.getShape())});
        return true;
      })
      .Case([&](SoftmaxOp s) {
        attr(define(op, "Softmax", {x()}), "axis",
             static_cast<int64_t>(s.getAxis()));
        return true;
      })
      .Case([&](LogSoftmaxOp s) {
        attr(define(op, "LogSoftmax", {x()}), "axis",
             static_cast<int64_t>(s.getAxis()));
        return true;
      })
      .Case([&](OneHotOp) {
        int64_t classes = resultType.getShape().back();
        onnx::TensorProto offOn;
        offOn.add_dims(2);
        fill(offOn, resultType.getElementType(), {0, 1});
        std::string values = constantNode(std::move(offOn));
        attr(define(op, "OneHot", {x(), ints({classes}), values}), "axis",
             int64_t(-1));
        return true;
      })
      .Case([&](PadOp p) {
        if (llvm::any_of(p.getInterior(), [](int64_t i) { return i != 0; }))
          throw ExportError{"nabla.pad with interior padding has no ONNX "
                            "form"};
        std::vector<int64_t> pads(p.getLow().begin(), p.getLow().end());
        pads.insert(pads.end(), p.getHigh().begin(), p.getHigh().end());
        define(op, "Pad",
               {x(), ints(pads),
                scalar(p.getValue().convertToDouble(),
                       resultType.getElementType())});
        return true;
      })
      .Case([&](SliceOp s) {
        std::vector<int64_t> starts, ends, axes, steps;
        for (auto [axis, offset, stride, size] :
             llvm::zip(llvm::seq<int64_t>(0, resultType.getRank()),
                       s.getOffsets(), s.getStrides(), resultType.getShape())) {
          starts.push_back(offset);
          ends.push_back(offset + (size - 1) * stride + 1);
          axes.push_back(axis);
          steps.push_back(stride);
        }
        define(op, "Slice",
               {x(), ints(starts), ints(ends), ints(axes), ints(steps)});
        return true;
      })
      .Case([&](ConcatOp cat) {
        std::vector<std::string> inputs;
        for (Value v : cat.getInputs())
          inputs.push_back(name(v));
        attr(define(op, "Concat", inputs), "axis",
             static_cast<int64_t>(cat.getAxis()));
        return true;
      })
      .Default([](Operation *) { return false; });
}

bool Exporter::networkOp(Operation *op) {
  auto x = [&](int i = 0) { return name(op->getOperand(i)); };
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  return llvm::TypeSwitch<Operation *, bool>(op)
      .Case([&](ConvOp c) {
        // nabla's windows are valid: padding is a Pad before it.
        auto &n = define(op, "Conv", {x(0), x(1)});
        attr(n, "strides", c.getStrides());
        attr(n, "dilations", c.getDilations());
        attr(n, "group", static_cast<int64_t>(c.getGroups()));
        return true;
      })
      .Case([&](ConvTransposeOp c) {
        auto xt = cast<RankedTensorType>(op->getOperand(0).getType());
        auto wt = cast<RankedTensorType>(op->getOperand(1).getType());
        std::vector<int64_t> extra;
        for (size_t d = 0; d < c.getStrides().size(); ++d) {
          int64_t in = xt.getDimSize(d + 2), k = wt.getDimSize(d + 2);
          int64_t full =
              (in - 1) * c.getStrides()[d] + c.getDilations()[d] * (k - 1) + 1;
          extra.push_back(resultType.getDimSize(d + 2) - full);
        }
        auto &n = define(op, "ConvTranspose", {x(0), x(1)});
        attr(n, "strides", c.getStrides());
        attr(n, "dilations", c.getDilations());
        attr(n, "group", static_cast<int64_t>(c.getGroups()));
        if (llvm::any_of(extra, [](int64_t e) { return e != 0; }))
          attr(n, "output_padding", llvm::ArrayRef<int64_t>(extra));
        return true;
      })
      .Case([&](MaxPoolOp p) {
        auto &n = define(op, "MaxPool", {x()});
        attr(n, "kernel_shape", p.getKernel());
        attr(n, "strides", p.getStrides());
        attr(n, "dilations", p.getDilations());
        return true;
      })
      .Default([](Operation *) { return false; });
}

} // namespace

namespace {

/// Graph `a` (the model compiled for `batchA` rows) made batch-polymorphic
/// by comparing it with graph `b` (the same model for `batchB` rows): a
/// dim or shape entry that is batchA in one and batchB in the other is the
/// batch. Inputs and outputs get the symbolic dim "batch"; a shape
/// constant holding it is computed from the input's shape (Shape, Concat).
/// Any other difference means the model computes with the batch size
/// itself (a constant 1/N, a reshape to 2N): an ExportError.
class BatchMerger {
public:
  BatchMerger(onnx::GraphProto &a, const onnx::GraphProto &b, int64_t batchA,
              int64_t batchB)
      : a(a), b(b), batchA(batchA), batchB(batchB) {}

  void run() {
    mergeValues(*a.mutable_input(), b.input(), /*findSource=*/true);
    mergeValues(*a.mutable_output(), b.output(), false);
    if (a.initializer_size() != b.initializer_size())
      differ("its weights");
    for (int i = 0; i < a.initializer_size(); ++i)
      if (a.initializer(i).SerializeAsString() !=
          b.initializer(i).SerializeAsString())
        differ("weight '" + a.initializer(i).name() + "'");
    if (a.node_size() != b.node_size())
      differ("its number of nodes");
    google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
    for (int i = 0; i < a.node_size(); ++i) {
      const onnx::NodeProto &n = a.node(i), &m = b.node(i);
      if (n.SerializeAsString() == m.SerializeAsString()) {
        *nodes.Add() = n;
        continue;
      }
      if (n.op_type() != "Constant" || m.op_type() != "Constant")
        differ("node " + n.name());
      shapeWithBatch(n, m, nodes);
    }
    if (!batchDim.empty()) {
      // The batch as an int64[1], read off the input's shape first.
      onnx::NodeProto shape;
      shape.set_op_type("Shape");
      shape.set_name(batchDim);
      shape.add_input(source);
      shape.add_output(batchDim);
      attr(shape, "start", sourceAxis);
      attr(shape, "end", sourceAxis + 1);
      *nodes.Add() = shape;
      std::rotate(nodes.begin(), nodes.end() - 1, nodes.end());
    }
    *a.mutable_node() = std::move(nodes);
  }

private:
  onnx::GraphProto &a;
  const onnx::GraphProto &b;
  int64_t batchA, batchB;
  std::string source, batchDim; // the input the batch is read from
  int64_t sourceAxis = 0;

  [[noreturn]] void differ(const std::string &what) const {
    throw ExportError{"the model depends on the batch size in a way ONNX "
                      "shapes cannot carry (" +
                      what + "); export it for a fixed batch with --batch B"};
  }
  static void attr(onnx::NodeProto &n, const std::string &key, int64_t v) {
    auto *at = n.add_attribute();
    at->set_name(key);
    at->set_type(onnx::AttributeProto::INT);
    at->set_i(v);
  }

  void mergeValues(
      google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> &values,
      const google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> &other,
      bool findSource) {
    for (int i = 0; i < values.size(); ++i) {
      auto *shape =
          values[i].mutable_type()->mutable_tensor_type()->mutable_shape();
      const auto &otherShape = other[i].type().tensor_type().shape();
      if (shape->dim_size() != otherShape.dim_size())
        differ("the rank of '" + values[i].name() + "'");
      for (int d = 0; d < shape->dim_size(); ++d) {
        int64_t x = shape->dim(d).dim_value(),
                y = otherShape.dim(d).dim_value();
        if (x == y)
          continue;
        if (x != batchA || y != batchB)
          differ("dim " + std::to_string(d) + " of '" + values[i].name() + "'");
        shape->mutable_dim(d)->set_dim_param("batch");
        if (findSource && source.empty()) {
          source = values[i].name();
          sourceAxis = d;
        }
      }
    }
  }

  /// A Constant int64 vector (a shape, a slice's ends) whose entries are
  /// the batch where the two graphs differ: a Concat of constant pieces
  /// and the batch.
  void
  shapeWithBatch(const onnx::NodeProto &n, const onnx::NodeProto &m,
                 google::protobuf::RepeatedPtrField<onnx::NodeProto> &out) {
    const onnx::TensorProto &x = n.attribute(0).t(), &y = m.attribute(0).t();
    if (x.data_type() != onnx::TensorProto::INT64 || x.dims_size() != 1 ||
        y.dims_size() != 1 || x.int64_data_size() != y.int64_data_size())
      differ("the constant " + n.output(0) + ", not a shape");
    if (source.empty())
      differ("no input has the batch dim");
    if (batchDim.empty())
      batchDim = "batch_dim";
    onnx::NodeProto concat;
    concat.set_op_type("Concat");
    concat.set_name(n.name());
    concat.add_output(n.output(0));
    attr(concat, "axis", 0);
    std::vector<int64_t> run;
    int pieces = 0;
    // The values in `run` as a Constant node named `name`.
    auto flushAs = [&](const std::string &name) {
      onnx::NodeProto c;
      c.set_op_type("Constant");
      c.set_name(name);
      c.add_output(name);
      auto *at = c.add_attribute();
      at->set_name("value");
      at->set_type(onnx::AttributeProto::TENSOR);
      onnx::TensorProto *t = at->mutable_t();
      t->set_data_type(onnx::TensorProto::INT64);
      t->add_dims(run.size());
      for (int64_t v : run)
        t->add_int64_data(v);
      *out.Add() = std::move(c);
      run.clear();
    };
    auto flush = [&] {
      if (run.empty())
        return;
      std::string name = n.output(0) + "_part" + std::to_string(pieces++);
      flushAs(name);
      concat.add_input(name);
    };
    for (int i = 0; i < x.int64_data_size(); ++i) {
      int64_t u = x.int64_data(i), v = y.int64_data(i);
      if (u == v) {
        run.push_back(u);
        continue;
      }
      // A multiple of the batch (a reshape to [N * T]): k * batch, the
      // same k in both. (A function of N that is k * N at two sizes and a
      // polynomial of degree 2 or less is k * N.)
      if (u % batchA != 0 || v != u / batchA * batchB)
        differ("the constant " + n.output(0));
      flush();
      int64_t k = u / batchA;
      if (k == 1) {
        concat.add_input(batchDim);
        continue;
      }
      std::string factor = n.output(0) + "_k" + std::to_string(pieces);
      std::string product = n.output(0) + "_n" + std::to_string(pieces++);
      run.push_back(k);
      flushAs(factor);
      onnx::NodeProto mul;
      mul.set_op_type("Mul");
      mul.set_name(product);
      mul.add_input(batchDim);
      mul.add_input(factor);
      mul.add_output(product);
      *out.Add() = std::move(mul);
      concat.add_input(product);
    }
    flush();
    *out.Add() = std::move(concat);
  }
};

onnx::ModelProto
buildModel(func::FuncOp fn,
           const std::map<std::string, const Tensor *> &weights,
           const OnnxExportOptions &options) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  auto *opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(17);
  model.set_producer_name("nabla");
  model.set_producer_version(options.producerVersion);
  for (const auto &[key, value] : options.metadata) {
    auto *prop = model.add_metadata_props();
    prop->set_key(key);
    prop->set_value(value);
  }
  onnx::GraphProto &graph = *model.mutable_graph();
  graph.set_name(fn.getName().str());
  Exporter(graph, weights).run(fn);
  return model;
}

/// Checks `model` with ONNX's checker and writes it.
llvm::Error checkAndWrite(onnx::ModelProto &model, const std::string &path) {
  onnx::checker::check_model(model);
  std::string bytes;
  if (!model.SerializeToString(&bytes))
    return makeError("error: the ONNX model does not serialize (over 2 GiB?)");
  // Through a temporary file renamed over the target: a failed write
  // leaves an existing file as it was.
  return llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
    os << bytes;
    return llvm::Error::success();
  });
}

template <typename Fn> llvm::Error reportingErrors(Fn fn) {
  try {
    return fn();
  } catch (const ExportError &e) {
    return makeError("error: cannot export to ONNX: " + e.message);
  } catch (const std::exception &e) {
    return makeError(std::string("error: the exported model fails ONNX's "
                                 "checker: ") +
                     e.what());
  }
}

} // namespace

llvm::Error exportOnnx(func::FuncOp fn,
                       const std::map<std::string, const Tensor *> &weights,
                       const OnnxExportOptions &options) {
  return reportingErrors([&] {
    onnx::ModelProto model = buildModel(fn, weights, options);
    return checkAndWrite(model, options.path);
  });
}

llvm::Error
exportOnnxDynamicBatch(func::FuncOp a, int64_t batchA, func::FuncOp b,
                       int64_t batchB,
                       const std::map<std::string, const Tensor *> &weights,
                       const OnnxExportOptions &options) {
  return reportingErrors([&] {
    onnx::ModelProto model = buildModel(a, weights, options);
    onnx::ModelProto other = buildModel(b, weights, options);
    BatchMerger(*model.mutable_graph(), other.graph(), batchA, batchB).run();
    return checkAndWrite(model, options.path);
  });
}

} // namespace nabla
