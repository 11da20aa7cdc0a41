// RUN: nabla-opt %s --nabla-protect-arguments | FileCheck %s
// RUN: nabla-opt %s --nabla-protect-arguments --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUFFERS

// nabla-protect-arguments gives each use of a tensor.empty or of a tensor
// constant one of its own (CSE merges them, and one-shot-bufferize's
// analysis costs the square of a tensor's uses). The constant's copies
// bufferize to one global; a scalar constant is left alone.
// CHECK-LABEL: func.func @constant
// CHECK-COUNT-3: arith.constant dense<16> : tensor<1xi64>
// CHECK-NOT:     arith.constant dense<16> : tensor<1xi64>
// CHECK-COUNT-1: arith.constant 0 : index
// CHECK-NOT:     arith.constant 0 : index
// BUFFERS:       memref.global "private" constant @__constant_1xi64
// BUFFERS-NOT:   memref.global
// BUFFERS-LABEL: func.func @constant
// BUFFERS-COUNT-3: memref.get_global @__constant_1xi64
func.func @constant(%a: tensor<1x16xf32>, %b: tensor<1x16xf32>, %c: tensor<1x16xf32>) -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, index, index) {
  %shape = arith.constant dense<16> : tensor<1xi64>
  %zero = arith.constant 0 : index
  %ra = tensor.reshape %a(%shape) : (tensor<1x16xf32>, tensor<1xi64>) -> tensor<16xf32>
  %rb = tensor.reshape %b(%shape) : (tensor<1x16xf32>, tensor<1xi64>) -> tensor<16xf32>
  %rc = tensor.reshape %c(%shape) : (tensor<1x16xf32>, tensor<1xi64>) -> tensor<16xf32>
  return %ra, %rb, %rc, %zero, %zero : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, index, index
}

// Two loops that wrote into one (CSE-merged) empty tensor get one each.
// CHECK-LABEL: func.func @empty
// CHECK:         %[[E1:.*]] = tensor.empty() : tensor<4xf32>
// CHECK:         %[[E2:.*]] = tensor.empty() : tensor<4xf32>
// CHECK:         linalg.generic {{.*}} outs(%[[E1]] : tensor<4xf32>)
// CHECK:         linalg.generic {{.*}} outs(%[[E2]] : tensor<4xf32>)
func.func @empty(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.negf %in : f32
    linalg.yield %v : f32
  } -> tensor<4xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%n : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.mulf %in, %in : f32
    linalg.yield %v : f32
  } -> tensor<4xf32>
  return %n, %m : tensor<4xf32>, tensor<4xf32>
}
