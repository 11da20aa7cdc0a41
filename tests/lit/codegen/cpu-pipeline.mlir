// RUN: nabla-opt %s --nabla-cpu-pipeline | FileCheck %s
// RUN: nabla-opt %s --nabla-cpu-pipeline | FileCheck %s --check-prefix=CLEAN --strict-whitespace

// The whole CPU pipeline turns model functions into llvm.funcs whose
// tensors are memref descriptors (allocated ptr, aligned ptr, offset, sizes,
// strides), results included: every result becomes a trailing out-parameter
// and the function returns nothing.

// Nothing above the LLVM dialect is left: no nabla, linalg, tensor, memref,
// bufferization, arith, math, scf, cf or func ops, no unrealized casts
// (an op is a result's `= ` or an indented line's start; attributes such
// as nabla.model may stay).
// CLEAN-NOT: {{(= |  )(nabla|linalg|tensor|memref|bufferization|arith|math|scf|cf|func|affine|index)\.[a-z_]+}}
// CLEAN-NOT: unrealized_conversion_cast

// Elementwise x * w (nabla-cpu-vectorize-elementwise: the four elements are
// one vector): x is loaded through its aligned pointer (%arg1), w through
// w's (%arg6), and the product stored through the out-parameter's (%arg11).
// CHECK-LABEL: llvm.func @Scale(
// CHECK-SAME:      %arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: i64, %arg3: i64, %arg4: i64,
// CHECK-SAME:      %arg5: !llvm.ptr, %arg6: !llvm.ptr, %arg7: i64, %arg8: i64, %arg9: i64,
// CHECK-SAME:      %arg10: !llvm.ptr, %arg11: !llvm.ptr, %arg12: i64, %arg13: i64, %arg14: i64) attributes {nabla.model} {
// CHECK:         %[[O1:[0-9]+]] = llvm.insertvalue %arg11, %{{[0-9]+}}[1]
// CHECK-NEXT:    %[[O2:[0-9]+]] = llvm.insertvalue %arg12, %[[O1]][2]
// CHECK-NEXT:    %[[O3:[0-9]+]] = llvm.insertvalue %arg13, %[[O2]][3, 0]
// CHECK-NEXT:    %[[OUT:[0-9]+]] = llvm.insertvalue %arg14, %[[O3]][4, 0]
// CHECK:         %[[W1:[0-9]+]] = llvm.insertvalue %arg6, %{{[0-9]+}}[1]
// CHECK-NEXT:    %[[W2:[0-9]+]] = llvm.insertvalue %arg7, %[[W1]][2]
// CHECK-NEXT:    %[[W3:[0-9]+]] = llvm.insertvalue %arg8, %[[W2]][3, 0]
// CHECK-NEXT:    %[[W:[0-9]+]] = llvm.insertvalue %arg9, %[[W3]][4, 0]
// CHECK:         %[[X1:[0-9]+]] = llvm.insertvalue %arg1, %{{[0-9]+}}[1]
// CHECK-NEXT:    %[[X2:[0-9]+]] = llvm.insertvalue %arg2, %[[X1]][2]
// CHECK-NEXT:    %[[X3:[0-9]+]] = llvm.insertvalue %arg3, %[[X2]][3, 0]
// CHECK-NEXT:    %[[X:[0-9]+]] = llvm.insertvalue %arg4, %[[X3]][4, 0]
// CHECK:         %[[XP:[0-9]+]] = llvm.extractvalue %[[X]][1]
// CHECK-NEXT:    %[[XG:[0-9]+]] = llvm.getelementptr %[[XP]][%[[I:[0-9]+]]]
// CHECK-NEXT:    %[[XV:[0-9]+]] = llvm.load %[[XG]] {{.*}} : !llvm.ptr -> vector<4xf32>
// CHECK-NEXT:    %[[WP:[0-9]+]] = llvm.extractvalue %[[W]][1]
// CHECK-NEXT:    %[[WG:[0-9]+]] = llvm.getelementptr %[[WP]][%[[I]]]
// CHECK-NEXT:    %[[WV:[0-9]+]] = llvm.load %[[WG]] {{.*}} : !llvm.ptr -> vector<4xf32>
// CHECK-NEXT:    %[[P:[0-9]+]] = llvm.fmul %[[XV]], %[[WV]] : vector<4xf32>
// CHECK-NEXT:    %[[OP:[0-9]+]] = llvm.extractvalue %[[OUT]][1]
// CHECK-NEXT:    %[[OG:[0-9]+]] = llvm.getelementptr %[[OP]][%[[I]]]
// CHECK-NEXT:    llvm.store %[[P]], %[[OG]] {{.*}} : vector<4xf32>, !llvm.ptr
// CHECK:         llvm.return{{$}}
// CHECK-NEXT:  }
func.func @Scale(%x: tensor<4xf32> {nabla.input = "x"}, %w: tensor<4xf32> {nabla.param = "w"})
    -> (tensor<4xf32> {nabla.output = "y"}) attributes {nabla.model} {
  %0 = nabla.mul %x, %w : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// A scalar loss becomes a rank-0 out-parameter (ptr, ptr, offset): it is
// zeroed, accumulated into, and finally divided by the element count.
// CHECK-LABEL: llvm.func @Loss(
// CHECK-SAME:      %arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: i64, %arg3: i64, %arg4: i64,
// CHECK-SAME:      %arg5: !llvm.ptr, %arg6: !llvm.ptr, %arg7: i64, %arg8: i64, %arg9: i64,
// CHECK-SAME:      %arg10: !llvm.ptr, %arg11: !llvm.ptr, %arg12: i64) attributes {nabla.arena_bytes = {{[0-9]+}} : i64, nabla.model} {
// CHECK:         %[[L1:[0-9]+]] = llvm.insertvalue %arg11, %{{[0-9]+}}[1] : !llvm.struct<(ptr, ptr, i64)>
// CHECK-NEXT:    %[[L:[0-9]+]] = llvm.insertvalue %arg12, %[[L1]][2] : !llvm.struct<(ptr, ptr, i64)>
// CHECK-DAG:     %[[FOUR:[0-9]+]] = llvm.mlir.constant(4.000000e+00 : f32) : f32
// CHECK-DAG:     %[[ZERO:[0-9]+]] = llvm.mlir.constant(0.000000e+00 : f32) : f32
// CHECK:         %[[LP0:[0-9]+]] = llvm.extractvalue %{{[0-9]+}}[1] : !llvm.struct<(ptr, ptr, i64)>
// CHECK-NEXT:    llvm.store %[[ZERO]], %[[LP0]] : f32, !llvm.ptr
// The loss is a fusion group: one loop nest over tiles of rows that
// subtracts, squares and accumulates without an intermediate tensor, each
// tile into its own partial sum; the partial sums are then added into the
// loss.
// CHECK:         %[[D:[0-9]+]] = llvm.fsub
// CHECK-NEXT:    %[[SQ:[0-9]+]] = llvm.fmul %[[D]], %[[D]] : f32
// CHECK-NEXT:    %[[ACC:[0-9]+]] = llvm.fadd %[[SQ]], %{{[0-9]+}} : f32
// CHECK:         llvm.store %[[ACC]], %{{[0-9]+}} : f32, !llvm.ptr
// CHECK:         %[[PART:[0-9]+]] = llvm.load %{{[0-9]+}} : !llvm.ptr -> f32
// CHECK:         %[[SUM0:[0-9]+]] = llvm.load %{{[0-9]+}} : !llvm.ptr -> f32
// CHECK-NEXT:    %[[SUM:[0-9]+]] = llvm.fadd %[[PART]], %[[SUM0]] : f32
// CHECK:         llvm.store %[[SUM]], %{{[0-9]+}} : f32, !llvm.ptr
// CHECK:         %[[SP:[0-9]+]] = llvm.extractvalue %{{[0-9]+}}[1]
// CHECK-NEXT:    %[[S:[0-9]+]] = llvm.load %[[SP]] : !llvm.ptr -> f32
// CHECK-NEXT:    %[[M:[0-9]+]] = llvm.fdiv %[[S]], %[[FOUR]] : f32
// CHECK-NEXT:    %[[MP:[0-9]+]] = llvm.extractvalue %{{[0-9]+}}[1]
// CHECK-NEXT:    llvm.store %[[M]], %[[MP]] : f32, !llvm.ptr
// CHECK:         llvm.return{{$}}
func.func @Loss(%p: tensor<4xf32> {nabla.input = "p"}, %t: tensor<4xf32> {nabla.input = "t"})
    -> (tensor<f32> {nabla.output = "loss"}) attributes {nabla.model} {
  %0 = nabla.mse %p, %t : tensor<4xf32>, tensor<4xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// An argument returned as is is copied into its out-parameter (%arg6),
// not aliased; the other result is computed into its own (%arg11).
// CHECK-LABEL: llvm.func @PassThrough(
// CHECK-SAME:      %arg10: !llvm.ptr, %arg11: !llvm.ptr, %arg12: i64, %arg13: i64, %arg14: i64) {
// CHECK:         %[[R1:[0-9]+]] = llvm.insertvalue %arg11, %{{[0-9]+}}[1]
// CHECK-NEXT:    %[[R2:[0-9]+]] = llvm.insertvalue %arg12, %[[R1]][2]
// CHECK-NEXT:    %[[R3:[0-9]+]] = llvm.insertvalue %arg13, %[[R2]][3, 0]
// CHECK-NEXT:    %[[RELU:[0-9]+]] = llvm.insertvalue %arg14, %[[R3]][4, 0]
// CHECK:         %[[C1:[0-9]+]] = llvm.insertvalue %arg6, %{{[0-9]+}}[1]
// CHECK-NEXT:    %[[C2:[0-9]+]] = llvm.insertvalue %arg7, %[[C1]][2]
// CHECK-NEXT:    %[[C3:[0-9]+]] = llvm.insertvalue %arg8, %[[C2]][3, 0]
// CHECK-NEXT:    %[[COPY:[0-9]+]] = llvm.insertvalue %arg9, %[[C3]][4, 0]
// CHECK:         %[[X1:[0-9]+]] = llvm.insertvalue %arg1, %{{[0-9]+}}[1]
// CHECK-NEXT:    %[[X2:[0-9]+]] = llvm.insertvalue %arg2, %[[X1]][2]
// CHECK-NEXT:    %[[X3:[0-9]+]] = llvm.insertvalue %arg3, %[[X2]][3, 0]
// CHECK-NEXT:    %[[X:[0-9]+]] = llvm.insertvalue %arg4, %[[X3]][4, 0]
// CHECK:         llvm.intr.maximum
// CHECK-NEXT:    llvm.extractvalue %[[RELU]][1]
// CHECK:         %[[SRC:[0-9]+]] = llvm.extractvalue %[[X]][1]
// CHECK:         %[[SRCG:[0-9]+]] = llvm.getelementptr %[[SRC]][
// CHECK:         %[[DST:[0-9]+]] = llvm.extractvalue %[[COPY]][1]
// CHECK:         %[[DSTG:[0-9]+]] = llvm.getelementptr %[[DST]][
// CHECK-NEXT:    "llvm.intr.memcpy"(%[[DSTG]], %[[SRCG]], %{{[0-9]+}})
// CHECK-NEXT:    llvm.return{{$}}
func.func @PassThrough(%x: tensor<4xf32> {nabla.input = "x"})
    -> (tensor<4xf32> {nabla.output = "x"}, tensor<4xf32> {nabla.output = "relu"}) {
  %0 = nabla.relu %x : tensor<4xf32>
  return %x, %0 : tensor<4xf32>, tensor<4xf32>
}

// A small classifier (matmul + bias + relu, softmax and cross-entropy)
// lowers completely. Its four arguments keep their descriptors in order
// (x: 2-D, w: 2-D, b: 1-D, y: 1-D), followed by one out-parameter per result
// (loss: rank 0, probs: 2-D); temporaries are views of one arena
// (nabla-cpu-plan-memory), malloc'd once before the first op and freed
// once at the end.
// CHECK-LABEL: llvm.func @Mlp(
// CHECK-SAME:      %arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: i64, %arg3: i64, %arg4: i64, %arg5: i64, %arg6: i64,
// CHECK-SAME:      %arg7: !llvm.ptr, %arg8: !llvm.ptr, %arg9: i64, %arg10: i64, %arg11: i64, %arg12: i64, %arg13: i64,
// CHECK-SAME:      %arg14: !llvm.ptr, %arg15: !llvm.ptr, %arg16: i64, %arg17: i64, %arg18: i64,
// CHECK-SAME:      %arg19: !llvm.ptr, %arg20: !llvm.ptr, %arg21: i64, %arg22: i64, %arg23: i64,
// CHECK-SAME:      %arg24: !llvm.ptr, %arg25: !llvm.ptr, %arg26: i64,
// CHECK-SAME:      %arg27: !llvm.ptr, %arg28: !llvm.ptr, %arg29: i64, %arg30: i64, %arg31: i64, %arg32: i64, %arg33: i64) attributes {nabla.arena_bytes = {{[0-9]+}} : i64, nabla.model} {
// CHECK:         llvm.call @malloc
// CHECK-NOT:     llvm.call @malloc
// CHECK:         llvm.fmul
// CHECK-NOT:     llvm.call @malloc
// CHECK:         llvm.intr.maximum
// CHECK-NOT:     llvm.call @malloc
// exp and log are polynomials of FMAs (nabla-cpu-approximate-math), which
// stay vectors where LLVM would call libm once per lane:
// CHECK-NOT:     llvm.intr.exp
// CHECK-NOT:     llvm.intr.log
// CHECK:         llvm.intr.fma
// CHECK-NOT:     llvm.intr.exp
// CHECK-NOT:     llvm.intr.log
// CHECK:         llvm.select
// CHECK-NOT:     llvm.call @malloc
// CHECK:         llvm.call @free
// CHECK-NOT:     llvm.call @free
// CHECK:         llvm.return{{$}}
// CHECK-NEXT:  }
func.func @Mlp(%x: tensor<2x4xf32> {nabla.input = "x"},
               %w: tensor<4x3xf32> {nabla.param = "Dense_1.w", nabla.init = {kind = "normal", std = 0.1}},
               %b: tensor<3xf32> {nabla.param = "Dense_1.b", nabla.init = {kind = "zeros"}},
               %y: tensor<2xi32> {nabla.input = "y"})
    -> (tensor<f32> {nabla.output = "loss"}, tensor<2x3xf32> {nabla.output = "probs"})
    attributes {nabla.model} {
  %0 = nabla.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  %1 = nabla.add %0, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %2 = nabla.relu %1 : tensor<2x3xf32>
  %3 = nabla.softmax %2 axis = 1 : tensor<2x3xf32>
  %4 = nabla.cross_entropy %2, %y : tensor<2x3xf32>, tensor<2xi32> -> tensor<f32>
  return %4, %3 : tensor<f32>, tensor<2x3xf32>
}

// -----

// Integer pow lowers to a call of an ipowi helper; no math op is left.
// CHECK-LABEL: llvm.func @IntPow(
// CHECK-NOT:     math.ipowi
// CHECK:         llvm.return
func.func @IntPow(%x: tensor<4xi32> {nabla.input = "x"}, %n: tensor<4xi32> {nabla.input = "n"})
    -> (tensor<4xi32> {nabla.output = "y"}) {
  %0 = nabla.pow %x, %n : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}
