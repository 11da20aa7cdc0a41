// Data parallel: with all-reduce, @f_train_step averages the loss and the
// gradients over the processes in buckets, in the order the step computes
// them. Each bucket starts right after its last value exists (so the
// averaging overlaps the rest of the backward pass) and every wait comes
// after the backward pass, before the norms and the update use the means.
// bucket-bytes=8: the loss (4 bytes) and each gradient (8 bytes) go alone.
// RUN: nabla-opt %s --nabla-autodiff --nabla-training-step="optimizer=sgd all-reduce=1 bucket-bytes=8" | FileCheck %s
// The default bucket (4 MiB) holds them all, started after the last one.
// RUN: nabla-opt %s --nabla-autodiff --nabla-training-step="optimizer=sgd all-reduce=1" | FileCheck %s --check-prefix=ONE
// nabla-schedule-early keeps each start right after its values, and moves
// the uses of each mean up to its wait.
// RUN: nabla-opt %s --nabla-autodiff --nabla-training-step="optimizer=sgd all-reduce=1 bucket-bytes=8" --nabla-schedule-early | FileCheck %s --check-prefix=SCHED
// With all-reduce-bf16 the gradients travel as bf16 (a bucket of their
// own type) and come back as f32; the loss stays f32.
// RUN: nabla-opt %s --nabla-autodiff --nabla-training-step="optimizer=sgd all-reduce=1 all-reduce-bf16=1" | FileCheck %s --check-prefix=BF16
// RUN: not nabla-opt %s --nabla-autodiff --nabla-training-step="all-reduce=1 accumulate=2" 2>&1 | FileCheck %s --check-prefix=ACC

func.func @f(%x: tensor<4x3xf32> {nabla.input = "x"}, %w1: tensor<3x2xf32> {nabla.param = "w1"}, %w2: tensor<2x1xf32> {nabla.param = "w2"}) -> tensor<f32> attributes {nabla.model} {
  %h = nabla.matmul %x, %w1 : tensor<4x3xf32>, tensor<3x2xf32> -> tensor<4x2xf32>
  %y = nabla.matmul %h, %w2 : tensor<4x2xf32>, tensor<2x1xf32> -> tensor<4x1xf32>
  %l = nabla.sum %y axes = [0, 1] : tensor<4x1xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func.func @f_train_step
// CHECK:         %[[L:.*]] = nabla.sum %{{.*}} axes = [0, 1] : tensor<4x1xf32> -> tensor<f32>
// CHECK-NEXT:    %[[T0:.*]] = nabla.all_reduce_start %[[L]] {bucket = 0 : i64} : tensor<f32>
// CHECK:         %[[G2:.*]] = nabla.matmul %{{.*}}, %{{.*}} : tensor<2x4xf32>, tensor<4x1xf32> -> tensor<2x1xf32>
// CHECK-NEXT:    %[[T1:.*]] = nabla.all_reduce_start %[[G2]] {bucket = 1 : i64} : tensor<2x1xf32>
// CHECK:         %[[G1:.*]] = nabla.matmul %{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
// CHECK-NEXT:    %[[T2:.*]] = nabla.all_reduce_start %[[G1]] {bucket = 2 : i64} : tensor<3x2xf32>
// CHECK-NEXT:    %[[M0:.*]] = nabla.all_reduce_wait %[[T0]] {bucket = 0 : i64} : tensor<f32>
// CHECK-NEXT:    %[[M1:.*]] = nabla.all_reduce_wait %[[T1]] {bucket = 1 : i64} : tensor<2x1xf32>
// CHECK-NEXT:    %[[M2:.*]] = nabla.all_reduce_wait %[[T2]] {bucket = 2 : i64} : tensor<3x2xf32>
// CHECK-NOT:     nabla.all_reduce
// CHECK-NEXT:    nabla.mul %[[M2]], %[[M2]]
// CHECK:         nabla.mul %[[M1]], %[[M1]]
// CHECK:         return {{.*}}, %[[M0]],

// SCHED-LABEL: func.func @f_train_step
// SCHED:         %[[L:.*]] = nabla.sum %{{.*}} axes = [0, 1] : tensor<4x1xf32> -> tensor<f32>
// SCHED-NEXT:    nabla.all_reduce_start %[[L]] {bucket = 0 : i64}
// SCHED:         %[[G2:.*]] = nabla.matmul %{{.*}}, %{{.*}} : tensor<2x4xf32>, tensor<4x1xf32> -> tensor<2x1xf32>
// SCHED-NEXT:    nabla.all_reduce_start %[[G2]] {bucket = 1 : i64}
// SCHED:         %[[G1:.*]] = nabla.matmul %{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
// SCHED-NEXT:    nabla.all_reduce_start %[[G1]] {bucket = 2 : i64}
// SCHED-NEXT:    nabla.all_reduce_wait %{{.*}} {bucket = 0 : i64}
// SCHED-NEXT:    %[[M1:.*]] = nabla.all_reduce_wait %{{.*}} {bucket = 1 : i64}
// SCHED-NEXT:    nabla.mul %[[M1]], %[[M1]]

// ONE-LABEL: func.func @f_train_step
// ONE:         %[[G1:.*]] = nabla.matmul %{{.*}}, %{{.*}} : tensor<3x4xf32>, tensor<4x2xf32> -> tensor<3x2xf32>
// ONE-NEXT:    %[[T:.*]] = nabla.all_reduce_start %{{.*}}, %{{.*}}, %[[G1]] {bucket = 0 : i64} : tensor<f32>, tensor<2x1xf32>, tensor<3x2xf32>
// ONE-NEXT:    nabla.all_reduce_wait %[[T]] {bucket = 0 : i64} : tensor<f32>, tensor<2x1xf32>, tensor<3x2xf32>
// ONE-NOT:     nabla.all_reduce

// ACC: all-reduce needs accumulate = 1

// BF16-LABEL: func.func @f_train_step
// BF16:         %[[L:.*]] = nabla.sum
// BF16-NEXT:    %[[T0:.*]] = nabla.all_reduce_start %[[L]] {bucket = 0 : i64} : tensor<f32>
// BF16:         %[[N2:.*]] = nabla.cast %{{.*}} : tensor<2x1xf32> -> tensor<2x1xbf16>
// BF16:         %[[N1:.*]] = nabla.cast %{{.*}} : tensor<3x2xf32> -> tensor<3x2xbf16>
// BF16-NEXT:    %[[T1:.*]] = nabla.all_reduce_start %[[N2]], %[[N1]] {bucket = 1 : i64} : tensor<2x1xbf16>, tensor<3x2xbf16>
// BF16:         %[[M:.*]]:2 = nabla.all_reduce_wait %[[T1]] {bucket = 1 : i64} : tensor<2x1xbf16>, tensor<3x2xbf16>
// BF16-NEXT:    nabla.cast %[[M]]#0 : tensor<2x1xbf16> -> tensor<2x1xf32>
// BF16-NEXT:    nabla.cast %[[M]]#1 : tensor<3x2xbf16> -> tensor<3x2xf32>
