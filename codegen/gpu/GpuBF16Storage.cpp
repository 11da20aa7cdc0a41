//===- GpuBF16Storage.cpp - bf16 buffers as i16 for SPIR-V ----------------===//
//
// MLIR 22's SPIR-V type converter has no bf16 (without SPV_KHR_bfloat16,
// which few devices have) and maps bf16 buffers to f32 arrays of half the
// length, silently wrong. The arithmetic is already emulated in f32 and
// the casts are integer code by the time this runs, so a bf16 buffer only
// needs to hold the same 16 bits as i16: SPIR-V has those (natively with
// 16-bit storage, or emulated in 32-bit words).
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace nabla {
#define GEN_PASS_DEF_NABLAGPUBF16STORAGE
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

/// The i16 version of a bf16 memref type, or null.
MemRefType asI16(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref || !memref.getElementType().isBF16())
    return nullptr;
  return MemRefType::get(memref.getShape(),
                         IntegerType::get(type.getContext(), 16),
                         memref.getLayout(), memref.getMemorySpace());
}

struct NablaGpuBF16StoragePass
    : nabla::impl::NablaGpuBF16StorageBase<NablaGpuBF16StoragePass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    // Retype every bf16 buffer in place: arguments, then each op's results
    // (allocations and views; their operands are already retyped).
    auto retype = [](Value v) {
      if (MemRefType i16 = asI16(v.getType()))
        v.setType(i16);
    };
    for (BlockArgument arg : func.getArguments())
      retype(arg);
    SmallVector<Type> inputs(func.getArgumentTypes());
    SmallVector<Type> results;
    for (Type t : func.getResultTypes())
      results.push_back(asI16(t) ? Type(asI16(t)) : t);
    func.setType(FunctionType::get(&getContext(), inputs, results));

    IRRewriter rewriter(&getContext());
    SmallVector<memref::LoadOp> loads;
    SmallVector<memref::StoreOp> stores;
    func.walk([&](Operation *op) {
      if (isa<memref::LoadOp, memref::StoreOp>(op)) {
        if (auto load = dyn_cast<memref::LoadOp>(op))
          loads.push_back(load);
        else
          stores.push_back(cast<memref::StoreOp>(op));
        return;
      }
      for (Value result : op->getResults())
        retype(result);
    });
    Type bf16 = rewriter.getBF16Type();
    Type i16 = rewriter.getI16Type();
    // A select moves bits without arithmetic (the emulation leaves it in
    // bf16): select the i16 bits instead.
    SmallVector<arith::SelectOp> selects;
    func.walk([&](arith::SelectOp select) {
      if (select.getType().isBF16())
        selects.push_back(select);
    });
    for (arith::SelectOp select : selects) {
      rewriter.setInsertionPoint(select);
      Location loc = select.getLoc();
      auto bits = [&](Value v) {
        return arith::BitcastOp::create(rewriter, loc, i16, v).getResult();
      };
      Value picked = arith::SelectOp::create(
          rewriter, loc, select.getCondition(), bits(select.getTrueValue()),
          bits(select.getFalseValue()));
      rewriter.replaceOp(select,
                         arith::BitcastOp::create(rewriter, loc, bf16, picked));
    }
    for (memref::LoadOp load : loads) {
      if (!load.getResult().getType().isBF16())
        continue;
      rewriter.setInsertionPoint(load);
      Value bits = memref::LoadOp::create(rewriter, load.getLoc(),
                                          load.getMemRef(), load.getIndices());
      rewriter.replaceOp(
          load, arith::BitcastOp::create(rewriter, load.getLoc(), bf16, bits));
    }
    for (memref::StoreOp store : stores) {
      if (!store.getValueToStore().getType().isBF16())
        continue;
      rewriter.setInsertionPoint(store);
      Value bits = arith::BitcastOp::create(rewriter, store.getLoc(), i16,
                                            store.getValueToStore());
      store.getValueMutable().assign(bits);
    }
  }
};

} // namespace
