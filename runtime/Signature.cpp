//===- Signature.cpp - What a compiled model takes and returns ------------===//
#include "nabla/runtime/Signature.h"

#include "nabla/ir/NablaOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace nabla {

std::string TensorInfo::typeString() const {
  std::string s = toString(type).str();
  if (!shape.empty())
    s += "[" +
         llvm::join(llvm::map_range(shape,
                                    [](int64_t d) { return std::to_string(d); }),
                    ", ") +
         "]";
  return s;
}

int Signature::findArg(llvm::StringRef name, bool isParam) const {
  for (auto [i, arg] : llvm::enumerate(args))
    if (arg.name == name && arg.isParam == isParam)
      return static_cast<int>(i);
  return -1;
}

static llvm::Error sigError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

static llvm::Expected<TensorInfo> tensorInfo(Type type, llvm::StringRef name) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return sigError("'" + name + "' is not a tensor with a static shape");
  TensorInfo info;
  info.name = name.str();
  info.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  Type et = tensor.getElementType();
  if (et.isF32()) info.type = ElementType::F32;
  else if (et.isF16()) info.type = ElementType::F16;
  else if (et.isBF16()) info.type = ElementType::BF16;
  else if (et.isF64()) info.type = ElementType::F64;
  else if (et.isInteger(32)) info.type = ElementType::I32;
  else if (et.isInteger(1)) info.type = ElementType::I1;
  else return sigError("'" + name + "' has an unsupported element type");
  return info;
}

static InitSpec readInit(DictionaryAttr dict) {
  InitSpec spec;
  spec.kind = dict.getAs<StringAttr>("kind").getValue().str();
  auto number = [&](llvm::StringRef key, double &out) {
    if (auto f = dict.getAs<FloatAttr>(key))
      out = f.getValueAsDouble();
  };
  number("mean", spec.mean);
  number("std", spec.std);
  number("low", spec.low);
  number("high", spec.high);
  number("gain", spec.gain);
  number("value", spec.value);
  if (auto dense = dict.getAs<DenseElementsAttr>("value"))
    for (APFloat f : dense.getValues<APFloat>()) {
      bool lost;
      f.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
      spec.literal.push_back(f.convertToDouble());
    }
  return spec;
}

llvm::Expected<Signature> readSignature(func::FuncOp func) {
  Signature sig;
  sig.function = func.getSymName().str();
  FunctionType type = func.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    auto input = func.getArgAttrOfType<StringAttr>(i, attrs::kInput);
    auto param = func.getArgAttrOfType<StringAttr>(i, attrs::kParam);
    if (!input && !param)
      return sigError("argument " + llvm::Twine(i) + " of @" + sig.function +
                      " is neither a nabla.input nor a nabla.param");
    auto info = tensorInfo(type.getInput(i),
                           input ? input.getValue() : param.getValue());
    if (!info)
      return info.takeError();
    ArgInfo arg;
    static_cast<TensorInfo &>(arg) = *info;
    arg.isParam = static_cast<bool>(param);
    if (param) {
      auto init = func.getArgAttrOfType<DictionaryAttr>(i, attrs::kInit);
      if (init)
        arg.init = readInit(init);
    }
    for (OpOperand &use : func.getArgument(i).getUses())
      if (auto ce = dyn_cast<CrossEntropyOp>(use.getOwner());
          ce && use.getOperandNumber() == 1)
        arg.classes = ce.getLogits().getType().getDimSize(1);
    sig.args.push_back(std::move(arg));
  }
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    auto name = func.getResultAttrOfType<StringAttr>(i, attrs::kOutput);
    auto gradOf = func.getResultAttrOfType<StringAttr>(i, attrs::kGrad);
    std::string n = name     ? name.getValue().str()
                    : gradOf ? "grad:" + gradOf.getValue().str()
                             : "output_" + std::to_string(i);
    auto info = tensorInfo(type.getResult(i), n);
    if (!info)
      return info.takeError();
    if (gradOf)
      info->gradOf = gradOf.getValue().str();
    sig.outputs.push_back(*info);
  }
  return sig;
}

} // namespace nabla
