// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-cpu-vectorize-elementwise{vector-bits=512 nontemporal-bytes=4096}))' | FileCheck %s --check-prefix=MARK
// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-cpu-vectorize-elementwise{vector-bits=512 nontemporal-bytes=4096}),one-shot-bufferize{bufferize-function-boundaries},func.func(nabla-cpu-nontemporal-stores))' | FileCheck %s --check-prefix=STORE

// A result of 64 x 64 floats (16 KiB, above the 4 KiB asked for here)
// written in 16-float vectors: its tile loop is marked, and after
// bufferization its writes are stores that bypass the cache, 64-byte
// aligned. The same op into 8 x 64 floats (2 KiB) is left alone.
// MARK-LABEL: func.func @large
// MARK:         scf.for
// MARK:         } {nabla.nontemporal, nabla.parallel}
// STORE-LABEL: func.func @large
// STORE:         vector.store {{.*}} {alignment = 64 : i64, nontemporal = true} : memref<{{.*}}>, vector<16xf32>
// STORE-NOT:     vector.transfer_write
// STORE-NOT:     nabla.nontemporal
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @large(%x: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) {
  ^bb0(%xi: f32, %o: f32):
    %y = arith.maximumf %xi, %zero : f32
    linalg.yield %y : f32
  } -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}

// MARK-LABEL: func.func @small
// MARK-NOT:     nabla.nontemporal
// STORE-LABEL: func.func @small
// STORE-NOT:     nontemporal
func.func @small(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x64xf32>) outs(%e : tensor<8x64xf32>) {
  ^bb0(%xi: f32, %o: f32):
    %y = arith.maximumf %xi, %zero : f32
    linalg.yield %y : f32
  } -> tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}

// Written into a slice that starts 3 floats into each row: the lines are
// not aligned, so nothing is marked.
// MARK-LABEL: func.func @misaligned
// MARK-NOT:     nabla.nontemporal
// MARK:         return
func.func @misaligned(%x: tensor<64x64xf32>, %big: tensor<64x80xf32>) -> tensor<64x64xf32> {
  %zero = arith.constant 0.0 : f32
  %s = tensor.extract_slice %big[0, 3] [64, 64] [1, 1] : tensor<64x80xf32> to tensor<64x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64x64xf32>) outs(%s : tensor<64x64xf32>) {
  ^bb0(%xi: f32, %o: f32):
    %y = arith.maximumf %xi, %zero : f32
    linalg.yield %y : f32
  } -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}
