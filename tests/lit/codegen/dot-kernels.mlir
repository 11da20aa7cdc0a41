// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-cpu-matmul-kernels{vector-bits=512 registers=32 bf16-dot=1}))' | FileCheck %s
// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-cpu-matmul-kernels{vector-bits=512 registers=32}))' | FileCheck %s --check-prefix=WIDEN
// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-cpu-matmul-kernels{vector-bits=512 registers=32 bf16-dot=1}))' | nabla-opt --pass-pipeline='builtin.module(convert-vector-to-llvm{enable-x86vector})' | FileCheck %s --check-prefix=LLVM

// bf16 A and B, f32 C (K = 32, N = 64): B is copied into k-pair panels
// [N / nr, K / 2, 2 nr] (element (p, 2j + t) of panel jb is B[2p + t,
// jb nr + j]); blocks of 4 rows x 64 columns (16 sums in registers) step
// over the 16 pairs of k; each row's pair of A is one 32-bit word
// broadcast to 16 lanes, and each x86vector.avx512.dot (vdpbf16ps) adds
// the pair's two products into 16 sums. C's zero fill is gone: the sums
// start at zero, and C is only written.
// CHECK-DAG:   #[[PAIRS:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d3, d0, d2)>
// CHECK-DAG:   #[[TRANSPOSED:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>
// CHECK-LABEL: func.func @dot(
// CHECK-NOT:     linalg.fill
// CHECK:         %[[SPLIT:.*]] = tensor.expand_shape %arg1 {{\[\[}}0, 1], [2, 3]] output_shape [16, 2, 1, 64]
// CHECK:         %[[PACK:.*]] = linalg.generic {indexing_maps = [#[[PAIRS]], {{.*}}]{{.*}} ins(%[[SPLIT]] : tensor<16x2x1x64xbf16>) outs(%{{.*}} : tensor<1x16x64x2xbf16>)
// CHECK:         %[[PANELS:.*]] = tensor.collapse_shape %[[PACK]] {{.*}} into tensor<1x16x128xbf16>
// CHECK:         scf.for %[[J:[a-z0-9_]+]] = %{{.*}} to %{{.*}} step
// CHECK:           scf.for %[[I:[a-z0-9_]+]] = %{{.*}} to %{{.*}} step
// CHECK:             scf.for %[[P:[a-z0-9_]+]] = {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-4:       vector.transfer_read %[[PANELS]][%[[J]], %[[P]], %{{.*}}]{{.*}} : tensor<1x16x128xbf16>, vector<32xbf16>
// CHECK:               vector.transfer_read %arg0{{.*}} : tensor<8x32xbf16>, vector<2xbf16>
// CHECK:               vector.bitcast %{{.*}} : vector<2xbf16> to vector<1xi32>
// CHECK:               vector.broadcast %{{.*}} : i32 to vector<16xi32>
// CHECK:               vector.bitcast %{{.*}} : vector<16xi32> to vector<32xbf16>
// CHECK-COUNT-16:      x86vector.avx512.dot {{.*}} : vector<32xbf16> -> vector<16xf32>
// CHECK:             }
// CHECK-COUNT-16:    vector.transfer_write {{.*}} : vector<16xf32>, tensor<8x64xf32>
// CHECK:           } {nabla.parallel}
// CHECK:         } {nabla.parallel}
// CHECK-NOT:     linalg.matmul
// The widening kernel without the option: bf16 extended to f32, FMAs.
// WIDEN-LABEL: func.func @dot(
// WIDEN-NOT:     x86vector
// WIDEN:         arith.extf {{.*}} : vector<16xbf16> to vector<16xf32>
// WIDEN:         vector.fma
// And through convert-vector-to-llvm: LLVM's vdpbf16ps intrinsic.
// LLVM-LABEL:  func.func @dot(
// LLVM:          llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"({{.*}}) : (vector<16xf32>, vector<32xbf16>, vector<32xbf16>) -> vector<16xf32>
func.func @dot(%a: tensor<8x32xbf16>, %b: tensor<32x64xbf16>) -> tensor<8x64xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x64xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<8x64xf32>) -> tensor<8x64xf32>
  %r = linalg.matmul ins(%a, %b : tensor<8x32xbf16>, tensor<32x64xbf16>) outs(%c : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}

// B = W^T (x @ w^T): the panels are copied from W's rows, which hold the
// pairs side by side, and the transpose goes. C is not a constant: the sums
// start at its values.
// CHECK-LABEL: func.func @transposed_b(
// CHECK-NOT:     linalg.transpose
// CHECK:         tensor.expand_shape %arg1 {{\[\[}}0, 1], [2, 3]] output_shape [1, 16, 3, 2]
// CHECK:         linalg.generic {indexing_maps = [#[[TRANSPOSED]], {{.*}}]{{.*}} outs(%{{.*}} : tensor<1x3x16x2xbf16>)
// CHECK-COUNT-4: vector.transfer_read %{{.*}} : tensor<4x16xf32>, vector<16xf32>
// CHECK:         scf.for
// CHECK-COUNT-4:   x86vector.avx512.dot
func.func @transposed_b(%a: tensor<4x6xbf16>, %w: tensor<16x6xbf16>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %e = tensor.empty() : tensor<6x16xbf16>
  %t = linalg.transpose ins(%w : tensor<16x6xbf16>) outs(%e : tensor<6x16xbf16>) permutation = [1, 0]
  %r = linalg.matmul ins(%a, %t : tensor<4x6xbf16>, tensor<6x16xbf16>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// An odd K (or an N not a multiple of 16, or f32 inputs) takes the
// widening kernel.
// CHECK-LABEL: func.func @odd_k(
// CHECK-NOT:     x86vector
// CHECK:         vector.fma
// CHECK-LABEL: func.func @f32(
// CHECK-NOT:     x86vector
// CHECK:         vector.fma
func.func @odd_k(%a: tensor<4x5xbf16>, %b: tensor<5x16xbf16>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x5xbf16>, tensor<5x16xbf16>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}
func.func @f32(%a: tensor<4x6xf32>, %b: tensor<6x16xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x6xf32>, tensor<6x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}
