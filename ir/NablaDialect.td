//===- NablaDialect.td - The nabla dialect -----------------*- tablegen -*-===//
#ifndef NABLA_DIALECT_TD
#define NABLA_DIALECT_TD

include "mlir/IR/OpBase.td"

def Nabla_Dialect : Dialect {
  let name = "nabla";
  let cppNamespace = "::nabla";
  let summary = "Tensor-level ops of neural-network training graphs";
  let description = [{
    The nabla dialect holds a model's forward graph, and later its backward
    graph and training step, as ops on builtin ranked tensors with static
    shapes (element types f32, f16, bf16, i32, i1; f64 for gradient checking). Elementwise ops broadcast
    like numpy. A model is a `func.func` carrying `nabla.model`; its
    arguments carry `nabla.input = "x"` or `nabla.param = "Dense_1.w"` with
    `nabla.init = {...}`, and its results `nabla.output = "loss"`.
  }];
  let hasConstantMaterializer = 1;
  let hasRegionArgAttrVerify = 1;
  let hasOperationAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
}

class Nabla_Op<string mnemonic, list<Trait> traits = []>
    : Op<Nabla_Dialect, mnemonic, traits>;

// f64 is for checking: gradcheck runs models in double precision.
def Nabla_ElementType : AnyTypeOf<[F32, F16, BF16, F64, I32, I1]>;
// Shapes are static: every dim is known at compile time.
def Nabla_Tensor : StaticShapeTensorOf<[F32, F16, BF16, F64, I32, I1]>;
def Nabla_FloatTensor : StaticShapeTensorOf<[F32, F16, BF16, F64]>;
def Nabla_NumericTensor : StaticShapeTensorOf<[F32, F16, BF16, F64, I32]>;
def Nabla_IndexTensor : StaticShapeTensorOf<[I32]>;

#endif // NABLA_DIALECT_TD
