//===- ShapeUtils.cpp - Broadcasting and reduction shape rules ------------===//
#include "nabla/ir/ShapeUtils.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace nabla {

std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  llvm::SmallVector<int64_t> result(rank);
  // Align trailing dimensions; a missing leading dim counts as 1.
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    result[i] = da == 1 ? db : da;
  }
  return result;
}

bool isBroadcastableTo(llvm::ArrayRef<int64_t> from,
                       llvm::ArrayRef<int64_t> to) {
  auto shape = broadcastShapes(from, to);
  return shape && llvm::equal(*shape, to);
}

RankedTensorType getBroadcastType(Value lhs, Value rhs) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  auto shape = broadcastShapes(lhsType.getShape(), rhsType.getShape());
  if (!shape)
    return lhsType;
  return RankedTensorType::get(*shape, lhsType.getElementType());
}

llvm::SmallVector<int64_t> reducedShape(llvm::ArrayRef<int64_t> shape,
                                        llvm::ArrayRef<int64_t> axes,
                                        bool keepdims) {
  llvm::SmallVector<int64_t> result;
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (!llvm::is_contained(axes, static_cast<int64_t>(i)))
      result.push_back(dim);
    else if (keepdims)
      result.push_back(1);
  }
  return result;
}

RankedTensorType getReducedType(Type type, llvm::ArrayRef<int64_t> axes,
                                bool keepdims) {
  auto tensorType = cast<RankedTensorType>(type);
  return RankedTensorType::get(
      reducedShape(tensorType.getShape(), axes, keepdims),
      tensorType.getElementType());
}

int64_t windowCount(int64_t size, int64_t kernel, int64_t stride,
                    int64_t dilation) {
  if (kernel < 1 || stride < 1 || dilation < 1)
    return 0;
  // In 128 bits: attributes from a hostile IR file may be near 2^63.
  __int128 span = static_cast<__int128>(dilation) * (kernel - 1) + 1;
  if (size < span)
    return 0;
  return static_cast<int64_t>((size - span) / stride + 1);
}

int64_t numElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

} // namespace nabla
