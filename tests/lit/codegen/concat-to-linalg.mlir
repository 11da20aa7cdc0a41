// RUN: nabla-opt %s --nabla-to-linalg | FileCheck %s --check-prefix=GENERIC
// RUN: nabla-opt %s --nabla-to-linalg="for-cpu=true" | FileCheck %s --check-prefix=CPU

// concat of a [2, 3], b [2, 1] and a along dim 1 (starts 0, 3, 4; result
// [2, 7]). On the CPU, each input is copied into its box of one new tensor:
// the work is the result's size, however many inputs. As a generic (every
// target), each element reads the input whose range holds its column, at
// the column less that input's start, clamped into the input.
// CPU-LABEL: func.func @concat
// CPU:         %[[E:.*]] = tensor.empty() : tensor<2x7xf32>
// CPU:         %[[R0:.*]] = tensor.insert_slice %[[A:.*]] into %[[E]][0, 0] [2, 3] [1, 1]
// CPU:         %[[R1:.*]] = tensor.insert_slice %{{.*}} into %[[R0]][0, 3] [2, 1] [1, 1]
// CPU:         %[[R2:.*]] = tensor.insert_slice %[[A]] into %[[R1]][0, 4] [2, 3] [1, 1]
// CPU:         return %[[R2]]

// GENERIC-LABEL: func.func @concat
// GENERIC-SAME:    (%[[A:.*]]: tensor<2x3xf32>, %[[B:.*]]: tensor<2x1xf32>)
// GENERIC:         linalg.generic
// GENERIC:           %[[I:.*]] = linalg.index 0
// GENERIC:           %[[J:.*]] = linalg.index 1
// GENERIC:           %[[C4:.*]] = arith.constant 4 : index
// GENERIC:           arith.subi %[[J]], %[[C4]]
// GENERIC:           %[[V2:.*]] = tensor.extract %[[A]][%[[I]], %{{.*}}] : tensor<2x3xf32>
// GENERIC:           %[[C3:.*]] = arith.constant 3 : index
// GENERIC:           arith.subi %[[J]], %[[C3]]
// GENERIC:           %[[V1:.*]] = tensor.extract %[[B]][%[[I]], %{{.*}}] : tensor<2x1xf32>
// GENERIC:           %[[END1:.*]] = arith.constant 4 : index
// GENERIC:           %[[IN1:.*]] = arith.cmpi slt, %[[J]], %[[END1]]
// GENERIC:           %[[W1:.*]] = arith.select %[[IN1]], %[[V1]], %[[V2]]
// GENERIC:           %[[V0:.*]] = tensor.extract %[[A]][%[[I]], %{{.*}}] : tensor<2x3xf32>
// GENERIC:           %[[END0:.*]] = arith.constant 3 : index
// GENERIC:           %[[IN0:.*]] = arith.cmpi slt, %[[J]], %[[END0]]
// GENERIC:           %[[W0:.*]] = arith.select %[[IN0]], %[[V0]], %[[W1]]
// GENERIC:           linalg.yield %[[W0]]
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x1xf32>) -> tensor<2x7xf32> {
  %c = nabla.concat %a, %b, %a axis = 1 : tensor<2x3xf32>, tensor<2x1xf32>, tensor<2x3xf32> -> tensor<2x7xf32>
  return %c : tensor<2x7xf32>
}
