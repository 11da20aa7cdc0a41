// RUN: nabla-opt %s --nabla-cpu-narrow-tensor-uses | FileCheck %s

// A 0-d tensor read whole in several places (a vector read in a loop, a
// broadcast read, a tensor.extract) is read once, right after its
// definition; its other use (a linalg operand) stays.
// CHECK-LABEL: func.func @computed_scalar
// CHECK:         %[[T:.*]] = linalg.generic
// CHECK:         } -> tensor<f32>
// CHECK-NEXT:    %[[S:.*]] = tensor.extract %[[T]][] : tensor<f32>
// CHECK:         scf.for
// CHECK-NOT:       vector.transfer_read %[[T]]
// CHECK:           vector.broadcast %[[S]] : f32 to vector<f32>
// CHECK:         vector.broadcast %[[S]] : f32 to vector<16xf32>
// CHECK-NOT:     tensor.extract %[[T]]
// CHECK:         arith.addf %[[S]], %[[S]]
// CHECK:         linalg.generic {{.*}} ins(%[[T]] : tensor<f32>)
func.func @computed_scalar(%x: tensor<f32>, %y: tensor<16xf32>) -> (tensor<16xf32>, f32, tensor<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %pad = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %t = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []}
      ins(%x : tensor<f32>) outs(%e : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<f32>
  %r = scf.for %i = %c0 to %c16 step %c1 iter_args(%acc = %y) -> (tensor<16xf32>) {
    %v = vector.transfer_read %t[], %pad : tensor<f32>, vector<f32>
    %s = vector.extract %v[] : f32 from vector<f32>
    %w = tensor.insert %s into %acc[%i] : tensor<16xf32>
    scf.yield %w : tensor<16xf32>
  }
  %b = vector.transfer_read %t[], %pad {permutation_map = affine_map<() -> (0)>} : tensor<f32>, vector<16xf32>
  %r2 = vector.transfer_write %b, %r[%c0] : vector<16xf32>, tensor<16xf32>
  %x0 = tensor.extract %t[] : tensor<f32>
  %sum = arith.addf %x0, %x0 : f32
  %e2 = tensor.empty() : tensor<f32>
  %copy = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []}
      ins(%t : tensor<f32>) outs(%e2 : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<f32>
  return %r2, %sum, %copy : tensor<16xf32>, f32, tensor<f32>
}

// A 0-d argument read twice: read once at the top of the function.
// CHECK-LABEL: func.func @argument(
// CHECK-SAME:    %[[A:.*]]: tensor<f32>
// CHECK-NEXT:    %[[S:.*]] = tensor.extract %[[A]][] : tensor<f32>
// CHECK:         vector.broadcast %[[S]] : f32 to vector<8xf32>
// CHECK:         vector.broadcast %[[S]] : f32 to vector<8xf32>
func.func @argument(%a: tensor<f32>, %y: tensor<8xf32>, %z: tensor<8xf32>) -> (vector<8xf32>, vector<8xf32>) {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : f32
  %u = vector.transfer_read %a[], %pad {permutation_map = affine_map<() -> (0)>} : tensor<f32>, vector<8xf32>
  %v = vector.transfer_read %a[], %pad {permutation_map = affine_map<() -> (0)>} : tensor<f32>, vector<8xf32>
  return %u, %v : vector<8xf32>, vector<8xf32>
}

// Read once: nothing to share.
// CHECK-LABEL: func.func @read_once
// CHECK-NOT:     tensor.extract
// CHECK:         vector.transfer_read %{{.*}}[], %{{.*}} : tensor<f32>, vector<f32>
func.func @read_once(%a: tensor<f32>) -> vector<f32> {
  %pad = arith.constant 0.0 : f32
  %v = vector.transfer_read %a[], %pad : tensor<f32>, vector<f32>
  return %v : vector<f32>
}
