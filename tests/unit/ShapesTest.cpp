//===- ShapesTest.cpp - Shape rules: numpy broadcasting, matmul, reductions ===//
//
// Expected shapes are written out by hand from numpy's documented rules
// (numpy.org/doc/stable/user/basics.broadcasting.html).
//
//===----------------------------------------------------------------------===//
#include "frontend/Shapes.h"
#include "nabla/ir/ShapeUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;
using nabla::broadcastShapes;

namespace {

TEST(BroadcastShapes, FollowsNumpyRules) {
  using V = llvm::SmallVector<int64_t>;
  EXPECT_EQ(*broadcastShapes({8, 10}, {10}), (V{8, 10}));
  EXPECT_EQ(*broadcastShapes({8, 1}, {1, 10}), (V{8, 10}));
  EXPECT_EQ(*broadcastShapes({}, {3, 4}), (V{3, 4}));
  EXPECT_EQ(*broadcastShapes({2, 1, 4}, {3, 1}), (V{2, 3, 4}));
  EXPECT_FALSE(broadcastShapes({2, 3}, {4}).has_value());
  EXPECT_FALSE(broadcastShapes({2, 3}, {3, 3}).has_value());
  EXPECT_TRUE(nabla::isBroadcastableTo({10}, {8, 10}));
  EXPECT_FALSE(nabla::isBroadcastableTo({8, 10}, {10}));
}

TEST(ReducedShape, DropsOrKeepsAxes) {
  using V = llvm::SmallVector<int64_t>;
  EXPECT_EQ(nabla::reducedShape({8, 10, 3}, {1}, false), (V{8, 3}));
  EXPECT_EQ(nabla::reducedShape({8, 10, 3}, {0, 2}, true), (V{1, 10, 1}));
  EXPECT_EQ(nabla::reducedShape({8, 10}, {0, 1}, false), (V{}));
}

class FrontendShapes : public ::testing::Test {
protected:
  MLIRContext ctx;
  Builder b{&ctx};
  RankedTensorType t(llvm::ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, b.getF32Type());
  }
};

TEST_F(FrontendShapes, FormatsTypesInTheUsersWords) {
  EXPECT_EQ(nabla::formatType(t({128, 64})), "f32[128, 64]");
  EXPECT_EQ(nabla::formatType(t({})), "f32");
  EXPECT_EQ(nabla::formatType(RankedTensorType::get({3}, b.getI32Type())),
            "i32[3]");
}

TEST_F(FrontendShapes, MatmulInfersAndExplains) {
  auto ok = nabla::inferMatmul(t({128, 64}), t({64, 10}));
  ASSERT_TRUE(std::holds_alternative<RankedTensorType>(ok));
  EXPECT_EQ(std::get<RankedTensorType>(ok), t({128, 10}));
  auto batched = nabla::inferMatmul(t({4, 2, 3}), t({4, 3, 5}));
  EXPECT_EQ(std::get<RankedTensorType>(batched), t({4, 2, 5}));
  auto bad = nabla::inferMatmul(t({128, 64}), t({32, 10}));
  EXPECT_EQ(std::get<std::string>(bad),
            "cannot multiply f32[128, 64] by f32[32, 10]: inner dimensions "
            "64 and 32 differ");
  auto batch = nabla::inferMatmul(t({4, 2, 3}), t({5, 3, 5}));
  EXPECT_NE(std::get<std::string>(batch).find("batch sizes 4 and 5 differ"),
            std::string::npos);
}

TEST_F(FrontendShapes, BroadcastNamesTheDisagreeingSizes) {
  auto ok = nabla::inferBroadcast(t({8, 10}), t({10}), "+");
  EXPECT_EQ(std::get<RankedTensorType>(ok), t({8, 10}));
  auto bad = nabla::inferBroadcast(t({2, 3}), t({4}), "*");
  EXPECT_EQ(std::get<std::string>(bad),
            "cannot broadcast f32[2, 3] and f32[4] in '*': sizes 3 and 4 "
            "differ and neither is 1");
  auto types = nabla::inferBroadcast(
      t({2}), RankedTensorType::get({2}, b.getI32Type()), "+");
  EXPECT_NE(std::get<std::string>(types).find("element types differ"),
            std::string::npos);
}

TEST(NormalizeAxis, CountsNegativeAxesFromTheEnd) {
  EXPECT_EQ(nabla::normalizeAxis(-1, 3), 2);
  EXPECT_EQ(nabla::normalizeAxis(0, 3), 0);
  EXPECT_EQ(nabla::normalizeAxis(3, 3), -1);
  EXPECT_EQ(nabla::normalizeAxis(-4, 3), -1);
}

} // namespace
