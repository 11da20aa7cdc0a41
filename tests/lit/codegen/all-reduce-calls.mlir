// RUN: nabla-opt %s --nabla-to-linalg | FileCheck %s
// RUN: nabla-opt %s --nabla-cpu-pipeline | FileCheck %s --check-prefix=LLVM

// A bucket of two f32 gradients: begin (bucket 0, 7 elements), each tensor
// put at its element offset as an unranked memref, start; the wait, then
// each mean copied into a new buffer at the same offset.
// CHECK-DAG: func.func private @nabla_all_reduce_begin_f32(i64, i64)
// CHECK-DAG: func.func private @nabla_all_reduce_put_f32(i64, i64, memref<*xf32>)
// CHECK-DAG: func.func private @nabla_all_reduce_get_f64(i64, i64, memref<*xf64>)
// CHECK-DAG: func.func private @nabla_all_reduce_put_bf16(i64, i64, memref<*xbf16>)
// CHECK-DAG: func.func private @nabla_all_reduce_start(i64)
// CHECK-DAG: func.func private @nabla_all_reduce_wait(i64)
// CHECK-LABEL: func.func @step
// CHECK-DAG:   %[[B0:.*]] = arith.constant 0 : i64
// CHECK-DAG:   %[[SEVEN:.*]] = arith.constant 7 : i64
// CHECK:       call @nabla_all_reduce_begin_f32(%[[B0]], %[[SEVEN]])
// CHECK:       %[[A:.*]] = bufferization.to_buffer %arg0 read_only : tensor<2x3xf32> to memref<2x3xf32>
// CHECK:       %[[AU:.*]] = memref.cast %[[A]] : memref<2x3xf32> to memref<*xf32>
// CHECK:       call @nabla_all_reduce_put_f32(%[[B0]], %{{.*}}, %[[AU]])
// CHECK:       %[[S:.*]] = bufferization.to_buffer %arg1 read_only : tensor<f32> to memref<f32>
// CHECK:       %[[SU:.*]] = memref.cast %[[S]]
// CHECK:       %[[SIX:.*]] = arith.constant 6 : i64
// CHECK:       call @nabla_all_reduce_put_f32(%[[B0]], %[[SIX]], %[[SU]])
// CHECK:       call @nabla_all_reduce_start(%[[B0]])
// The f64 bucket is a bucket of its own (1).
// CHECK:       call @nabla_all_reduce_begin_f64
// CHECK:       call @nabla_all_reduce_start
// CHECK:       call @nabla_all_reduce_wait(%{{.*}})
// CHECK:       %[[MA:.*]] = memref.alloc() : memref<2x3xf32>
// CHECK:       call @nabla_all_reduce_get_f32(%{{.*}}, %{{.*}}, %{{.*}})
// CHECK:       bufferization.to_tensor %[[MA]] restrict writable
// CHECK:       call @nabla_all_reduce_begin_bf16
// CHECK:       call @nabla_all_reduce_put_bf16
// CHECK-NOT:   nabla.all_reduce

// LLVM: llvm.call @nabla_all_reduce_put_f32({{.*}}) : (i64, i64, i64, !llvm.ptr) -> ()
// LLVM: llvm.call @nabla_all_reduce_start
// LLVM: llvm.call @nabla_all_reduce_wait
// LLVM: llvm.call @nabla_all_reduce_get_f32({{.*}}) : (i64, i64, i64, !llvm.ptr) -> ()
func.func @step(%a: tensor<2x3xf32>, %s: tensor<f32>, %d: tensor<4xf64>, %h: tensor<8xbf16>) -> (tensor<2x3xf32>, tensor<f32>, tensor<4xf64>, tensor<8xbf16>) {
  %t = nabla.all_reduce_start %a, %s {bucket = 0 : i64} : tensor<2x3xf32>, tensor<f32>
  %u = nabla.all_reduce_start %d {bucket = 1 : i64} : tensor<4xf64>
  %m:2 = nabla.all_reduce_wait %t {bucket = 0 : i64} : tensor<2x3xf32>, tensor<f32>
  %n = nabla.all_reduce_wait %u {bucket = 1 : i64} : tensor<4xf64>
  %v = nabla.all_reduce_start %h {bucket = 2 : i64} : tensor<8xbf16>
  %o = nabla.all_reduce_wait %v {bucket = 2 : i64} : tensor<8xbf16>
  return %m#0, %m#1, %n, %o : tensor<2x3xf32>, tensor<f32>, tensor<4xf64>, tensor<8xbf16>
}
