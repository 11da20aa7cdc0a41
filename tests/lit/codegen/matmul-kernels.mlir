// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-cpu-matmul-kernels))' | FileCheck %s
// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-cpu-matmul-kernels{vector-bits=512 registers=32}))' | FileCheck %s --check-prefix=AVX512

// An 8x32 @ 32x64 f32 matmul becomes blocks of 4 rows x 16 columns of C:
// columns outside rows (a panel of B serves every row block), then k one
// at a time with the block's four rows carried in vector registers (four
// vector<16xf32> iter_args, never a 2-D vector), one row of B loaded per
// k and four FMAs with broadcast elements of A. C's zero fill is gone: the
// registers start at zero and C is only written.
// CHECK-LABEL: func.func @blocked
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK-DAG:     %[[EMPTY:.*]] = tensor.empty() : tensor<8x64xf32>
// CHECK-NOT:     linalg.fill
// CHECK:         scf.for %[[J:.*]] = %c0 to %c64 step %c16 iter_args(%{{.*}} = %[[EMPTY]])
// CHECK:           scf.for %[[I:.*]] = %c0 to %c8 step %c4
// CHECK-NOT:         vector.transfer_read %{{.*}} : tensor<8x64xf32>
// CHECK:             scf.for %[[K:.*]] = %c0 to %c32 step %c1 iter_args(%{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]], %{{.*}} = %[[ZERO]]) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:               vector.transfer_read %arg1[%[[K]], %[[J]]]{{.*}} : tensor<32x64xf32>, vector<16xf32>
// CHECK-COUNT-4:       vector.fma {{.*}} : vector<16xf32>
// CHECK:             }
// CHECK-COUNT-4:     vector.transfer_write {{.*}} : vector<16xf32>, tensor<8x64xf32>
// CHECK-NOT:     linalg.matmul
func.func @blocked(%a: tensor<8x32xf32>, %b: tensor<32x64xf32>) -> tensor<8x64xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x64xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<8x64xf32>) -> tensor<8x64xf32>
  %r = linalg.matmul ins(%a, %b : tensor<8x32xf32>, tensor<32x64xf32>) outs(%c : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}

// One zero fill shared by two matmuls (CSE merges NablaToLinalg's fills
// of one shape): each kernel writes its C whole from registers that start
// at zero, into an empty tensor of its own, and the fill goes. Kept, it
// would be copied for each matmul before being overwritten.
// CHECK-LABEL: func.func @shared_fill
// CHECK-NOT:     linalg.fill
// CHECK:         %[[E1:.*]] = tensor.empty() : tensor<8x64xf32>
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[E1]])
// CHECK:         %[[E2:.*]] = tensor.empty() : tensor<8x64xf32>
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[E2]])
// CHECK-NOT:     linalg.fill
func.func @shared_fill(%a: tensor<8x32xf32>, %b: tensor<32x64xf32>, %b2: tensor<32x64xf32>) -> (tensor<8x64xf32>, tensor<8x64xf32>) {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x64xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<8x64xf32>) -> tensor<8x64xf32>
  %r = linalg.matmul ins(%a, %b : tensor<8x32xf32>, tensor<32x64xf32>) outs(%c : tensor<8x64xf32>) -> tensor<8x64xf32>
  %r2 = linalg.matmul ins(%a, %b2 : tensor<8x32xf32>, tensor<32x64xf32>) outs(%c : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %r, %r2 : tensor<8x64xf32>, tensor<8x64xf32>
}

// 10 columns (a classifier): no multiple of 8 divides them, so the block
// is all 10 wide, one vector<10xf32> per row (LLVM splits it 8 + 2).
// CHECK-LABEL: func.func @narrow_columns
// CHECK:         scf.for {{.*}} to %c8 step %c4
// CHECK:           scf.for {{.*}} iter_args({{.*}}) -> (vector<10xf32>, vector<10xf32>, vector<10xf32>, vector<10xf32>)
// CHECK-COUNT-4:     vector.fma {{.*}} : vector<10xf32>
// CHECK-NOT:     linalg.matmul
func.func @narrow_columns(%a: tensor<8x32xf32>, %b: tensor<32x10xf32>) -> tensor<8x10xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x10xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<8x10xf32>) -> tensor<8x10xf32>
  %r = linalg.matmul ins(%a, %b : tensor<8x32xf32>, tensor<32x10xf32>) outs(%c : tensor<8x10xf32>) -> tensor<8x10xf32>
  return %r : tensor<8x10xf32>
}

// 3 columns: too narrow for a vector; left to nabla-cpu-loop-order.
// CHECK-LABEL: func.func @odd_columns
// CHECK:         linalg.matmul
// CHECK-NOT:     vector.fma
func.func @odd_columns(%a: tensor<8x32xf32>, %b: tensor<32x3xf32>) -> tensor<8x3xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x3xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<8x3xf32>) -> tensor<8x3xf32>
  %r = linalg.matmul ins(%a, %b : tensor<8x32xf32>, tensor<32x3xf32>) outs(%c : tensor<8x3xf32>) -> tensor<8x3xf32>
  return %r : tensor<8x3xf32>
}

// One row (a fusion group's tile): 1 x 64 blocks, eight registers wide.
// CHECK-LABEL: func.func @one_row
// CHECK:         scf.for {{.*}} iter_args({{.*}}) -> (vector<64xf32>)
// CHECK:           vector.fma {{.*}} : vector<64xf32>
func.func @one_row(%a: tensor<1x32xf32>, %b: tensor<32x128xf32>) -> tensor<1x128xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x128xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<1x128xf32>) -> tensor<1x128xf32>
  %r = linalg.matmul ins(%a, %b : tensor<1x32xf32>, tensor<32x128xf32>) outs(%c : tensor<1x128xf32>) -> tensor<1x128xf32>
  return %r : tensor<1x128xf32>
}

// bf16 inputs (mixed precision) with an f32 sum: the same blocks, each
// element of A and row of B widened to f32 as it is loaded.
// CHECK-LABEL: func.func @bf16_inputs
// CHECK:         scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:           arith.extf {{.*}} : vector<16xbf16> to vector<16xf32>
// CHECK:           vector.fma {{.*}} : vector<16xf32>
func.func @bf16_inputs(%a: tensor<8x32xbf16>, %b: tensor<32x64xbf16>) -> tensor<8x64xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x64xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<8x64xf32>) -> tensor<8x64xf32>
  %r = linalg.matmul ins(%a, %b : tensor<8x32xbf16>, tensor<32x64xbf16>) outs(%c : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}

// With AVX-512 (32 registers of 16 floats, 24 for C), a 32 x 512 block
// takes 4 rows x 64 columns (16 accumulators, 8 loads per 16 FMAs) rather
// than 8 x 32 (10 loads per 16 FMAs). The loop over column blocks is
// marked parallel (each writes its own columns of C).
// B is packed first into 8 panels of 16 x 64 floats, so that the k loop
// reads consecutive addresses: B[k, j : j + 64] is packed[j / 64, k].
// AVX512-LABEL: func.func @wide
// AVX512:         %[[SPLIT:.*]] = tensor.expand_shape %arg1 {{.*}} into tensor<16x8x64xf32>
// AVX512:         %[[PACKED:.*]] = linalg.generic {{.*}} ins(%[[SPLIT]] : tensor<16x8x64xf32>) outs(%{{.*}} : tensor<8x16x64xf32>)
// AVX512:         scf.for %[[J:.*]] = %c0 to %c512 step %c64
// AVX512:           scf.for %{{.*}} = %c0 to %c32 step %c4
// AVX512:             %[[K:.*]]:4 = scf.for %[[KI:.*]] = {{.*}} iter_args({{.*}}) -> (vector<64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>)
// AVX512:               vector.transfer_read %[[PACKED]][%{{.*}}, %[[KI]], %c0]{{.*}} : tensor<8x16x64xf32>, vector<64xf32>
// AVX512:         } {nabla.parallel}
// CHECK-LABEL: func.func @wide
// CHECK:         scf.for %{{.*}} = %c0 to %c512 step %c16
// CHECK:           scf.for %{{.*}} = %c0 to %c32 step %c4
func.func @wide(%a: tensor<32x16xf32>, %b: tensor<16x512xf32>) -> tensor<32x512xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32x512xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<32x512xf32>) -> tensor<32x512xf32>
  %r = linalg.matmul ins(%a, %b : tensor<32x16xf32>, tensor<16x512xf32>) outs(%c : tensor<32x512xf32>) -> tensor<32x512xf32>
  return %r : tensor<32x512xf32>
}

// B's panels are packed right before the matmul's loops, not where B is
// defined (for a weight, the start of the step): packed just before the
// kernel reads them, they are still in L2.
// AVX512-LABEL: func.func @packed_before_its_kernel
// AVX512:         %[[A:.*]] = linalg.add
// AVX512:         tensor.expand_shape %arg1 {{.*}} into tensor<16x8x64xf32>
// AVX512:         linalg.generic {{.*}} outs(%{{.*}} : tensor<8x16x64xf32>)
// AVX512:         scf.for %{{.*}} = %c0 to %c512 step %c64
func.func @packed_before_its_kernel(%a: tensor<32x16xf32>, %b: tensor<16x512xf32>) -> tensor<32x512xf32> {
  %cst = arith.constant 0.0 : f32
  %s = tensor.empty() : tensor<32x16xf32>
  %a2 = linalg.add ins(%a, %a : tensor<32x16xf32>, tensor<32x16xf32>) outs(%s : tensor<32x16xf32>) -> tensor<32x16xf32>
  %e = tensor.empty() : tensor<32x512xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<32x512xf32>) -> tensor<32x512xf32>
  %r = linalg.matmul ins(%a2, %b : tensor<32x16xf32>, tensor<16x512xf32>) outs(%c : tensor<32x512xf32>) -> tensor<32x512xf32>
  return %r : tensor<32x512xf32>
}

// An implicit GEMM: A is a convolution's patches (im2col, x [1, 2, 5, 5]
// under a 2x2 window, pixels as rows: [16 pixels, 8 = C kh kw]). The
// kernel reads each element of A from x itself, at the copy's map applied
// to the row and column split back into (n, oh, ow) and (c, kh, kw); the
// patches are never built. The k loop becomes one loop per dim of the
// column (c, kh, kw), so no division is left inside; the row's split is
// done once per row block. Both the column and the row loop may run in
// parallel (here one column block, whose loop folds away: the rows are
// what threads can share).
// CHECK-LABEL: func.func @implicit_gemm
// CHECK-NOT:     linalg.generic
// CHECK:         scf.for %{{.*}} = %c0 to %c16 step %c4
// CHECK:           arith.divui %{{.*}}, %c4 : index
// CHECK:           scf.for %[[C:.*]] = %c0 to %c2 step %c1
// CHECK:             scf.for %[[KH:.*]] = %c0 to %c2 step %c1
// CHECK-NOT:           arith.divui
// CHECK:               scf.for %[[KW:.*]] = %c0 to %c2 step %c1
// CHECK-NOT:             arith.remui
// CHECK-NOT:             arith.divui
// CHECK:                 vector.transfer_read %arg0[%{{.*}}, %[[C]], %{{.*}}, %{{.*}}]{{.*}} : tensor<1x2x5x5xf32>, vector<1xf32>
// CHECK-COUNT-4:         vector.fma
// CHECK:         } {nabla.parallel}
// CHECK-NOT:   linalg.generic
#patch = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1 + d4, d2 + d5)>
#id6 = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3, d4, d5)>
func.func @implicit_gemm(%x: tensor<1x2x5x5xf32>, %w: tensor<8x16xf32>) -> tensor<16x16xf32> {
  %cst = arith.constant 0.0 : f32
  %pe = tensor.empty() : tensor<1x4x4x2x2x2xf32>
  %p = linalg.generic {indexing_maps = [#patch, #id6], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x2x5x5xf32>) outs(%pe : tensor<1x4x4x2x2x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x4x4x2x2x2xf32>
  %a = tensor.collapse_shape %p [[0, 1, 2], [3, 4, 5]] : tensor<1x4x4x2x2x2xf32> into tensor<16x8xf32>
  %e = tensor.empty() : tensor<16x16xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<16x16xf32>) -> tensor<16x16xf32>
  %r = linalg.matmul ins(%a, %w : tensor<16x8xf32>, tensor<8x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
  return %r : tensor<16x16xf32>
}

// A batch of matmuls (attention's scores): a loop over the batch, marked
// parallel, of blocked 2-D kernels on rank-reduced slices; C's zero fill
// becomes each kernel's starting registers.
// (The slices fold into the kernel's reads.)
// AVX512-LABEL: func.func @batched
// AVX512:         %[[C:.*]] = tensor.empty() : tensor<3x8x64xf32>
// AVX512-NOT:     linalg.fill
// AVX512:         scf.for %[[B:.*]] = %c0 to %c3 step %c1 iter_args(%{{.*}} = %[[C]])
// AVX512:           scf.for {{.*}} iter_args({{.*}}) -> (vector<64xf32>, vector<64xf32>, vector<64xf32>, vector<64xf32>)
// AVX512:             vector.transfer_read %arg0[%[[B]], {{.*}}]{{.*}} : tensor<3x8x16xf32>, vector<1xf32>
// AVX512:             vector.transfer_read %arg1[%[[B]], {{.*}}]{{.*}} : tensor<3x16x64xf32>, vector<64xf32>
// AVX512:             vector.fma
// AVX512:           tensor.insert_slice {{.*}}[%[[B]], 0, 0] [1, 8, 64] [1, 1, 1] : tensor<8x64xf32> into tensor<3x8x64xf32>
// AVX512:         } {nabla.parallel}
// AVX512-NOT:     linalg.batch_matmul
func.func @batched(%a: tensor<3x8x16xf32>, %b: tensor<3x16x64xf32>) -> tensor<3x8x64xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x8x64xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<3x8x64xf32>) -> tensor<3x8x64xf32>
  %r = linalg.batch_matmul ins(%a, %b : tensor<3x8x16xf32>, tensor<3x16x64xf32>) outs(%c : tensor<3x8x64xf32>) -> tensor<3x8x64xf32>
  return %r : tensor<3x8x64xf32>
}

// A weight gradient, x^T @ dy (x: 32 x 8): A is a transpose, read by the
// four column blocks. Its panels [8 / 4, 32, 4] are copied from x once
// (no transpose left), and each k step of a row block reads its four
// elements from one panel: block i / 4, row k, element i % 4 (hoisted out
// of the k loop), where x[k, i] would be a new row of x at every k.
// CHECK-LABEL: func.func @transposed_a
// CHECK-NOT:     linalg.transpose
// CHECK:         %[[SPLIT:.*]] = tensor.expand_shape %arg0 {{\[}}[0], [1, 2]] output_shape [32, 2, 4] : tensor<32x8xf32> into tensor<32x2x4xf32>
// CHECK:         %[[PANELS:.*]] = linalg.generic {{.*}} ins(%[[SPLIT]] : tensor<32x2x4xf32>) outs(%{{.*}} : tensor<2x32x4xf32>)
// CHECK:         scf.for %[[J:.*]] = %c0 to %c64 step %c16
// CHECK:           scf.for %[[I:.*]] = %c0 to %c8 step %c4
// CHECK:             %[[B:.*]] = arith.divui %[[I]], %c4
// CHECK:             scf.for %[[K:.*]] = %c0 to %c32 step %c1
// CHECK:               vector.transfer_read %[[PANELS]][%[[B]], %[[K]], %{{.*}}]{{.*}} : tensor<2x32x4xf32>, vector<1xf32>
// CHECK-NOT:     linalg.matmul
func.func @transposed_a(%x: tensor<32x8xf32>, %dy: tensor<32x64xf32>) -> tensor<8x64xf32> {
  %cst = arith.constant 0.0 : f32
  %t0 = tensor.empty() : tensor<8x32xf32>
  %xt = linalg.transpose ins(%x : tensor<32x8xf32>) outs(%t0 : tensor<8x32xf32>) permutation = [1, 0]
  %e = tensor.empty() : tensor<8x64xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<8x64xf32>) -> tensor<8x64xf32>
  %r = linalg.matmul ins(%xt, %dy : tensor<8x32xf32>, tensor<32x64xf32>) outs(%c : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}

// K = 1024 (4 chunks) stays one loop: too few chunks to pay.
// CHECK-LABEL: func.func @shorter_k
// CHECK-NOT:     step %c256
// CHECK:         return
func.func @shorter_k(%a: tensor<16x1024xf32>, %b: tensor<1024x64xf32>) -> tensor<16x64xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x64xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<16x64xf32>) -> tensor<16x64xf32>
  %r = linalg.matmul ins(%a, %b : tensor<16x1024xf32>, tensor<1024x64xf32>) outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}

// A long reduction (K = 2048, as a weight gradient sums over a batch's
// rows) runs in 8 chunks of 256 k: a chunk's rows of B's panel (256 x 16,
// 16 KiB) stay in L1 while every row block passes over them, and each
// chunk's sums add into C (read before, written after the k loop). B is
// packed once, before the chunks; the k index of its reads is the chunk's
// start plus k.
// CHECK-LABEL: func.func @long_k
// CHECK:         %[[FILL:.*]] = linalg.fill
// CHECK:         %[[PANELS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<4x2048x16xf32>)
// CHECK:         scf.for %[[KK:.*]] = %c0 to %c2048 step %c256 iter_args(%{{.*}} = %[[FILL]])
// CHECK:           scf.for %[[J:.*]] = %c0 to %c64 step %c16
// CHECK:             scf.for %[[I:.*]] = %c0 to %c16 step %c4
// CHECK:               vector.transfer_read %{{.*}}[%[[I]], %[[J]]]
// CHECK:               scf.for %[[K:.*]] = %c0 to %c256 step %c1
// CHECK:                 affine.apply #{{.*}}()[%[[KK]], %[[K]]]
// CHECK:                 vector.transfer_read %[[PANELS]][%{{.*}}, %{{.*}}, %c0]{{.*}} : tensor<4x2048x16xf32>, vector<16xf32>
func.func @long_k(%a: tensor<16x2048xf32>, %b: tensor<2048x64xf32>) -> tensor<16x64xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x64xf32>
  %c = linalg.fill ins(%cst : f32) outs(%e : tensor<16x64xf32>) -> tensor<16x64xf32>
  %r = linalg.matmul ins(%a, %b : tensor<16x2048xf32>, tensor<2048x64xf32>) outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}
