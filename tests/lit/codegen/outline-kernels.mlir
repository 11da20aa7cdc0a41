// RUN: nabla-opt %s --nabla-cpu-outline-kernels=min-kernels=2 | FileCheck %s
// RUN: nabla-opt %s --nabla-cpu-outline-kernels | FileCheck %s --check-prefix=WHOLE

// Two loop nests and a linalg op at the top level of @step, on buffers:
// each becomes a private, internal, noinline function, named after its fusion group
// where it has one (the op itself loses the group's name), and a call in
// its place, in the same order. The constants a kernel uses are cloned
// in; the buffers and the scalar %s it uses become its arguments, in the
// order it first uses them.
// CHECK-LABEL: func.func private @step_group_0(
// CHECK-SAME:      %[[X:.*]]: memref<8xf32>, %[[Y:.*]]: memref<8xf32>)
// CHECK-SAME:      attributes {llvm.linkage = #llvm.linkage<internal>, passthrough = ["noinline"]}
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
