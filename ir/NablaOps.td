//===- NablaOps.td - Operations of the nabla dialect -------*- tablegen -*-===//
//
// Every op: a one-line summary, a description with an IR example, a verifier
// where traits do not cover it, and an assembly format that reads like the
// math. The semantics follow numpy/PyTorch (broadcasting, reductions).
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_OPS_TD
#define NABLA_OPS_TD

include "NablaDialect.td"
include "NablaInterfaces.td"
include "NablaTraits.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Constants and casts
//===----------------------------------------------------------------------===//

def Nabla_ConstantOp : Nabla_Op<"constant", [ConstantLike, Pure,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "a tensor of known values";
  let description = [{
    `%c = nabla.constant dense<[0.3, 0.7]> : tensor<2xf32>`
  }];
  let arguments = (ins TypedAttrInterface:$value);
  let results = (outs Nabla_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Attribute":$value), [{
      build($_builder, $_state, ::llvm::cast<::mlir::TypedAttr>(value).getType(),
            ::llvm::cast<::mlir::TypedAttr>(value));
    }]>
  ];
}

def Nabla_CastOp : Nabla_Op<"cast", [Pure, SameOperandsAndResultShape,
    Nabla_Elementwise,
    DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>]> {
  let summary = "convert every element to another element type";
  let description = [{
    `%h = nabla.cast %x : tensor<4xf32> -> tensor<4xf16>`
    Float to float rounds to nearest even; float to int truncates toward zero;
    int to float rounds; i1 becomes 0 or 1.
  }];
  let arguments = (ins Nabla_Tensor:$operand);
  let results = (outs Nabla_Tensor:$result);
  let assemblyFormat = "$operand attr-dict `:` type($operand) `->` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise binary ops (numpy broadcasting)
//===----------------------------------------------------------------------===//

class Nabla_BinaryOp<string mnemonic, list<Trait> traits = []>
    : Nabla_Op<mnemonic, !listconcat([Pure, Nabla_Elementwise,
        DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>], traits)> {
  let arguments = (ins Nabla_NumericTensor:$lhs, Nabla_NumericTensor:$rhs);
  let results = (outs Nabla_NumericTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
  let builders = [
    // The result type is the broadcast of both operand shapes.
    OpBuilder<(ins "::mlir::Value":$lhs, "::mlir::Value":$rhs), [{
      build($_builder, $_state, ::nabla::getBroadcastType(lhs, rhs), lhs, rhs);
    }]>
  ];
  code extraClassDeclaration = [{
    /// Shared by all binary ops: element types agree, shapes broadcast.
    ::mlir::LogicalResult verifyBroadcast();
  }];
}

def Nabla_AddOp : Nabla_BinaryOp<"add", [Commutative, Nabla_FollowOperands]> {
  let summary = "elementwise sum with broadcasting";
  let description = [{
    `%z = nabla.add %x, %b : tensor<8x10xf32>, tensor<10xf32> -> tensor<8x10xf32>`
    Folds `x + 0` to `x` when no broadcast is needed (treating +0 and -0
    alike, as fast-math's nsz does; only the sign of a zero result can
    differ).
  }];
  let hasFolder = 1;
}

def Nabla_SubOp : Nabla_BinaryOp<"sub", [Nabla_FollowOperands]> {
  let summary = "elementwise difference with broadcasting";
  let description = [{
    `%z = nabla.sub %x, %y : tensor<4xf32>, tensor<f32> -> tensor<4xf32>`
    Folds `x - 0` to `x`.
  }];
  let hasFolder = 1;
}

def Nabla_MulOp : Nabla_BinaryOp<"mul", [Commutative, Nabla_FollowOperands]> {
  let summary = "elementwise product with broadcasting";
  let description = [{
    `%z = nabla.mul %w, %x : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>`
    Folds `x * 1` to `x`.
  }];
  let hasFolder = 1;
}

def Nabla_DivOp : Nabla_BinaryOp<"div", [Nabla_FollowOperands]> {
  let summary = "elementwise quotient with broadcasting";
  let description = [{
    `%z = nabla.div %x, %n : tensor<4xf32>, tensor<f32> -> tensor<4xf32>`
    Folds `x / 1` to `x`. Integer division truncates toward zero.
  }];
  let hasFolder = 1;
}

def Nabla_PowOp : Nabla_BinaryOp<"pow", [Nabla_KeepF32]> {
  let summary = "elementwise power with broadcasting";
  let description = [{
    `%z = nabla.pow %x, %two : tensor<f32>, tensor<f32> -> tensor<f32>`
    Folds `x ** 1` to `x`.
  }];
  let hasFolder = 1;
}

def Nabla_MaxOp : Nabla_BinaryOp<"max", [Commutative, Nabla_FollowOperands]> {
  let summary = "elementwise maximum with broadcasting";
  let description = [{
    `%z = nabla.max %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>`
    NaN in either operand gives NaN (as torch.maximum).
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

class Nabla_UnaryOp<string mnemonic, Type operandType, list<Trait> traits = []>
    : Nabla_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultType,
        Nabla_Elementwise,
        DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>], traits)> {
  let arguments = (ins operandType:$operand);
  let results = (outs operandType:$result);
  let assemblyFormat = "$operand attr-dict `:` type($result)";
}

def Nabla_NegOp : Nabla_UnaryOp<"neg", Nabla_NumericTensor, [Nabla_FollowOperands]> {
  let summary = "elementwise negation";
  let description = [{ `%y = nabla.neg %x : tensor<4xf32>` (folds `-(-x)` to `x`) }];
  let hasFolder = 1;
}
def Nabla_ReluOp : Nabla_UnaryOp<"relu", Nabla_FloatTensor, [Nabla_FollowOperands]> {
  let summary = "max(x, 0) elementwise";
  let description = [{ `%y = nabla.relu %x : tensor<8x256xf32>` }];
}
def Nabla_SigmoidOp : Nabla_UnaryOp<"sigmoid", Nabla_FloatTensor, [Nabla_FollowOperands]> {
  let summary = "1 / (1 + exp(-x)) elementwise";
  let description = [{ `%y = nabla.sigmoid %x : tensor<8x256xf32>` }];
}
def Nabla_TanhOp : Nabla_UnaryOp<"tanh", Nabla_FloatTensor, [Nabla_FollowOperands]> {
  let summary = "hyperbolic tangent elementwise";
  let description = [{ `%y = nabla.tanh %x : tensor<8x256xf32>` }];
}
def Nabla_ExpOp : Nabla_UnaryOp<"exp", Nabla_FloatTensor, [Nabla_KeepF32]> {
  let summary = "e^x elementwise";
  let description = [{ `%y = nabla.exp %x : tensor<4xf32>` }];
}
def Nabla_LogOp : Nabla_UnaryOp<"log", Nabla_FloatTensor, [Nabla_KeepF32]> {
  let summary = "natural logarithm elementwise";
  let description = [{ `%y = nabla.log %x : tensor<4xf32>` }];
}
def Nabla_SqrtOp : Nabla_UnaryOp<"sqrt", Nabla_FloatTensor, [Nabla_KeepF32]> {
  let summary = "square root elementwise";
  let description = [{ `%y = nabla.sqrt %x : tensor<4xf32>` }];
}

//===----------------------------------------------------------------------===//
// Activations and other unary functions (PyTorch's definitions)
//===----------------------------------------------------------------------===//

def Nabla_AbsOp : Nabla_UnaryOp<"abs", Nabla_FloatTensor, [Nabla_FollowOperands]> {
  let summary = "|x| elementwise";
  let description = [{
    `%y = nabla.abs %x : tensor<4xf32>`
    The derivative at 0 is 0 (sign(0)), as torch.abs's.
  }];
}
def Nabla_SquareOp : Nabla_UnaryOp<"square", Nabla_FloatTensor, [Nabla_FollowOperands]> {
  let summary = "x * x elementwise";
  let description = [{ `%y = nabla.square %x : tensor<4xf32>` }];
}
def Nabla_RsqrtOp : Nabla_UnaryOp<"rsqrt", Nabla_FloatTensor, [Nabla_KeepF32]> {
  let summary = "1 / sqrt(x) elementwise";
  let description = [{
    `%y = nabla.rsqrt %x : tensor<4xf32>`
    Kept in f32 under mixed precision, as autocast keeps torch.rsqrt.
  }];
}
def Nabla_ErfOp : Nabla_UnaryOp<"erf", Nabla_FloatTensor, [Nabla_FollowOperands]> {
  let summary = "the error function elementwise";
  let description = [{
    `%y = nabla.erf %x : tensor<4xf32>`
    erf(x) = 2/sqrt(pi) * integral of exp(-t^2) from 0 to x. Lowered to a
    rational approximation in f32 (within 5e-7 of the exact value, so no
    libm call and no SPIR-V extension is needed) and to libm's erf in f64.
  }];
}
def Nabla_SiluOp : Nabla_UnaryOp<"silu", Nabla_FloatTensor, [Nabla_FollowOperands]> {
  let summary = "x * sigmoid(x) elementwise (swish)";
  let description = [{ `%y = nabla.silu %x : tensor<8x256xf32>` }];
}
def Nabla_SeluOp : Nabla_UnaryOp<"selu", Nabla_FloatTensor, [Nabla_FollowOperands]> {
  let summary = "scale * (x > 0 ? x : alpha * (exp(x) - 1)) elementwise";
  let description = [{
    `%y = nabla.selu %x : tensor<8x256xf32>`
    With torch.nn.SELU's constants alpha = 1.6732632423543772 and
    scale = 1.0507009873554805 (self-normalizing networks, paired with
    `lecun` initialisation).
  }];
}
// gelu's `approximate`, as PyTorch spells it.
def Nabla_GeluApproximation : ConfinedAttr<StrAttr, [AttrConstraint<CPred<
    "::llvm::cast<::mlir::StringAttr>($_self).getValue() == \"none\" || "
    "::llvm::cast<::mlir::StringAttr>($_self).getValue() == \"tanh\"">,
    "\"none\" or \"tanh\"">]>;
def Nabla_GeluOp : Nabla_UnaryOp<"gelu", Nabla_FloatTensor, [Nabla_FollowOperands]> {
  let summary = "x * Phi(x) elementwise, exactly or with tanh";
  let description = [{
    `%y = nabla.gelu %x approximate = "none" : tensor<8x256xf32>`
    `%y = nabla.gelu %x approximate = "tanh" : tensor<8x256xf32>`
    As torch.nn.functional.gelu: "none" is x / 2 * (1 + erf(x / sqrt(2)));
    "tanh" is x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))).
  }];
  let arguments = (ins Nabla_FloatTensor:$operand,
                       Nabla_GeluApproximation:$approximate);
  let assemblyFormat = [{
    $operand `approximate` `=` $approximate attr-dict `:` type($result)
  }];
}
def Nabla_LeakyReluOp : Nabla_UnaryOp<"leaky_relu", Nabla_FloatTensor, [Nabla_FollowOperands]> {
  let summary = "x > 0 ? x : slope * x elementwise";
  let description = [{
    `%y = nabla.leaky_relu %x slope = 1.000000e-02 : tensor<8x256xf32>`
    The derivative at 0 is `slope`, as torch.nn.functional.leaky_relu's.
  }];
  let arguments = (ins Nabla_FloatTensor:$operand, F64Attr:$slope);
  let assemblyFormat = "$operand `slope` `=` $slope attr-dict `:` type($result)";
}
def Nabla_EluOp : Nabla_UnaryOp<"elu", Nabla_FloatTensor, [Nabla_FollowOperands]> {
  let summary = "x > 0 ? x : alpha * (exp(x) - 1) elementwise";
  let description = [{
    `%y = nabla.elu %x alpha = 1.000000e+00 : tensor<8x256xf32>`
    As torch.nn.functional.elu; the derivative at 0 is `alpha`.
  }];
  let arguments = (ins Nabla_FloatTensor:$operand, F64Attr:$alpha);
  let assemblyFormat = "$operand `alpha` `=` $alpha attr-dict `:` type($result)";
}
def Nabla_SoftplusOp : Nabla_UnaryOp<"softplus", Nabla_FloatTensor, [Nabla_KeepF32]> {
  let summary = "log(1 + exp(beta * x)) / beta, linear above a threshold";
  let description = [{
    `%y = nabla.softplus %x beta = 1.000000e+00 threshold = 2.000000e+01 : tensor<4xf32>`
    As torch.nn.functional.softplus: where beta * x > threshold the result
    is x (the two agree there to f32 precision). Kept in f32 under mixed
    precision, as autocast keeps softplus.
  }];
  let arguments = (ins Nabla_FloatTensor:$operand, F64Attr:$beta,
                       F64Attr:$threshold);
  let assemblyFormat = [{
    $operand `beta` `=` $beta `threshold` `=` $threshold attr-dict `:`
    type($result)
  }];
}
def Nabla_ClampOp : Nabla_UnaryOp<"clamp", Nabla_FloatTensor, [Nabla_FollowOperands]> {
  let summary = "min(max(x, lo), hi) elementwise";
  let description = [{
    `%y = nabla.clamp %x lo = -1.000000e+00 hi = 1.000000e+00 : tensor<4xf32>`
    As torch.clamp: NaN stays NaN, and lo > hi gives hi everywhere. The
    derivative is 1 where lo <= x <= hi (bounds included, as PyTorch's) and
    0 elsewhere.
  }];
  let arguments = (ins Nabla_FloatTensor:$operand, F64Attr:$lo, F64Attr:$hi);
  let assemblyFormat = [{
    $operand `lo` `=` $lo `hi` `=` $hi attr-dict `:` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class Nabla_ReduceOp<string mnemonic, Type operandType, list<Trait> traits = []>
    : Nabla_Op<mnemonic, !listconcat([Pure, Nabla_Reduction, Nabla_KeepF32,
        DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>], traits)> {
  let arguments = (ins operandType:$operand, DenseI64ArrayAttr:$axes,
                       UnitAttr:$keepdims);
  let results = (outs operandType:$result);
  let assemblyFormat = [{
    $operand `axes` `=` $axes (`keepdims` $keepdims^)? attr-dict `:`
    type($operand) `->` type($result)
  }];
  let hasVerifier = 1;
  let builders = [
    // The result type follows from the axes (sorted, non-negative) and keepdims.
    OpBuilder<(ins "::mlir::Value":$operand, "::llvm::ArrayRef<int64_t>":$axes,
                   "bool":$keepdims), [{
      build($_builder, $_state,
            ::nabla::getReducedType(operand.getType(), axes, keepdims),
            operand, axes, keepdims);
    }]>
  ];
  code extraClassDeclaration = [{
    ::mlir::LogicalResult verifyReduction();
  }];
}

def Nabla_SumOp : Nabla_ReduceOp<"sum", Nabla_NumericTensor> {
  let summary = "sum over the given axes";
  let description = [{
    `%s = nabla.sum %x axes = [1] : tensor<8x10xf32> -> tensor<8xf32>`
    `%s = nabla.sum %x axes = [1] keepdims : tensor<8x10xf32> -> tensor<8x1xf32>`
    Axes are sorted, distinct and in range; an empty list reduces nothing.
  }];
}
def Nabla_MeanOp : Nabla_ReduceOp<"mean", Nabla_FloatTensor, [Nabla_Composite]> {
  let summary = "arithmetic mean over the given axes";
  let description = [{
    `%m = nabla.mean %x axes = [0, 1] : tensor<8x10xf32> -> tensor<f32>`
  }];
}
def Nabla_ReduceMaxOp : Nabla_ReduceOp<"reduce_max", Nabla_NumericTensor> {
  let summary = "maximum over the given axes";
  let description = [{
    `%m = nabla.reduce_max %x axes = [1] : tensor<8x10xf32> -> tensor<8xf32>`
  }];
}

//===----------------------------------------------------------------------===//
// Linear algebra and data movement
//===----------------------------------------------------------------------===//

def Nabla_MatmulOp : Nabla_Op<"matmul", [Pure, Nabla_MatmulLike,
    Nabla_ComputeIn16Bits,
    DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>]> {
  let summary = "matrix product of two 2-D (or batched 3-D) tensors";
  let description = [{
    `%c = nabla.matmul %a, %b : tensor<128x64xf32>, tensor<64x10xf32> -> tensor<128x10xf32>`
    The inner dimensions must agree; 3-D operands multiply batch by batch
    and must have the same batch size.
  }];
  let arguments = (ins Nabla_NumericTensor:$lhs, Nabla_NumericTensor:$rhs);
  let results = (outs Nabla_NumericTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Nabla_TransposeOp : Nabla_Op<"transpose", [Pure, Nabla_MovesData,
    DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>]> {
  let summary = "permute the dimensions of a tensor";
  let description = [{
    `%t = nabla.transpose %x [1, 0] : tensor<64x10xf32> -> tensor<10x64xf32>`
    Result dim i is operand dim permutation[i]. A transpose of a transpose
    folds into one (or into nothing when they cancel).
  }];
  let arguments = (ins Nabla_Tensor:$operand, DenseI64ArrayAttr:$permutation);
  let results = (outs Nabla_Tensor:$result);
  let assemblyFormat = [{
    $operand $permutation attr-dict `:` type($operand) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Nabla_ReshapeOp : Nabla_Op<"reshape", [Pure, Nabla_MovesData,
    DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>]> {
  let summary = "the same elements in row-major order, another shape";
  let description = [{
    `%r = nabla.reshape %x : tensor<8x8xf32> -> tensor<64xf32>`
    A reshape of a reshape folds into one reshape.
  }];
  let arguments = (ins Nabla_Tensor:$operand);
  let results = (outs Nabla_Tensor:$result);
  let assemblyFormat = "$operand attr-dict `:` type($operand) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Nabla_BroadcastToOp : Nabla_Op<"broadcast_to", [Pure,
    Nabla_Elementwise, Nabla_MovesData,
    DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>]> {
  let summary = "repeat a tensor along broadcast dimensions";
  let description = [{
    `%b = nabla.broadcast_to %x : tensor<10xf32> -> tensor<8x10xf32>`
    The operand shape must broadcast to the result shape (numpy rules).
  }];
  let arguments = (ins Nabla_Tensor:$operand);
  let results = (outs Nabla_Tensor:$result);
  let assemblyFormat = "$operand attr-dict `:` type($operand) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Normalizations and losses
//===----------------------------------------------------------------------===//

class Nabla_SoftmaxLikeOp<string mnemonic>
    : Nabla_Op<mnemonic, [Pure, SameOperandsAndResultType, Nabla_Reduction,
                          Nabla_Composite, Nabla_KeepF32,
                          DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>]> {
  let arguments = (ins Nabla_FloatTensor:$operand, I64Attr:$axis);
  let results = (outs Nabla_FloatTensor:$result);
  let assemblyFormat = "$operand `axis` `=` $axis attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Nabla_SoftmaxOp : Nabla_SoftmaxLikeOp<"softmax"> {
  let summary = "exp(x) / sum(exp(x)) along one axis, computed stably";
  let description = [{ `%p = nabla.softmax %x axis = 1 : tensor<8x10xf32>` }];
}
def Nabla_LogSoftmaxOp : Nabla_SoftmaxLikeOp<"log_softmax"> {
  let summary = "x - log(sum(exp(x))) along one axis, computed stably";
  let description = [{ `%p = nabla.log_softmax %x axis = 1 : tensor<8x10xf32>` }];
}

def Nabla_MseOp : Nabla_Op<"mse", [Pure, Nabla_Reduction,
    Nabla_Composite, Nabla_KeepF32,
    DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>]> {
  let summary = "mean squared error, mean((pred - target)^2)";
  let description = [{
    `%l = nabla.mse %pred, %target : tensor<8x1xf32>, tensor<8x1xf32> -> tensor<f32>`
    As torch.nn.functional.mse_loss with reduction='mean'.
  }];
  let arguments = (ins Nabla_FloatTensor:$pred, Nabla_FloatTensor:$target);
  let results = (outs 0DTensorOf<[F32, F16, BF16, F64]>:$result);
  let assemblyFormat = [{
    $pred `,` $target attr-dict `:` type($pred) `,` type($target) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Nabla_CrossEntropyOp : Nabla_Op<"cross_entropy", [Pure, Nabla_Reduction,
    Nabla_Composite, Nabla_KeepF32,
    DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>]> {
  let summary = "mean negative log-likelihood of integer labels under softmax(logits)";
  let description = [{
    `%l = nabla.cross_entropy %logits, %labels : tensor<8x10xf32>, tensor<8xi32> -> tensor<f32>`
    As torch.nn.functional.cross_entropy(logits, labels) with
    reduction='mean'. Labels outside [0, C) contribute nothing.
  }];
  let arguments = (ins Nabla_FloatTensor:$logits, Nabla_IndexTensor:$labels);
  let results = (outs 0DTensorOf<[F32, F16, BF16, F64]>:$result);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` type($logits) `,` type($labels) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Nabla_BinaryCrossEntropyOp : Nabla_Op<"binary_cross_entropy", [Pure, Nabla_Reduction,
    Nabla_Composite, Nabla_KeepF32,
    DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>]> {
  let summary = "mean of -(t log p + (1 - t) log(1 - p))";
  let description = [{
    `%l = nabla.binary_cross_entropy %p, %t : tensor<8xf32>, tensor<8xf32> -> tensor<f32>`
    As torch.nn.functional.binary_cross_entropy: p is a probability and each
    log is clamped to at least -100.
  }];
  let arguments = (ins Nabla_FloatTensor:$probs, Nabla_FloatTensor:$targets);
  let results = (outs 0DTensorOf<[F32, F16, BF16, F64]>:$result);
  let assemblyFormat = [{
    $probs `,` $targets attr-dict `:` type($probs) `,` type($targets) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Ops the backward graph uses
//===----------------------------------------------------------------------===//

def Nabla_ReluGradOp : Nabla_Op<"relu_grad", [Pure, SameOperandsAndResultType,
    Nabla_Elementwise, Nabla_FollowOperands,
    DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>]> {
  let summary = "the adjoint of relu: dy where x > 0, else 0";
  let description = [{
    `%dx = nabla.relu_grad %x, %dy : tensor<8x256xf32>`
    The derivative at 0 is 0, as in PyTorch. Differentiable in `dy` (it is
    linear there) and with zero derivative in `x` almost everywhere.
    Autodiff passes relu's result as `x` (it is positive exactly where
    relu's operand is), so the pre-activation need not be kept.
  }];
  let arguments = (ins Nabla_FloatTensor:$x, Nabla_FloatTensor:$dy);
  let results = (outs Nabla_FloatTensor:$result);
  let assemblyFormat = "$x `,` $dy attr-dict `:` type($result)";
}

def Nabla_CompareOp : Nabla_Op<"compare", [Pure, Nabla_Elementwise]> {
  let summary = "elementwise comparison with broadcasting, giving i1";
  let description = [{
    `%m = nabla.compare "gt", %a, %b : tensor<4xf32>, tensor<f32> -> tensor<4xi1>`
    Predicates: "eq", "ne", "lt", "le", "gt", "ge". Comparisons with NaN
    are false (except "ne"). Used by derivative rules to build masks.
  }];
  let arguments = (ins StrAttr:$predicate, Nabla_NumericTensor:$lhs,
                       Nabla_NumericTensor:$rhs);
  let results = (outs StaticShapeTensorOf<[I1]>:$result);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Nabla_SelectOp : Nabla_Op<"select", [Pure, Nabla_Elementwise,
    Nabla_FollowOperands,
    DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>]> {
  let summary = "elementwise choice by an i1 condition, with broadcasting";
  let description = [{
    `%r = nabla.select %c, %a, %b : tensor<4x4xi1>, tensor<8x4x4xf32>, tensor<f32> -> tensor<8x4x4xf32>`
    `where(c, a, b)`: a's element where c is true, else b's (numpy's and
    PyTorch's `where`), the three broadcast together. Differentiable in
    `a` (the gradient where c is true) and `b` (where it is false); an
    infinite `b` (a mask of -inf) stays out of a's gradient.
  }];
  let arguments = (ins StaticShapeTensorOf<[I1]>:$condition,
                       Nabla_NumericTensor:$lhs, Nabla_NumericTensor:$rhs);
  let results = (outs Nabla_NumericTensor:$result);
  let assemblyFormat = [{
    $condition `,` $lhs `,` $rhs attr-dict `:` type($condition) `,` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Nabla_OneHotOp : Nabla_Op<"one_hot", [Pure, Nabla_Elementwise]> {
  let summary = "rows of the identity matrix picked by integer labels";
  let description = [{
    `%o = nabla.one_hot %labels : tensor<8xi32> -> tensor<8x10xf32>`
    Result [n, c] is 1 where labels[n] == c, else 0 (all zeros for a label
    outside [0, C)).
  }];
  let arguments = (ins Nabla_IndexTensor:$labels);
  let results = (outs Nabla_FloatTensor:$result);
  let assemblyFormat = "$labels attr-dict `:` type($labels) `->` type($result)";
  let hasVerifier = 1;
}

def Nabla_DropoutMaskOp : Nabla_Op<"dropout_mask", [Pure, Nabla_Elementwise]> {
  let summary = "a scaled Bernoulli mask from a counter-based generator";
  let description = [{
    `%m = nabla.dropout_mask %seed, %counter {p = 5.000000e-01 : f64, stream = 2 : i64} : tensor<i32>, tensor<i32> -> tensor<8x16xf32>`
    Element i (row-major) is 1 / (1 - p) where its uniform number
    u_i = (x_i >> 8) * 2^-24 is at least p, else 0: x_i is the first word
    of Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as
    1, 2, 3", 2011) with key (seed, stream) and counter (i, 0, counter, 0).
    A pure function of its operands and attributes, so the mask is the
    same on every thread count and device, and the backward pass reuses
    the forward's. Results hold at most 2^32 elements (i fits 32 bits).
  }];
  let arguments = (ins 0DTensorOf<[I32]>:$seed, 0DTensorOf<[I32]>:$counter,
                       F64Attr:$p, I64Attr:$stream);
  let results = (outs Nabla_FloatTensor:$result);
  let assemblyFormat = [{
    $seed `,` $counter attr-dict `:` type($seed) `,` type($counter) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data-parallel training
//===----------------------------------------------------------------------===//

def Nabla_AllReduceStartOp : Nabla_Op<"all_reduce_start",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "starts averaging a bucket of tensors over the processes";
  let description = [{
    `%t = nabla.all_reduce_start %g0, %g1 {bucket = 0 : i64} : tensor<512x512xf32>, tensor<512xf32>`
    Copies its operands into bucket `bucket` of the runtime and hands it to
    the collective (MPI in `mpirun -np K nablac train`), which averages it
    over the processes while the step goes on; `nabla.all_reduce_wait`
    with the token gives the means. Made by nabla-training-step with
    `all-reduce`. Its effects keep it from being removed or merged, and
    every process runs the same schedule, so the buckets start in the same
    order everywhere (the collectives match). Outside a data-parallel run
    (no collective) the means are the operands.
  }];
  let arguments = (ins Variadic<Nabla_FloatTensor>:$values, I64Attr:$bucket);
  let results = (outs I64:$token);
  let assemblyFormat = "$values attr-dict `:` type($values)";
}

def Nabla_AllReduceWaitOp : Nabla_Op<"all_reduce_wait",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "waits for a bucket's means over the processes";
  let description = [{
    `%m:2 = nabla.all_reduce_wait %t {bucket = 0 : i64} : tensor<512x512xf32>, tensor<512xf32>`
    Blocks until the bucket started by `%t` is averaged and returns its
    tensors, in the start's order and types. Placed before the first use
    of the means (clipping, the update), after the rest of the backward
    pass, so the averaging overlaps it.
  }];
  let arguments = (ins I64:$token, I64Attr:$bucket);
  let results = (outs Variadic<Nabla_FloatTensor>:$values);
  let assemblyFormat = "$token attr-dict `:` type($values)";
}

//===----------------------------------------------------------------------===//
// Padding, slicing, convolution and pooling
//===----------------------------------------------------------------------===//

include "NablaWindowOps.td"

//===----------------------------------------------------------------------===//
// Fusion groups
//===----------------------------------------------------------------------===//

def Nabla_FusedOp : Nabla_Op<"fused", [IsolatedFromAbove, SingleBlock,
    RecursiveMemoryEffects]> {
  let summary = "a group of ops compiled as one kernel";
  let description = [{
    Made by `nabla-fusion`. The body computes its results from the block
    arguments alone (one per input, in order) and ends in `nabla.yield`;
    codegen turns each group into one loop nest (CPU) or one dispatch
    (GPU), so the values inside it are never written out whole.
    ```
    %r = nabla.fused "group_3" kind = "matmul" (%x, %w, %b) :
        (tensor<32x64xf32>, tensor<64x128xf32>, tensor<128xf32>) -> tensor<32x128xf32> {
    ^bb0(%a: tensor<32x64xf32>, %c: tensor<64x128xf32>, %d: tensor<128xf32>):
      %0 = nabla.matmul %a, %c : ...
      %1 = nabla.add %0, %d : ...
      %2 = nabla.relu %1 : tensor<32x128xf32>
      nabla.yield %2 : tensor<32x128xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs, StrAttr:$name,
                       StrAttr:$kind);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $name `kind` `=` $kind `(` $inputs `)` attr-dict `:`
    functional-type($inputs, $results) $body
  }];
  let hasVerifier = 1;
  code extraClassDeclaration = [{
    ::mlir::Block &getBlock() { return getBody().front(); }
  }];
}

def Nabla_YieldOp : Nabla_Op<"yield", [Pure, Terminator,
    HasParent<"FusedOp">]> {
  let summary = "the results of a fusion group";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

#endif // NABLA_OPS_TD
