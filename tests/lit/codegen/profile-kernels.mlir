// RUN: nabla-opt %s --nabla-cpu-outline-kernels=min-kernels=2 --nabla-cpu-profile-kernels | FileCheck %s
// RUN: nabla-opt %s --nabla-cpu-profile-kernels | FileCheck %s --check-prefix=WHOLE

// Each kernel of @step (outlined into a call here) is put between
// nabla_profile_start() and nabla_profile_stop(name); the name is a
// null-terminated global string: the kernel's function, then its op's
// source position, with the layer instance a NameLoc gives it. The
// copy is timed too; the allocation and the deallocation are not kernels.
// CHECK-DAG:   func.func private @nabla_profile_start()
// CHECK-DAG:   func.func private @nabla_profile_stop(!llvm.ptr)
// CHECK-DAG:   llvm.mlir.global internal constant @[[N0:nabla_profile_name_[0-9]+]]("step_group_0 (model.nb:3:10 in Dense_2)\00")
// CHECK-DAG:   llvm.mlir.global internal constant @[[N1:nabla_profile_name_[0-9]+]]("step_kernel_1 (model.nb:4:5)\00")
// CHECK-DAG:   llvm.mlir.global internal constant @[[N2:nabla_profile_name_[0-9]+]]("step_copy_0 (model.nb:5:7)\00")
// The outlined kernels themselves are private: not instrumented.
// CHECK-LABEL: func.func private @step_group_0(
// CHECK-NOT:     call @nabla_profile
// CHECK-LABEL: func.func @step(
// CHECK:         memref.alloc()
// CHECK-NEXT:    call @nabla_profile_start()
// CHECK-NEXT:    call @step_group_0(
// CHECK-NEXT:    %[[A0:.*]] = llvm.mlir.addressof @[[N0]]
// CHECK-NEXT:    %[[P0:.*]] = llvm.getelementptr %[[A0]][0, 0]
// CHECK-NEXT:    call @nabla_profile_stop(%[[P0]])
// CHECK-NEXT:    call @nabla_profile_start()
// CHECK-NEXT:    call @step_kernel_1(
// CHECK-NEXT:    llvm.mlir.addressof @[[N1]]
// CHECK-NEXT:    llvm.getelementptr
// CHECK-NEXT:    call @nabla_profile_stop(
// CHECK-NEXT:    call @nabla_profile_start()
// CHECK-NEXT:    memref.copy
// CHECK-NEXT:    llvm.mlir.addressof @[[N2]]
// CHECK-NEXT:    llvm.getelementptr
// CHECK-NEXT:    call @nabla_profile_stop(
// CHECK-NEXT:    memref.dealloc

// Not outlined (fewer than min-kernels): the loop nests are timed where
// they are, named as outlining would have named their functions.
// WHOLE-DAG:   llvm.mlir.global internal constant @{{.*}}("step_group_0 (model.nb:3:10 in Dense_2)\00")
// WHOLE-DAG:   llvm.mlir.global internal constant @{{.*}}("step_kernel_1 (model.nb:4:5)\00")
// WHOLE-LABEL: func.func @step(
// WHOLE:         call @nabla_profile_start()
// WHOLE-NEXT:    scf.for
// WHOLE:         } {nabla.group = "group_0"}
// WHOLE-NEXT:    llvm.mlir.addressof
// WHOLE-NEXT:    llvm.getelementptr
// WHOLE-NEXT:    call @nabla_profile_stop(
// WHOLE-NEXT:    call @nabla_profile_start()
// WHOLE-NEXT:    scf.for

#dense = loc("model.nb":3:10)
func.func @step(%a: memref<8xf32>, %b: memref<8xf32>, %s: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %t = memref.alloc() : memref<8xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %a[%i] : memref<8xf32>
    %w = arith.mulf %v, %v : f32
    memref.store %w, %t[%i] : memref<8xf32>
  } {nabla.group = "group_0"} loc("Dense_2"(#dense))
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %t[%i] : memref<8xf32>
    %w = arith.addf %v, %s : f32
    memref.store %w, %t[%i] : memref<8xf32>
  } loc("model.nb":4:5)
  memref.copy %t, %b : memref<8xf32> to memref<8xf32> loc("model.nb":5:7)
  memref.dealloc %t : memref<8xf32>
  return
}
