//===- Signature.cpp - What a compiled model takes and returns ------------===//
#include "nabla/runtime/Signature.h"
#include "nabla/support/Error.h"

#include "nabla/ir/NablaOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace nabla {

std::string TensorInfo::typeString() const {
  return formatTensorType(type, shape);
}

int Signature::findArg(llvm::StringRef name, bool isParam) const {
  for (auto [i, arg] : llvm::enumerate(args))
    if (arg.name == name && arg.isParam == isParam)
      return static_cast<int>(i);
  return -1;
}

static llvm::Expected<TensorInfo> tensorInfo(Type type, llvm::StringRef name) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return makeError("'" + name + "' is not a tensor with a static shape");
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
  else
    return makeError("'" + name + "' has an unsupported element type");
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
  if (auto file = dict.getAs<StringAttr>("file"))
    spec.file = file.getValue().str();
  if (auto key = dict.getAs<StringAttr>("key"))
    spec.key = key.getValue().str();
  if (auto dense = dict.getAs<DenseElementsAttr>("value"))
    for (APFloat f : dense.getValues<APFloat>()) {
      bool lost;
      f.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
      spec.literal.push_back(f.convertToDouble());
    }
  return spec;
}

/// The role and name an argument or result carries.
static std::optional<std::pair<TensorInfo::Role, std::string>>
roleOf(DictionaryAttr dict) {
  using Role = TensorInfo::Role;
  static const std::pair<const char *, Role> kinds[] = {
      {attrs::kInput, Role::Input},   {attrs::kParam, Role::Param},
      {attrs::kState, Role::State},   {attrs::kHyper, Role::Hyper},
      {attrs::kOutput, Role::Output}, {attrs::kGrad, Role::Grad},
      {attrs::kUpdate, Role::Update}, {attrs::kStat, Role::Stat}};
  if (!dict)
    return std::nullopt;
  for (auto [key, role] : kinds)
    if (auto name = dict.getAs<StringAttr>(key))
      return std::make_pair(role, name.getValue().str());
  return std::nullopt;
}

llvm::Expected<Signature> readSignature(func::FuncOp func) {
  Signature sig;
  sig.function = func.getSymName().str();
  FunctionType type = func.getFunctionType();
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    auto role = roleOf(func.getArgAttrDict(i));
    if (!role)
      return makeError("argument " + llvm::Twine(i) + " of @" + sig.function +
                       " has no nabla.input, nabla.param, nabla.state or "
                       "nabla.hyper name");
    auto info = tensorInfo(type.getInput(i), role->second);
    if (!info)
      return info.takeError();
    ArgInfo arg;
    static_cast<TensorInfo &>(arg) = *info;
    arg.role = role->first;
    arg.isParam = role->first == TensorInfo::Role::Param;
    if (auto init = func.getArgAttrOfType<DictionaryAttr>(i, attrs::kInit))
      arg.init = readInit(init);
    for (OpOperand &use : func.getArgument(i).getUses())
      if (auto ce = dyn_cast<CrossEntropyOp>(use.getOwner());
          ce && use.getOperandNumber() == 1)
        arg.classes = ce.getLogits().getType().getDimSize(1);
    sig.args.push_back(std::move(arg));
  }
  for (unsigned i = 0; i < type.getNumResults(); ++i) {
    auto role = roleOf(func.getResultAttrDict(i));
    std::string name = !role ? "output_" + std::to_string(i)
                       : role->first == TensorInfo::Role::Grad
                           ? "grad:" + role->second
                           : role->second;
    auto info = tensorInfo(type.getResult(i), name);
    if (!info)
      return info.takeError();
    info->role = role ? role->first : TensorInfo::Role::Output;
    if (info->role == TensorInfo::Role::Grad)
      info->gradOf = role->second;
    sig.outputs.push_back(*info);
  }
  return sig;
}

uint64_t TensorInfo::sizeInBytes() const {
  uint64_t bytes = elementSize(type);
  for (int64_t d : shape)
    bytes *= uint64_t(d);
  return bytes;
}

llvm::Error checkLabels(const ArgInfo &arg, const Tensor &values) {
  if (arg.classes <= 0)
    return llvm::Error::success();
  for (int64_t i = 0; i < values.getNumElements(); ++i) {
    double label = values.get(i);
    if (!(label >= 0 && label < arg.classes))
      return makeError("error: input '" + arg.name + "' holds the label " +
                       llvm::Twine(int64_t(label)) + " (element " +
                       llvm::Twine(i) + "), outside [0, " +
                       llvm::Twine(arg.classes) +
                       "): the classes of its cross_entropy");
  }
  return llvm::Error::success();
}

} // namespace nabla
