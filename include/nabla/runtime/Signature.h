//===- Signature.h - What a compiled model takes and returns ----*- C++ -*-===//
//
// Read from a model's `func.func` at the nabla level, before lowering: the
// names, types and roles of its arguments (inputs and parameters with their
// init specs) and of its results.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_SIGNATURE_H
#define NABLA_RUNTIME_SIGNATURE_H

#include "nabla/runtime/Init.h"
#include "nabla/runtime/Tensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace nabla {

struct TensorInfo {
  /// What the tensor is to the function, from its nabla.* attribute.
  enum class Role { Input, Param, State, Hyper, Output, Grad, Update, Stat };
  Role role = Role::Input;
  std::string name;
  /// For a gradient result of @M_grad: the argument it is the gradient of.
  std::string gradOf;
  ElementType type = ElementType::F32;
  std::vector<int64_t> shape;
  std::string typeString() const;
  /// The bytes a tensor of this type takes.
  uint64_t sizeInBytes() const;
};

struct ArgInfo : TensorInfo {
  bool isParam = false;
  InitSpec init; // parameters and the model's `state`
  /// Kept by the model between calls (a parameter, `state`, or a
  /// hyper-parameter of the model such as dropout's seed), not given by the
  /// caller as inputs are.
  bool isHeld() const {
    return role == Role::Param || role == Role::State || role == Role::Hyper;
  }
  /// For an integer input used as cross_entropy labels: the class count.
  int64_t classes = 0;
};

struct Signature {
  std::string function;
  std::vector<ArgInfo> args; // in the function's order
  std::vector<TensorInfo> outputs;

  /// Index into `args` of the input or parameter called `name`, or -1.
  int findArg(llvm::StringRef name, bool isParam) const;
};

/// For an input used as cross_entropy labels (arg.classes > 0): an error
/// unless every value of `values` names a class, in [0, classes). Out of
/// range, a label would silently add nothing to the loss.
llvm::Error checkLabels(const ArgInfo &arg, const Tensor &values);

/// Reads the signature of a nabla model function.
llvm::Expected<Signature> readSignature(mlir::func::FuncOp func);

} // namespace nabla

#endif // NABLA_RUNTIME_SIGNATURE_H
