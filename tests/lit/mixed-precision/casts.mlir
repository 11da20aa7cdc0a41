// RUN: nabla-opt %s --nabla-mixed-precision=dtype=bf16 | FileCheck %s
// RUN: nabla-opt %s --nabla-mixed-precision=dtype=f16 | FileCheck %s --check-prefix=F16
// RUN: not nabla-opt %s --nabla-mixed-precision=dtype=f8 2>&1 | FileCheck %s --check-prefix=BAD

// Where the casts go in the gradient function of a matmul + bias + relu +
// cross-entropy model (what `nablac --emit=grad` prints for it):
// - each parameter and input is cast to bf16 once, at the top, however
//   many ops read it (x is read by the forward matmul and, transposed, by
//   the weight gradient's matmul);
// - the matmuls, bias add, relu and its derivative run in bf16;
// - cross-entropy and softmax read the logits in f32, and the bias
//   gradient's sum over the batch accumulates in f32 (a reshape after it
//   stays f32: no rounding just to change shape);
// - the gradients the function returns are f32.

// CHECK-LABEL: func.func @M_grad
// CHECK-DAG:   %[[B:.*]] = nabla.cast %arg3 : tensor<3xf32> -> tensor<3xbf16>
// CHECK-DAG:   %[[W:.*]] = nabla.cast %arg2 : tensor<8x3xf32> -> tensor<8x3xbf16>
// CHECK-DAG:   %[[X:.*]] = nabla.cast %arg0 : tensor<4x8xf32> -> tensor<4x8xbf16>
// CHECK:       %[[MM:.*]] = nabla.matmul %[[X]], %[[W]] : tensor<4x8xbf16>, tensor<8x3xbf16> -> tensor<4x3xbf16>
// CHECK:       %[[PRE:.*]] = nabla.add %[[MM]], %[[B]] : {{.*}} -> tensor<4x3xbf16>
// CHECK:       %[[ACT:.*]] = nabla.relu %[[PRE]] : tensor<4x3xbf16>
// CHECK:       %[[LOGITS:.*]] = nabla.cast %[[ACT]] : tensor<4x3xbf16> -> tensor<4x3xf32>
// CHECK:       %[[LOSS:.*]] = nabla.cross_entropy %[[LOGITS]], %arg1 : tensor<4x3xf32>
// CHECK:       nabla.softmax %[[LOGITS]] {{.*}} : tensor<4x3xf32>
// CHECK:       %[[DPRE:.*]] = nabla.relu_grad %[[PRE]], %{{.*}} : tensor<4x3xbf16>
// CHECK:       %[[DPRE32:.*]] = nabla.cast %[[DPRE]] : tensor<4x3xbf16> -> tensor<4x3xf32>
// CHECK:       %[[DB:.*]] = nabla.sum %[[DPRE32]] axes = [0] keepdims : tensor<4x3xf32> -> tensor<1x3xf32>
// CHECK:       %[[DB1:.*]] = nabla.reshape %[[DB]] : tensor<1x3xf32> -> tensor<3xf32>
// CHECK:       %[[XT:.*]] = nabla.transpose %[[X]] [1, 0] : tensor<4x8xbf16> -> tensor<8x4xbf16>
// CHECK:       %[[DW:.*]] = nabla.matmul %[[XT]], %[[DPRE]] : tensor<8x4xbf16>, tensor<4x3xbf16> -> tensor<8x3xbf16>
// CHECK:       %[[DW32:.*]] = nabla.cast %[[DW]] : tensor<8x3xbf16> -> tensor<8x3xf32>
// CHECK:       return %[[LOSS]], %[[DW32]], %[[DB1]] : tensor<f32>, tensor<8x3xf32>, tensor<3xf32>

// Each argument is cast once (x, w and b; the labels are integers), however
// many ops read it.
// RUN: nabla-opt %s --nabla-mixed-precision=dtype=bf16 | grep -c "nabla.cast %arg" | FileCheck %s --check-prefix=COUNT
// COUNT: {{^}}3{{$}}

// F16: nabla.matmul {{.*}} : tensor<4x8xf16>, tensor<8x3xf16> -> tensor<4x3xf16>
// BAD: for the --dtype option: Cannot find option named 'f8'!

func.func @M_grad(%arg0: tensor<4x8xf32> {nabla.input = "x"}, %arg1: tensor<4xi32> {nabla.input = "label"}, %arg2: tensor<8x3xf32> {nabla.init = {kind = "xavier_normal"}, nabla.param = "w"}, %arg3: tensor<3xf32> {nabla.init = {kind = "zeros"}, nabla.param = "b"}) -> (tensor<f32> {nabla.output = "loss"}, tensor<8x3xf32> {nabla.grad = "w"}, tensor<3xf32> {nabla.grad = "b"}) attributes {nabla.gradient_of = "M"} {
  %0 = nabla.matmul %arg0, %arg2 : tensor<4x8xf32>, tensor<8x3xf32> -> tensor<4x3xf32>
  %1 = nabla.add %0, %arg3 : tensor<4x3xf32>, tensor<3xf32> -> tensor<4x3xf32>
  %2 = nabla.relu %1 : tensor<4x3xf32>
  %3 = nabla.cross_entropy %2, %arg1 : tensor<4x3xf32>, tensor<4xi32> -> tensor<f32>
  %4 = nabla.constant {nabla.loss_seed} dense<1.000000e+00> : tensor<f32>
  %5 = nabla.softmax %2 axis = 1 : tensor<4x3xf32>
  %6 = nabla.one_hot %arg1 : tensor<4xi32> -> tensor<4x3xf32>
  %7 = nabla.sum %6 axes = [1] keepdims : tensor<4x3xf32> -> tensor<4x1xf32>
  %8 = nabla.constant dense<4.000000e+00> : tensor<f32>
  %9 = nabla.div %4, %8 : tensor<f32>, tensor<f32> -> tensor<f32>
  %10 = nabla.mul %5, %7 : tensor<4x3xf32>, tensor<4x1xf32> -> tensor<4x3xf32>
  %11 = nabla.sub %10, %6 : tensor<4x3xf32>, tensor<4x3xf32> -> tensor<4x3xf32>
  %12 = nabla.mul %11, %9 : tensor<4x3xf32>, tensor<f32> -> tensor<4x3xf32>
  %13 = nabla.relu_grad %1, %12 : tensor<4x3xf32>
  %14 = nabla.sum %13 axes = [0] keepdims : tensor<4x3xf32> -> tensor<1x3xf32>
  %15 = nabla.reshape %14 : tensor<1x3xf32> -> tensor<3xf32>
  %16 = nabla.transpose %arg0 [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  %17 = nabla.matmul %16, %13 : tensor<8x4xf32>, tensor<4x3xf32> -> tensor<8x3xf32>
  return %3, %17, %15 : tensor<f32>, tensor<8x3xf32>, tensor<3xf32>
}
