//===- Shapes.cpp - Shape rules in the user's words -----------------------===//
#include "Shapes.h"

#include "nabla/ir/ShapeUtils.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace nabla {

std::string formatElementType(Type type) {
  if (type.isF32()) return "f32";
  if (type.isF16()) return "f16";
  if (type.isBF16()) return "bf16";
  if (type.isInteger(32)) return "i32";
  if (type.isInteger(1)) return "i1";
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

static std::string formatShape(ArrayRef<int64_t> shape) {
  return "[" +
         llvm::join(llvm::map_range(shape,
                                    [](int64_t d) { return std::to_string(d); }),
                    ", ") +
         "]";
}

std::string formatType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return formatElementType(type);
  std::string s = formatElementType(tensor.getElementType());
  if (tensor.getRank() > 0)
    s += formatShape(tensor.getShape());
  return s;
}

ShapeResult inferBroadcast(RankedTensorType lhs, RankedTensorType rhs,
                           llvm::StringRef op) {
  if (lhs.getElementType() != rhs.getElementType())
    return "cannot apply '" + op.str() + "' to " + formatType(lhs) + " and " +
           formatType(rhs) + ": element types differ (use cast)";
  auto shape = broadcastShapes(lhs.getShape(), rhs.getShape());
  if (!shape) {
    // Name the first trailing-aligned dim that disagrees.
    int64_t l = lhs.getRank(), r = rhs.getRank();
    for (int64_t i = 1; i <= std::min(l, r); ++i) {
      int64_t a = lhs.getDimSize(l - i), b = rhs.getDimSize(r - i);
      if (a != b && a != 1 && b != 1)
        return "cannot broadcast " + formatType(lhs) + " and " +
               formatType(rhs) + " in '" + op.str() + "': sizes " +
               std::to_string(a) + " and " + std::to_string(b) +
               " differ and neither is 1";
    }
    return "cannot broadcast " + formatType(lhs) + " and " + formatType(rhs);
  }
  return RankedTensorType::get(*shape, lhs.getElementType());
}

ShapeResult inferMatmul(RankedTensorType lhs, RankedTensorType rhs) {
  if (lhs.getElementType() != rhs.getElementType())
    return "cannot multiply " + formatType(lhs) + " by " + formatType(rhs) +
           ": element types differ (use cast)";
  int64_t rank = lhs.getRank();
  if (rank != rhs.getRank() || rank < 2 || rank > 3)
    return "cannot multiply " + formatType(lhs) + " by " + formatType(rhs) +
           ": '@' needs two matrices (rank 2) or two batches of matrices "
           "(rank 3), got ranks " +
           std::to_string(rank) + " and " + std::to_string(rhs.getRank());
  int64_t k1 = lhs.getDimSize(rank - 1), k2 = rhs.getDimSize(rank - 2);
  if (k1 != k2)
    return "cannot multiply " + formatType(lhs) + " by " + formatType(rhs) +
           ": inner dimensions " + std::to_string(k1) + " and " +
           std::to_string(k2) + " differ";
  SmallVector<int64_t> shape;
  if (rank == 3) {
    if (lhs.getDimSize(0) != rhs.getDimSize(0))
      return "cannot multiply " + formatType(lhs) + " by " + formatType(rhs) +
             ": batch sizes " + std::to_string(lhs.getDimSize(0)) + " and " +
             std::to_string(rhs.getDimSize(0)) + " differ";
    shape.push_back(lhs.getDimSize(0));
  }
  shape.push_back(lhs.getDimSize(rank - 2));
  shape.push_back(rhs.getDimSize(rank - 1));
  return RankedTensorType::get(shape, lhs.getElementType());
}

int64_t normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < 0)
    axis += rank;
  return axis >= 0 && axis < rank ? axis : -1;
}

} // namespace nabla
