// RUN: nabla-opt %s --nabla-fusion --nabla-to-linalg --nabla-lower-fused --canonicalize --cse | FileCheck %s

// A row-wise softmax written out by hand (exp, row sum, divide) is one group
// and becomes one loop over tiles of rows (a row is 1 KiB, so 32 rows fill
// the 32 KiB tile budget): the exponentials exist only one tile at a time,
// and the only full-size tensor written is the result.
// CHECK-LABEL: func.func @softmax_rows
// CHECK-NOT:     linalg.generic
// CHECK:         %[[R:.*]] = scf.for %[[I:.*]] = %c0 to %c64 step %c32
// CHECK:           tensor.extract_slice %arg0[%[[I]], 0] [32, 256]
// CHECK:           math.exp
// CHECK:           arith.addf
// CHECK:           arith.divf
// CHECK:           tensor.insert_slice {{.*}}[%[[I]], 0] [32, 256]
// CHECK:         } {nabla.group = "group_0"}
// CHECK-NEXT:    return %[[R]]
func.func @softmax_rows(%x: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %0 = nabla.exp %x : tensor<64x256xf32>
  %1 = nabla.sum %0 axes = [1] keepdims : tensor<64x256xf32> -> tensor<64x1xf32>
  %2 = nabla.div %0, %1 : tensor<64x256xf32>, tensor<64x1xf32> -> tensor<64x256xf32>
  return %2 : tensor<64x256xf32>
}

// A norm (square, then sum over everything) tiles its reduction loop over
// the rows; the accumulator is filled once, before the loop.
// CHECK-LABEL: func.func @norm
// CHECK:         %[[ACC:.*]] = linalg.fill
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[ACC]])
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:         } {nabla.group = "group_0"}
func.func @norm(%g: tensor<128x64xf32>) -> tensor<f32> {
  %0 = nabla.mul %g, %g : tensor<128x64xf32>, tensor<128x64xf32> -> tensor<128x64xf32>
  %1 = nabla.sum %0 axes = [0, 1] : tensor<128x64xf32> -> tensor<f32>
  return %1 : tensor<f32>
}
