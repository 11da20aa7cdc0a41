//===- NablaInterfaces.td - Interfaces of the nabla dialect -*- tablegen -*-===//
#ifndef NABLA_INTERFACES_TD
#define NABLA_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Nabla_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::nabla";
  let description = [{
    An op that knows its own derivative: given the adjoint (the gradient of
    the loss with respect to its result), it builds, with nabla ops, the
    adjoint contribution of each operand (its vector-Jacobian product). The
    autodiff pass is generic over this interface, so a new op brings its
    own rule. Every rule lives in ir/Derivatives.cpp.

    Rules build only differentiable nabla ops where the math allows, so the
    backward graph can itself be differentiated (higher order).
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the vector-Jacobian product of this op for `resultAdjoint`
        (same type as the result) at the builder's insertion point.
        `operandAdjoints` receives one value per operand, with the operand's
        type, or a null Value where the operand has no gradient (integer
        labels, comparison masks).
      }],
      "void", "buildVjp",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Value":$resultAdjoint,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandAdjoints)>
  ];
}

#endif // NABLA_INTERFACES_TD
