//===- LowerAllReduce.cpp - A step's all-reduce as calls into the runtime -===//
//
// Part of nabla-to-linalg. nabla.all_reduce_start and nabla.all_reduce_wait
// become calls of the runtime's nabla_all_reduce_* functions
// (runtime/AllReduce.cpp), which hand each bucket to the collective on a
// thread of their own while the step goes on. A tensor crosses as an
// unranked memref (its rank and a pointer to its descriptor), so one
// function serves every shape. The start copies its operands into the
// runtime's bucket before it returns, so their buffers are free as soon as
// it has; the wait copies the means into new buffers. Neither call takes
// or keeps a pointer into a buffer the compiled code frees, and both have
// unknown effects to every later pass, so nothing moves across them.
//
//===----------------------------------------------------------------------===//
#include "LinalgBuilders.h"

#include "nabla/ir/NablaOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace nabla {

namespace {

/// The runtime function `base` for tensors of `et` ("_f32", "_f64" or
/// "_bf16").
std::string runtimeName(StringRef base, Type et) {
  return (base + (et.isF64() ? "_f64" : et.isBF16() ? "_bf16" : "_f32")).str();
}

Value i64Constant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
}

Type elementTypeOf(ValueRange values) {
  return cast<RankedTensorType>(values.front().getType()).getElementType();
}

struct AllReduceStartLowering : OpRewritePattern<AllReduceStartOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AllReduceStartOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type et = elementTypeOf(op.getValues());
    int64_t total = 0;
    for (Value v : op.getValues())
      total += cast<RankedTensorType>(v.getType()).getNumElements();
    Value bucket = i64Constant(rewriter, loc, op.getBucket());
    func::CallOp::create(rewriter, loc,
                         runtimeName("nabla_all_reduce_begin", et), TypeRange{},
                         ValueRange{bucket, i64Constant(rewriter, loc, total)});
    int64_t offset = 0;
    for (Value v : op.getValues()) {
      auto type = cast<RankedTensorType>(v.getType());
      Value buffer = bufferization::ToBufferOp::create(
          rewriter, loc, MemRefType::get(type.getShape(), et), v,
          /*read_only=*/true);
      Value unranked = memref::CastOp::create(
          rewriter, loc, UnrankedMemRefType::get(et, 0), buffer);
      func::CallOp::create(
          rewriter, loc, runtimeName("nabla_all_reduce_put", et), TypeRange{},
          ValueRange{bucket, i64Constant(rewriter, loc, offset), unranked});
      offset += type.getNumElements();
    }
    func::CallOp::create(rewriter, loc, "nabla_all_reduce_start", TypeRange{},
                         ValueRange{bucket});
    rewriter.replaceOp(op, bucket);
    return success();
  }
};

struct AllReduceWaitLowering : OpRewritePattern<AllReduceWaitOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AllReduceWaitOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type et = elementTypeOf(op.getValues());
    Value bucket = i64Constant(rewriter, loc, op.getBucket());
    func::CallOp::create(rewriter, loc, "nabla_all_reduce_wait", TypeRange{},
                         ValueRange{bucket});
    SmallVector<Value> means;
    int64_t offset = 0;
    for (Value v : op.getValues()) {
      auto type = cast<RankedTensorType>(v.getType());
      Value buffer = memref::AllocOp::create(
          rewriter, loc, MemRefType::get(type.getShape(), et));
      Value unranked = memref::CastOp::create(
          rewriter, loc, UnrankedMemRefType::get(et, 0), buffer);
      func::CallOp::create(
          rewriter, loc, runtimeName("nabla_all_reduce_get", et), TypeRange{},
          ValueRange{bucket, i64Constant(rewriter, loc, offset), unranked});
      means.push_back(bufferization::ToTensorOp::create(
          rewriter, loc, type, buffer, /*restrict=*/true, /*writable=*/true));
      offset += type.getNumElements();
    }
    rewriter.replaceOp(op, means);
    return success();
  }
};

} // namespace

void declareAllReduceRuntime(ModuleOp module) {
  bool used = false;
  module.walk([&](AllReduceStartOp) { used = true; });
  if (!used)
    return;
  OpBuilder b(module.getBodyRegion());
  Type i64 = b.getI64Type();
  auto declare = [&](StringRef name, TypeRange args) {
    if (module.lookupSymbol(name))
      return;
    auto f = func::FuncOp::create(b, module.getLoc(), name,
                                  b.getFunctionType(args, {}));
    f.setPrivate();
  };
  for (Type et :
       {Type(b.getF32Type()), Type(b.getF64Type()), Type(b.getBF16Type())}) {
    declare(runtimeName("nabla_all_reduce_begin", et), {i64, i64});
    for (StringRef base : {"nabla_all_reduce_put", "nabla_all_reduce_get"})
      declare(runtimeName(base, et),
              {i64, i64, UnrankedMemRefType::get(et, 0)});
  }
  declare("nabla_all_reduce_start", {i64});
  declare("nabla_all_reduce_wait", {i64});
}

void populateAllReduceLowerings(RewritePatternSet &patterns) {
  patterns.add<AllReduceStartLowering, AllReduceWaitLowering>(
      patterns.getContext());
}

} // namespace nabla
