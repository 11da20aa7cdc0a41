// RUN: nabla-opt %s --nabla-cpu-kernel-arg-attrs | FileCheck %s
// RUN: nabla-opt %s --convert-func-to-llvm --nabla-cpu-kernel-arg-attrs \
// RUN:   | FileCheck %s --check-prefix=FROMFUNC

// A kernel (marked by nabla-cpu-outline-kernels) gets llvm.nonnull on each
// pointer argument and on nothing else, and loses the mark; a function
// without the mark is left as it is.
// CHECK-LABEL: llvm.func internal @kernel(
// CHECK-SAME:      %{{.*}}: !llvm.ptr {llvm.nonnull}, %{{.*}}: !llvm.ptr {llvm.nonnull},
// CHECK-SAME:      %{{.*}}: i64, %{{.*}}: f32, %{{.*}}: !llvm.ptr {llvm.nonnull})
// CHECK-NOT:       nabla.kernel
// CHECK-SAME:      passthrough = ["noinline"]
llvm.func internal @kernel(%a: !llvm.ptr, %b: !llvm.ptr, %n: i64, %s: f32,
                           %c: !llvm.ptr)
    attributes {nabla.kernel, passthrough = ["noinline"]} {
  llvm.return
}

// CHECK-LABEL: llvm.func @step(
// CHECK-SAME:      %{{.*}}: !llvm.ptr, %{{.*}}: i64)
// CHECK-NOT:     nonnull
llvm.func @step(%p: !llvm.ptr, %n: i64) {
  llvm.return
}

// From the func dialect: a memref argument becomes two pointers (allocated
// and aligned) and its offset, sizes and strides; both pointers are marked.
// FROMFUNC-LABEL: llvm.func internal @outlined(
// FROMFUNC-SAME:      %{{.*}}: !llvm.ptr {llvm.nonnull}, %{{.*}}: !llvm.ptr {llvm.nonnull}, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64,
// FROMFUNC-SAME:      %{{.*}}: i64)
// FROMFUNC-NOT:       nabla.kernel
func.func private @outlined(%m: memref<4xf32>, %i: index)
    attributes {nabla.kernel, llvm.linkage = #llvm.linkage<internal>} {
  return
}
