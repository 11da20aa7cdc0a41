// RUN: nabla-opt %s --pass-pipeline='builtin.module(func.func(nabla-cpu-parallel{min-work=1000}))' | FileCheck %s

// A marked loop over 8 tiles of 64 elements (8 x 64 x 3 ops of work) runs
// in parallel; the scf.parallel inside it becomes a sequential scf.for, so
// only one level forks threads.
// CHECK-LABEL: func.func @tiles
// CHECK:         scf.parallel (%[[I:.*]]) = (%c0) to (%c512) step (%c64) {
// CHECK-NOT:       scf.parallel
// CHECK:           scf.for %[[J:.*]] = %c0 to %c64 step %c1 {
// CHECK:             arith.mulf
// CHECK:           scf.reduce
// CHECK:         } {nabla.parallel}
func.func @tiles(%a: memref<512xf32>, %b: memref<512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c512 = arith.constant 512 : index
  scf.for %i = %c0 to %c512 step %c64 {
    scf.parallel (%j) = (%c0) to (%c64) step (%c1) {
      %k = arith.addi %i, %j : index
      %x = memref.load %a[%k] : memref<512xf32>
      %y = arith.mulf %x, %x : f32
      memref.store %y, %b[%k] : memref<512xf32>
    }
  } {nabla.parallel}
  return
}

// Too little work (4 x 3 ops): the marked loop stays sequential and the
// scf.parallel becomes a loop nest.
// CHECK-LABEL: func.func @small
// CHECK-NOT:     scf.parallel
// CHECK:         scf.for {{.*}} {
// CHECK:           scf.for
// CHECK:         } {nabla.parallel}
func.func @small(%a: memref<4xf32>, %b: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    scf.parallel (%j) = (%c0) to (%c1) step (%c1) {
      %x = memref.load %a[%i] : memref<4xf32>
      %y = arith.mulf %x, %x : f32
      memref.store %y, %b[%i] : memref<4xf32>
    }
  } {nabla.parallel}
  return
}

// An unmarked loop (its iterations may depend on each other) stays
// sequential however much work it holds; the scf.parallel inside it is the
// outermost candidate and runs in parallel.
// CHECK-LABEL: func.func @unmarked
// CHECK:         scf.for %{{.*}} = %c0 to %c512 step %c1 {
// CHECK:           scf.parallel
func.func @unmarked(%a: memref<512x512xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c512 = arith.constant 512 : index
  scf.for %i = %c0 to %c512 step %c1 {
    scf.parallel (%j) = (%c0) to (%c512) step (%c1) {
      %x = memref.load %a[%i, %j] : memref<512x512xf32>
      %y = arith.mulf %x, %x : f32
      memref.store %y, %a[%i, %j] : memref<512x512xf32>
    }
  }
  return
}

// A chosen scf.parallel of several dims keeps only the outermost dims that
// give 16 or more iterations parallel (here 4 x 8 = 32); the rest become
// scf.for loops inside, not collapsed OpenMP dims.
// CHECK-LABEL: func.func @multi_dim
// CHECK:         scf.parallel (%[[A:.*]], %[[B:.*]]) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
// CHECK-NEXT:      scf.for %[[C:.*]] = %c0 to %c32 step %c1 {
// CHECK-NEXT:        memref.load %{{.*}}[%[[A]], %[[B]], %[[C]]]
// CHECK:           scf.reduce
func.func @multi_dim(%a: memref<4x8x32xf32>, %b: memref<4x8x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%c4, %c8, %c32) step (%c1, %c1, %c1) {
    %x = memref.load %a[%i, %j, %k] : memref<4x8x32xf32>
    %y = arith.mulf %x, %x : f32
    memref.store %y, %b[%i, %j, %k] : memref<4x8x32xf32>
  }
  return
}
