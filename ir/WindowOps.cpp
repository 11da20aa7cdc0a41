//===- WindowOps.cpp - Verifiers of pad, slice, convolution and pooling ---===//
//
// Each convolution-like op relates the same three shapes (input x, weight
// w, output y) and differs only in which two are operands; one check of
// the three serves all of them, so conv and its adjoints agree on what
// a valid convolution is.
//
//===----------------------------------------------------------------------===//
#include "nabla/ir/NablaOps.h"
#include "nabla/ir/ShapeUtils.h"

#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/StringExtras.h"

#include <limits>

using namespace mlir;
using namespace nabla;

namespace {

std::string str(ArrayRef<int64_t> values) {
  return "[" +
         llvm::join(llvm::map_range(
                        values, [](int64_t d) { return std::to_string(d); }),
                    ", ") +
         "]";
}

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// Fails (with an error) unless every operand has the result's element type.
LogicalResult sameElementTypes(Operation *op) {
  Type et = getElementTypeOrSelf(op->getResult(0).getType());
  for (Type t : op->getOperandTypes())
    if (getElementTypeOrSelf(t) != et)
      return op->emitOpError()
             << "operands and result must have one element type";
  return success();
}

/// Checks that a window attribute has one entry per spatial dim, each at
/// least `least`.
LogicalResult checkPerSpatialDim(Operation *op, StringRef name,
                                 ArrayRef<int64_t> values, int64_t spatial,
                                 int64_t least) {
  if (static_cast<int64_t>(values.size()) != spatial)
    return op->emitOpError() << name << " " << str(values) << " needs "
                             << spatial << " entries, one per spatial dim";
  for (int64_t v : values)
    if (v < least)
      return op->emitOpError()
             << name << " " << str(values) << " must be at least " << least;
  return success();
}

/// The relation every convolution-like op keeps between its input x
/// [N, C, in...], weight w [O, C / groups, k...] and output y [N, O, out...].
LogicalResult verifyConvShapes(Operation *op, ArrayRef<int64_t> x,
                               ArrayRef<int64_t> w, ArrayRef<int64_t> y,
                               ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> dilations, int64_t groups) {
  if (x.size() < 3 || x.size() > 5 || w.size() != x.size() ||
      y.size() != x.size())
    return op->emitOpError() << "expects input, weight and output of one rank "
                                "(3 to 5), got "
                             << str(x) << ", " << str(w) << ", " << str(y);
  int64_t spatial = x.size() - 2;
  if (failed(checkPerSpatialDim(op, "strides", strides, spatial, 1)) ||
      failed(checkPerSpatialDim(op, "dilations", dilations, spatial, 1)))
    return failure();
  if (groups < 1 || w[0] % groups != 0 || x[1] != w[1] * groups)
    return op->emitOpError()
           << "input " << str(x) << " has " << x[1] << " channels; weight "
           << str(w) << " with groups = " << groups << " needs "
           << w[1] * groups << " and " << w[0]
           << " output channels divisible by the groups";
  SmallVector<int64_t> expected = {x[0], w[0]};
  for (int64_t i = 0; i < spatial; ++i)
    expected.push_back(
        windowCount(x[2 + i], w[2 + i], strides[i], dilations[i]));
  if (!llvm::equal(expected, y))
    return op->emitOpError()
           << "output " << str(y) << " should be " << str(expected)
           << " for input " << str(x) << " and weight " << str(w);
  return success();
}

} // namespace

LogicalResult PadOp::verify() {
  if (failed(sameElementTypes(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getOperand()), out = getType().getShape();
  size_t rank = in.size();
  if (getLow().size() != rank || getHigh().size() != rank ||
      getInterior().size() != rank)
    return emitOpError() << "needs low, high and interior amounts for each of "
                         << rank << " dims";
  SmallVector<int64_t> expected;
  for (size_t i = 0; i < rank; ++i) {
    if (getLow()[i] < 0 || getHigh()[i] < 0 || getInterior()[i] < 0)
      return emitOpError() << "pad amounts must be non-negative";
    // In 128 bits: amounts from a hostile IR file may be near 2^63.
    __int128 size = static_cast<__int128>(getLow()[i]) + getHigh()[i] + in[i] +
                    static_cast<__int128>(in[i] - 1) * getInterior()[i];
    if (size > std::numeric_limits<int64_t>::max())
      return emitOpError() << "padded dim " << i << " is too large";
    expected.push_back(static_cast<int64_t>(size));
  }
  if (!llvm::equal(expected, out))
    return emitOpError() << "result " << str(out) << " should be "
                         << str(expected);
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError() << "needs at least one input";
  if (failed(sameElementTypes(*this)))
    return failure();
  ArrayRef<int64_t> out = getType().getShape();
  int64_t rank = out.size(), axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError() << "axis " << axis << " is out of range for rank "
                         << rank;
  __int128 total = 0;
  for (Value input : getInputs()) {
    ArrayRef<int64_t> in = shapeOf(input);
    bool fits = static_cast<int64_t>(in.size()) == rank;
    for (int64_t d = 0; fits && d < rank; ++d)
      fits = d == axis || in[d] == out[d];
    if (!fits)
      return emitOpError() << "input " << str(in) << " does not match result "
                           << str(out) << " but for dim " << axis;
    total += in[axis];
  }
  if (total != out[axis])
    return emitOpError() << "result dim " << axis << " is " << out[axis]
                         << ", the inputs' sum to "
                         << static_cast<int64_t>(total);
  return success();
}

LogicalResult SliceOp::verify() {
  if (failed(sameElementTypes(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getOperand()), out = getType().getShape();
  size_t rank = in.size();
  if (getOffsets().size() != rank || getStrides().size() != rank ||
      out.size() != rank)
    return emitOpError() << "needs an offset and a stride for each of " << rank
                         << " dims, and a result of that rank";
  for (size_t i = 0; i < rank; ++i)
    if (getOffsets()[i] < 0 || getStrides()[i] < 1 || out[i] < 1 ||
        getOffsets()[i] + static_cast<__int128>(out[i] - 1) * getStrides()[i] >=
            in[i])
      return emitOpError() << "result " << str(out) << " at offsets "
                           << str(getOffsets()) << " with strides "
                           << str(getStrides()) << " does not fit in "
                           << str(in);
  return success();
}

LogicalResult ConvOp::verify() {
  if (failed(sameElementTypes(*this)))
    return failure();
  return verifyConvShapes(*this, shapeOf(getLhs()), shapeOf(getRhs()),
                          getType().getShape(), getStrides(), getDilations(),
                          getGroups());
}

LogicalResult ConvTransposeOp::verify() {
  if (failed(sameElementTypes(*this)))
    return failure();
  return verifyConvShapes(*this, getType().getShape(), shapeOf(getRhs()),
                          shapeOf(getLhs()), getStrides(), getDilations(),
                          getGroups());
}

LogicalResult ConvWeightGradOp::verify() {
  if (failed(sameElementTypes(*this)))
    return failure();
  return verifyConvShapes(*this, shapeOf(getLhs()), getType().getShape(),
                          shapeOf(getRhs()), getStrides(), getDilations(),
                          getGroups());
}

namespace {

/// Pooling keeps N and C and slides its window over the spatial dims.
LogicalResult verifyPoolShapes(Operation *op, ArrayRef<int64_t> x,
                               ArrayRef<int64_t> y, ArrayRef<int64_t> kernel,
                               ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> dilations) {
  if (x.size() < 3 || x.size() > 5 || y.size() != x.size())
    return op->emitOpError() << "expects input and output of one rank (3 to "
                                "5), got "
                             << str(x) << " and " << str(y);
  int64_t spatial = x.size() - 2;
  if (failed(checkPerSpatialDim(op, "kernel", kernel, spatial, 1)) ||
      failed(checkPerSpatialDim(op, "strides", strides, spatial, 1)) ||
      failed(checkPerSpatialDim(op, "dilations", dilations, spatial, 1)))
    return failure();
  SmallVector<int64_t> expected = {x[0], x[1]};
  for (int64_t i = 0; i < spatial; ++i)
    expected.push_back(
        windowCount(x[2 + i], kernel[i], strides[i], dilations[i]));
  if (!llvm::equal(expected, y))
    return op->emitOpError() << "output " << str(y) << " should be "
                             << str(expected) << " for input " << str(x);
  return success();
}

} // namespace

LogicalResult MaxPoolOp::verify() {
  if (failed(sameElementTypes(*this)))
    return failure();
  return verifyPoolShapes(*this, shapeOf(getOperand()), getType().getShape(),
                          getKernel(), getStrides(), getDilations());
}

LogicalResult MaxPoolGradOp::verify() {
  if (failed(sameElementTypes(*this)))
    return failure();
  if (getType() != getX().getType())
    return emitOpError() << "result must have the type of x";
  return verifyPoolShapes(*this, shapeOf(getX()), shapeOf(getDy()), getKernel(),
                          getStrides(), getDilations());
}
