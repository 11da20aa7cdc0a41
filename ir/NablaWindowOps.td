//===- NablaWindowOps.td - Padding, slicing, convolution, pooling -*- tablegen -*-===//
//
// The ops of convolutional networks. Layouts are PyTorch's: activations
// [N, C, spatial...] and convolution weights [O, C / groups, kernel...],
// with one, two or three spatial dims. Convolution and pooling ops
// compute "valid" windows only; padding is a `nabla.pad` before them, so
// each op has one meaning and its adjoint is again one of these ops:
//   pad <-> slice, conv -> (conv_transpose, conv_weight_grad), and those
//   two back to conv; max_pool -> max_pool_grad.
// An output size along a spatial dim is floor((in - d (k - 1) - 1) / s) + 1
// for input size in, kernel size k, stride s and dilation d.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_WINDOW_OPS_TD
#define NABLA_WINDOW_OPS_TD

def Nabla_PadOp : Nabla_Op<"pad", [Pure, Nabla_MovesData,
    DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>]> {
  let summary = "surround (and interleave) a tensor's elements with a value";
  let description = [{
    `%p = nabla.pad %x low = [0, 0, 1, 1] high = [0, 0, 1, 1] interior = [0, 0, 0, 0] value = 0.0 : tensor<8x3x28x28xf32> -> tensor<8x3x30x30xf32>`
    Along dim i, `low[i]` copies of `value` come first, then the elements
    with `interior[i]` copies between neighbours, then `high[i]` copies
    (XLA's pad). All amounts are non-negative; the result dim is
    low + high + n + (n - 1) * interior for an operand dim of n.
  }];
  let arguments = (ins Nabla_Tensor:$operand, DenseI64ArrayAttr:$low,
                       DenseI64ArrayAttr:$high, DenseI64ArrayAttr:$interior,
                       F64Attr:$value);
  let results = (outs Nabla_Tensor:$result);
  let assemblyFormat = [{
    $operand `low` `=` $low `high` `=` $high `interior` `=` $interior
    `value` `=` $value attr-dict `:` type($operand) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Nabla_SliceOp : Nabla_Op<"slice", [Pure, Nabla_MovesData,
    DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>]> {
  let summary = "a strided box of a tensor";
  let description = [{
    `%s = nabla.slice %x offsets = [0, 1] strides = [1, 2] : tensor<4x9xf32> -> tensor<4x4xf32>`
    Result element [i...] is operand element [offsets + i * strides]; the
    result type gives the sizes, which must fit in the operand. Its adjoint
    is a pad with zeros.
  }];
  let arguments = (ins Nabla_Tensor:$operand, DenseI64ArrayAttr:$offsets,
                       DenseI64ArrayAttr:$strides);
  let results = (outs Nabla_Tensor:$result);
  let assemblyFormat = [{
    $operand `offsets` `=` $offsets `strides` `=` $strides attr-dict `:`
    type($operand) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Nabla_ConcatOp : Nabla_Op<"concat", [Pure, Nabla_MovesData,
    DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>]> {
  let summary = "tensors joined along one dim (torch.cat)";
  let description = [{
    `%c = nabla.concat %a, %b axis = 1 : tensor<4x2xf32>, tensor<4x3xf32> -> tensor<4x5xf32>`
    The inputs share a rank, an element type and every dim but `axis`; the
    result's `axis` dim is the sum of theirs, the inputs placed in order.
    Its adjoint is a slice of the result's adjoint per input. (It could be
    a sum of pads, each as big as the result: T pieces, as an unrolled
    loop stacks them, would then cost T times the result.)
  }];
  let arguments = (ins Variadic<Nabla_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Nabla_Tensor:$result);
  let assemblyFormat = [{
    $inputs `axis` `=` $axis attr-dict `:` type($inputs) `->` type($result)
  }];
  let hasVerifier = 1;
}

// The attributes every convolution-like op shares: one stride and one
// dilation per spatial dim, and the channel groups.
class Nabla_ConvLikeOp<string mnemonic>
    : Nabla_Op<mnemonic, [Pure, Nabla_ComputeIn16Bits,
                          DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>]> {
  let arguments = (ins Nabla_FloatTensor:$lhs, Nabla_FloatTensor:$rhs,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       I64Attr:$groups);
  let results = (outs Nabla_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs `strides` `=` $strides `dilations` `=` $dilations
    `groups` `=` $groups attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Nabla_ConvOp : Nabla_ConvLikeOp<"conv"> {
  let summary = "cross-correlation of [N, C, spatial...] with [O, C / G, k...], valid windows";
  let description = [{
    `%y = nabla.conv %x, %w strides = [1, 1] dilations = [1, 1] groups = 1 : tensor<8x3x30x30xf32>, tensor<16x3x3x3xf32> -> tensor<8x16x28x28xf32>`
    y[n, o, p] = sum over c, k of x[n, g C/G + c, p s + k d] w[o, c, k],
    g = o / (O / G): torch.nn.functional.conv2d without padding or bias.
    `lhs` is the input x, `rhs` the weight w.
  }];
}

def Nabla_ConvTransposeOp : Nabla_ConvLikeOp<"conv_transpose"> {
  let summary = "the adjoint of conv in its input: [N, O, out...] and [O, C / G, k...] to [N, C, in...]";
  let description = [{
    `%dx = nabla.conv_transpose %dy, %w strides = [2, 2] dilations = [1, 1] groups = 1 : tensor<8x16x14x14xf32>, tensor<16x3x3x3xf32> -> tensor<8x3x30x30xf32>`
    r[n, c, i] = sum over o, k, p with p s + k d = i of dy[n, o, p] w[o, c, k]
    (torch.nn.functional.conv_transpose2d without padding). The result's
    spatial sizes are those of the conv input whose output is `lhs`.
  }];
}

def Nabla_ConvWeightGradOp : Nabla_ConvLikeOp<"conv_weight_grad"> {
  let summary = "the adjoint of conv in its weight: [N, C, in...] and [N, O, out...] to [O, C / G, k...]";
  let description = [{
    `%dw = nabla.conv_weight_grad %x, %dy strides = [1, 1] dilations = [1, 1] groups = 1 : tensor<8x3x30x30xf32>, tensor<8x16x28x28xf32> -> tensor<16x3x3x3xf32>`
    r[o, c, k] = sum over n, p of dy[n, o, p] x[n, g C/G + c, p s + k d].
  }];
}

// Max pooling's window: a kernel size, a stride and a dilation per
// spatial dim.
class Nabla_PoolOp<string mnemonic, dag operands, list<Trait> extra = []>
    : Nabla_Op<mnemonic, !listconcat([Pure, Nabla_FollowOperands], extra)> {
  let arguments = !con(operands, (ins DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations));
  let results = (outs Nabla_FloatTensor:$result);
  let hasVerifier = 1;
}

def Nabla_MaxPoolOp : Nabla_PoolOp<"max_pool", (ins Nabla_FloatTensor:$operand),
    [DeclareOpInterfaceMethods<Nabla_DifferentiableOpInterface>]> {
  let summary = "the maximum of each window of [N, C, spatial...], valid windows";
  let description = [{
    `%y = nabla.max_pool %x kernel = [2, 2] strides = [2, 2] dilations = [1, 1] : tensor<8x6x28x28xf32> -> tensor<8x6x14x14xf32>`
    NaN wins, as in PyTorch. Padding is a `nabla.pad` with -inf before it.
  }];
  let assemblyFormat = [{
    $operand `kernel` `=` $kernel `strides` `=` $strides `dilations` `=` $dilations
    attr-dict `:` type($operand) `->` type($result)
  }];
}

def Nabla_MaxPoolGradOp : Nabla_PoolOp<"max_pool_grad",
    (ins Nabla_FloatTensor:$x, Nabla_FloatTensor:$dy)> {
  let summary = "the adjoint of max_pool: each window's dy goes to its first maximum";
  let description = [{
    `%dx = nabla.max_pool_grad %x, %dy kernel = [2, 2] strides = [2, 2] dilations = [1, 1] : tensor<8x6x28x28xf32>, tensor<8x6x14x14xf32> -> tensor<8x6x28x28xf32>`
    Within a window, the first maximal element in row-major order (or the
    first NaN) receives the window's dy, as in PyTorch; overlapping windows
    add. Not differentiable itself (no second derivatives of max pooling).
  }];
  let assemblyFormat = [{
    $x `,` $dy `kernel` `=` $kernel `strides` `=` $strides `dilations` `=` $dilations
    attr-dict `:` type($x) `,` type($dy) `->` type($result)
  }];
}

#endif // NABLA_WINDOW_OPS_TD
