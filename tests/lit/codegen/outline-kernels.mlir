// RUN: nabla-opt %s --nabla-cpu-outline-kernels=min-kernels=2 | FileCheck %s
// RUN: nabla-opt %s --nabla-cpu-outline-kernels | FileCheck %s --check-prefix=WHOLE

// Two loop nests and a linalg op at the top level of @step, on buffers:
// each becomes a private, internal, noinline function marked nabla.kernel
// (for nabla-cpu-kernel-arg-attrs), named after its fusion group
// where it has one (the op itself loses the group's name), and a call in
// its place, in the same order. The constants a kernel uses are cloned
// in; the buffers and the scalar %s it uses become its arguments, in the
// order it first uses them.
// CHECK-LABEL: func.func private @step_group_0(
// CHECK-SAME:      %[[X:.*]]: memref<8xf32>, %[[Y:.*]]: memref<8xf32>)
// CHECK-SAME:      attributes {llvm.linkage = #llvm.linkage<internal>, nabla.kernel, passthrough = ["noinline"]}
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG:     %[[C1:.*]] = arith.constant 1 : index
// CHECK:         scf.for %[[I:.*]] = %[[C0]] to %[[C8]] step %[[C1]] {
// CHECK:           memref.load %[[X]][%[[I]]]
// CHECK:           memref.store %{{.*}}, %[[Y]][%[[I]]]
// CHECK-NOT:     nabla.group
// CHECK:         }
// CHECK-NEXT:    return
// CHECK-LABEL: func.func private @step_kernel_1(
// CHECK-SAME:      %{{.*}}: memref<8xf32>, %{{.*}}: f32)
// CHECK:         scf.for
// CHECK-LABEL: func.func private @step_kernel_2(
// CHECK-SAME:      %{{.*}}: memref<8xf32>, %{{.*}}: memref<8xf32>)
// CHECK:         linalg.copy
// CHECK-LABEL: func.func @step(
// CHECK-SAME:      %[[A:.*]]: memref<8xf32>, %[[B:.*]]: memref<8xf32>, %[[S:.*]]: f32)
// CHECK:         %[[T:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT:    call @step_group_0(%[[A]], %[[T]]) : (memref<8xf32>, memref<8xf32>) -> ()
// CHECK-NEXT:    call @step_kernel_1(%[[T]], %[[S]]) : (memref<8xf32>, f32) -> ()
// CHECK-NEXT:    call @step_kernel_2(%[[T]], %[[B]])
// CHECK-NEXT:    memref.dealloc %[[T]]
// CHECK-NEXT:    return

// @unrolled's two loop nests do the same work on rows 0 and 1 (as the
// copies of an unrolled loop's body do): the rows are passed with a
// dynamic offset, read through as they come, and both calls go to one
// function.
// CHECK-LABEL: func.func private @unrolled_kernel_0(
// CHECK-SAME:      %[[X:.*]]: memref<8xf32, strided<[1], offset: ?>>, %[[Y:.*]]: memref<8xf32, strided<[1], offset: ?>>)
// CHECK:         scf.for
// CHECK:           memref.load %[[X]]
// CHECK:           memref.store %{{.*}}, %[[Y]]
// CHECK-NOT:   func.func private @unrolled_kernel_1
// CHECK-LABEL: func.func @unrolled(
// CHECK:         %[[A1:.*]] = memref.subview %{{.*}}[1, 0]
// CHECK:         %[[B1:.*]] = memref.subview %{{.*}}[1, 0]
// CHECK:         call @unrolled_kernel_0(
// CHECK:         %[[C1:.*]] = memref.cast %[[A1]] : memref<8xf32, strided<[1], offset: 8>> to memref<8xf32, strided<[1], offset: ?>>
// CHECK:         %[[D1:.*]] = memref.cast %[[B1]]
// CHECK-NEXT:    call @unrolled_kernel_0(%[[C1]], %[[D1]])

// @single has one kernel, fewer than min-kernels: it stays whole.
// CHECK-LABEL: func.func @single(
// CHECK-NOT:     call
// CHECK:         scf.for

// At the default min-kernels (64) nothing here is outlined.
// WHOLE-NOT: call
// WHOLE-NOT: private

func.func @step(%a: memref<8xf32>, %b: memref<8xf32>, %s: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %t = memref.alloc() : memref<8xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %a[%i] : memref<8xf32>
    %w = arith.mulf %v, %v : f32
    memref.store %w, %t[%i] : memref<8xf32>
  } {nabla.group = "group_0"}
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %t[%i] : memref<8xf32>
    %w = arith.addf %v, %s : f32
    memref.store %w, %t[%i] : memref<8xf32>
  }
  linalg.copy ins(%t : memref<8xf32>) outs(%b : memref<8xf32>)
  memref.dealloc %t : memref<8xf32>
  return
}

func.func @unrolled(%a: memref<2x8xf32>, %b: memref<2x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %a0 = memref.subview %a[0, 0] [1, 8] [1, 1] : memref<2x8xf32> to memref<8xf32, strided<[1]>>
  %b0 = memref.subview %b[0, 0] [1, 8] [1, 1] : memref<2x8xf32> to memref<8xf32, strided<[1]>>
  %a1 = memref.subview %a[1, 0] [1, 8] [1, 1] : memref<2x8xf32> to memref<8xf32, strided<[1], offset: 8>>
  %b1 = memref.subview %b[1, 0] [1, 8] [1, 1] : memref<2x8xf32> to memref<8xf32, strided<[1], offset: 8>>
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %a0[%i] : memref<8xf32, strided<[1]>>
    %w = arith.addf %v, %v : f32
    memref.store %w, %b0[%i] : memref<8xf32, strided<[1]>>
  }
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %a1[%i] : memref<8xf32, strided<[1], offset: 8>>
    %w = arith.addf %v, %v : f32
    memref.store %w, %b1[%i] : memref<8xf32, strided<[1], offset: 8>>
  }
  return
}

func.func @single(%a: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %one, %a[%i] : memref<8xf32>
  }
  return
}

// @vectors: straight-line vector code at the top level (a small transpose
// vectorized whole, with no loop around it) is outlined as a loop nest
// is, where it has at least 8 ops and its values are used only inside it.
// The run steps over the constant and the buffer allocated inside it; the
// function is the run's ops, in order. A run of 2 ops, and a run whose
// value a later op uses, stay where they are.
// CHECK-LABEL: func.func private @vectors_kernel_1(
// CHECK-SAME:      %[[X:.*]]: memref<4x4xf32>, %[[Y:.*]]: memref<4x4xf32>)
// CHECK:         %[[T:.*]] = vector.transfer_read %[[X]]
// CHECK-COUNT-4: vector.extract %[[T]]
// CHECK:         vector.from_elements
// CHECK:         vector.transfer_write %{{.*}}, %[[Y]]
// CHECK-NEXT:    return
// CHECK-LABEL: func.func @vectors(
// CHECK-SAME:      %[[A:.*]]: memref<4x4xf32>, %[[B:.*]]: memref<4x4xf32>, %[[C:.*]]: memref<4xf32>)
// CHECK:         call @vectors_kernel_0(
// CHECK:         %[[T2:.*]] = memref.alloc() : memref<4x4xf32>
// CHECK-NEXT:    call @vectors_kernel_1(%[[A]], %[[T2]])
// CHECK-NEXT:    memref.copy %[[T2]], %[[B]]
// CHECK-NEXT:    vector.transfer_read %[[C]]
// CHECK-NEXT:    vector.transfer_write
// CHECK-NEXT:    memref.store
// CHECK-NEXT:    %[[R:.*]] = vector.transfer_read %[[C]]
// CHECK-COUNT-7: vector.extract %[[R]]
// CHECK:         memref.store
// CHECK:         memref.dealloc %[[T2]]
// CHECK-NEXT:    call @vectors_kernel_2(
func.func @vectors(%a: memref<4x4xf32>, %b: memref<4x4xf32>, %c: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %pad = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %pad, %b[%i, %i] : memref<4x4xf32>
  }
  %t = vector.transfer_read %a[%c0, %c0], %pad {in_bounds = [true, true]} : memref<4x4xf32>, vector<4x4xf32>
  %r0 = vector.extract %t[0] : vector<4xf32> from vector<4x4xf32>
  %r1 = vector.extract %t[1] : vector<4xf32> from vector<4x4xf32>
  %other = arith.constant 1.0 : f32
  %r2 = vector.extract %t[2] : vector<4xf32> from vector<4x4xf32>
  %r3 = vector.extract %t[3] : vector<4xf32> from vector<4x4xf32>
  %buffer = memref.alloc() : memref<4x4xf32>
  %e0 = vector.extract %r0[0] : f32 from vector<4xf32>
  %e1 = vector.extract %r1[1] : f32 from vector<4xf32>
  %e2 = vector.extract %r2[2] : f32 from vector<4xf32>
  %e3 = vector.extract %r3[3] : f32 from vector<4xf32>
  %d = vector.from_elements %e0, %e1, %e2, %e3 : vector<4xf32>
  %s = vector.broadcast %d : vector<4xf32> to vector<4x4xf32>
  vector.transfer_write %s, %buffer[%c0, %c0] {in_bounds = [true, true]} : vector<4x4xf32>, memref<4x4xf32>
  memref.copy %buffer, %b : memref<4x4xf32> to memref<4x4xf32>
  %short = vector.transfer_read %c[%c0], %pad {in_bounds = [true]} : memref<4xf32>, vector<4xf32>
  vector.transfer_write %short, %c[%c0] {in_bounds = [true]} : vector<4xf32>, memref<4xf32>
  memref.store %pad, %c[%c1] : memref<4xf32>
  %u = vector.transfer_read %c[%c0], %pad {in_bounds = [true]} : memref<4xf32>, vector<4xf32>
  %u0 = vector.extract %u[0] : f32 from vector<4xf32>
  %u1 = vector.extract %u[1] : f32 from vector<4xf32>
  %u2 = vector.extract %u[2] : f32 from vector<4xf32>
  %u3 = vector.extract %u[3] : f32 from vector<4xf32>
  %u4 = vector.extract %u[0] : f32 from vector<4xf32>
  %u5 = vector.extract %u[1] : f32 from vector<4xf32>
  %u6 = vector.extract %u[2] : f32 from vector<4xf32>
  %sum = arith.addf %u0, %u6 : f32
  memref.store %sum, %c[%c0] : memref<4xf32>
  memref.dealloc %buffer : memref<4x4xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %pad, %c[%i] : memref<4xf32>
  }
  return
}
