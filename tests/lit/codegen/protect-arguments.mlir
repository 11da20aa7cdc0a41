// RUN: nabla-opt %s --nabla-protect-arguments --split-input-file | FileCheck %s

// Every tensor argument is marked read-only for one-shot bufferization
// (the runtime owns those buffers, and a parameter is read again after the
// step); an argument that is not a tensor gets no mark. With no result
// returned twice, the body is left as it was: no copy. Each tensor result
// is handed out as a buffer (bufferization.to_buffer read_only), so the
// function returns memrefs.
// CHECK-LABEL: func.func @step(
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4xf32> {bufferization.writable = false},
// CHECK-SAME:    %[[W:[^:]+]]: tensor<4xf32> {bufferization.writable = false},
// CHECK-SAME:    %{{[^:]+}}: index) -> (memref<4xf32>, memref<4xf32>)
// CHECK:         %[[INIT:.+]] = tensor.empty() : tensor<4xf32>
// CHECK-NEXT:    %[[SUM:.+]] = linalg.add ins(%[[X]], %[[W]] : {{.+}}) outs(%[[INIT]] : tensor<4xf32>)
// CHECK-NEXT:    %[[B0:.+]] = bufferization.to_buffer %[[SUM]] read_only : tensor<4xf32> to memref<4xf32>
// CHECK-NEXT:    %[[B1:.+]] = bufferization.to_buffer %[[X]] read_only : tensor<4xf32> to memref<4xf32>
// CHECK-NEXT:    return %[[B0]], %[[B1]] : memref<4xf32>, memref<4xf32>
func.func @step(%x: tensor<4xf32>, %w: tensor<4xf32>, %n: index) -> (tensor<4xf32>, tensor<4xf32>) {
  %init = tensor.empty() : tensor<4xf32>
  %sum = linalg.add ins(%x, %w : tensor<4xf32>, tensor<4xf32>) outs(%init : tensor<4xf32>) -> tensor<4xf32>
  return %sum, %x : tensor<4xf32>, tensor<4xf32>
}

// -----

// A value returned twice keeps its first place; its second place gets a
// copy into a tensor of its own, so each result bufferizes to a buffer of
// its own (buffer-results-to-out-params needs that).
// CHECK-LABEL: func.func @twice(
// CHECK:         %[[SUM:.+]] = linalg.add
// CHECK-NEXT:    %[[INIT:.+]] = tensor.empty() : tensor<2x3xf32>
// CHECK-NEXT:    %[[COPY:.+]] = linalg.copy ins(%[[SUM]] : tensor<2x3xf32>) outs(%[[INIT]] : tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT:    %[[B0:.+]] = bufferization.to_buffer %[[SUM]] read_only
// CHECK-NEXT:    %[[B1:.+]] = bufferization.to_buffer %[[COPY]] read_only
// CHECK-NEXT:    return %[[B0]], %[[B1]] : memref<2x3xf32>, memref<2x3xf32>
func.func @twice(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %init = tensor.empty() : tensor<2x3xf32>
  %sum = linalg.add ins(%x, %w : tensor<2x3xf32>, tensor<2x3xf32>) outs(%init : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %sum, %sum : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// A value returned three times, between other results, gets a copy of its
// own in each place after the first; the other results stay as they are.
// CHECK-LABEL: func.func @thrice(
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4xf32> {bufferization.writable = false},
// CHECK:         %[[SUM:.+]] = linalg.add
// CHECK-NEXT:    %[[INIT1:.+]] = tensor.empty() : tensor<4xf32>
// CHECK-NEXT:    %[[COPY1:.+]] = linalg.copy ins(%[[SUM]] : tensor<4xf32>) outs(%[[INIT1]] : tensor<4xf32>)
// CHECK-NEXT:    %[[INIT2:.+]] = tensor.empty() : tensor<4xf32>
// CHECK-NEXT:    %[[COPY2:.+]] = linalg.copy ins(%[[SUM]] : tensor<4xf32>) outs(%[[INIT2]] : tensor<4xf32>)
// CHECK-NEXT:    %[[B0:.+]] = bufferization.to_buffer %[[SUM]] read_only
// CHECK-NEXT:    %[[B1:.+]] = bufferization.to_buffer %[[X]] read_only
// CHECK-NEXT:    %[[B2:.+]] = bufferization.to_buffer %[[COPY1]] read_only
// CHECK-NEXT:    %[[B3:.+]] = bufferization.to_buffer %[[COPY2]] read_only
// CHECK-NEXT:    return %[[B0]], %[[B1]], %[[B2]], %[[B3]] :
func.func @thrice(%x: tensor<4xf32>, %w: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %init = tensor.empty() : tensor<4xf32>
  %sum = linalg.add ins(%x, %w : tensor<4xf32>, tensor<4xf32>) outs(%init : tensor<4xf32>) -> tensor<4xf32>
  return %sum, %x, %sum, %sum : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// An argument returned twice is copied the same way: the read-only
// argument's buffer is the first result, the copy the second.
// CHECK-LABEL: func.func @identity(
// CHECK-SAME:    %[[X:[^:]+]]: tensor<4xf32> {bufferization.writable = false}
// CHECK:         %[[SUM:.+]] = linalg.add
// CHECK-NEXT:    %[[INIT:.+]] = tensor.empty() : tensor<4xf32>
// CHECK-NEXT:    %[[COPY:.+]] = linalg.copy ins(%[[X]] : tensor<4xf32>) outs(%[[INIT]] : tensor<4xf32>)
// CHECK-NEXT:    %[[B0:.+]] = bufferization.to_buffer %[[X]] read_only
// CHECK-NEXT:    %[[B1:.+]] = bufferization.to_buffer %[[COPY]] read_only
// CHECK-NEXT:    %[[B2:.+]] = bufferization.to_buffer %[[SUM]] read_only
// CHECK-NEXT:    return %[[B0]], %[[B1]], %[[B2]] :
func.func @identity(%x: tensor<4xf32>, %w: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %init = tensor.empty() : tensor<4xf32>
  %sum = linalg.add ins(%x, %w : tensor<4xf32>, tensor<4xf32>) outs(%init : tensor<4xf32>) -> tensor<4xf32>
  return %x, %x, %sum : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Only tensors are copied: an index returned twice stays as it is.
// CHECK-LABEL: func.func @sizes(
// CHECK-SAME:    %[[N:[^:]+]]: index) -> (index, index)
// CHECK-NEXT:    return %[[N]], %[[N]] : index, index
func.func @sizes(%n: index) -> (index, index) {
  return %n, %n : index, index
}

// -----

// A declaration has no body to bufferize: its arguments get no mark.
// CHECK-LABEL: func.func private @external(tensor<4xf32>) -> tensor<4xf32>{{$}}
// CHECK-NOT:     bufferization.writable
func.func private @external(tensor<4xf32>) -> tensor<4xf32>

// -----

// A function called in the module keeps its tensor results (its calls
// would need them); the caller, which nothing calls, returns a buffer.
// CHECK-LABEL: func.func @callee(
// CHECK-SAME:    -> tensor<4xf32>
// CHECK-NOT:     to_buffer
// CHECK:         return %{{.*}} : tensor<4xf32>
// CHECK-LABEL: func.func @caller(
// CHECK-SAME:    -> memref<4xf32>
// CHECK:         %[[R:.+]] = call @callee
// CHECK-NEXT:    %[[B:.+]] = bufferization.to_buffer %[[R]] read_only
// CHECK-NEXT:    return %[[B]] : memref<4xf32>
func.func @callee(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @caller(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = call @callee(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}
