//===- PlanMemory.cpp - The step's temporaries in one arena ---------------===//
//
// nabla-cpu-plan-memory: see Passes.td. Offsets are chosen as TFLite's
// "greedy by size" planner does: the largest buffer first, each at the
// lowest offset where it overlaps no buffer already placed that is live
// at the same time.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"
#include "nabla/ir/NablaDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

namespace nabla {
#define GEN_PASS_DEF_NABLACPUPLANMEMORY
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

/// One temporary: allocated and freed in the function's block, live from
/// the op that allocates it to the op that frees it (positions in the
/// block; ops nested in a loop count as the loop).
struct Buffer {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;
  int64_t start = 0, end = 0;
  int64_t bytes = 0;
  int64_t offset = 0;
};

/// Bytes of a static memref of ints or floats, as the LLVM lowering lays
/// it out (i1 in a byte); nullopt for any other memref.
std::optional<int64_t> staticBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      type.getMemorySpace())
    return std::nullopt;
  Type element = type.getElementType();
  if (!element.isIntOrFloat())
    return std::nullopt;
  int64_t elementBytes = llvm::divideCeil(element.getIntOrFloatBitWidth(), 8);
  return type.getNumElements() * elementBytes;
}

/// The memref.dealloc in `block` that frees `alloc` (directly, or through
/// the base buffer of its metadata), if that is its only dealloc.
memref::DeallocOp deallocOf(memref::AllocOp alloc, Block &block) {
  memref::DeallocOp found;
  SmallVector<Value> values{alloc.getResult()};
  for (OpOperand &use : alloc.getResult().getUses())
    if (auto meta = dyn_cast<memref::ExtractStridedMetadataOp>(use.getOwner()))
      values.push_back(meta.getBaseBuffer());
  for (Value v : values)
    for (Operation *user : v.getUsers()) {
      auto dealloc = dyn_cast<memref::DeallocOp>(user);
      if (!dealloc)
        continue;
      if (found || dealloc->getBlock() != &block)
        return {};
      found = dealloc;
    }
  return found;
}

/// The function's temporaries that can live in the arena, with their
/// lifetimes and sizes (rounded up to `alignment`).
SmallVector<Buffer> collectBuffers(Block &block, int64_t alignment) {
  DenseMap<Operation *, int64_t> position;
  for (auto [i, op] : llvm::enumerate(block))
    position[&op] = static_cast<int64_t>(i);
  SmallVector<Buffer> buffers;
  for (Operation &op : block) {
    auto alloc = dyn_cast<memref::AllocOp>(op);
    if (!alloc)
      continue;
    std::optional<int64_t> bytes = staticBytes(alloc.getType());
    memref::DeallocOp dealloc = bytes ? deallocOf(alloc, block) : nullptr;
    if (!dealloc || position[dealloc] < position[alloc])
      continue;
    Buffer b;
    b.alloc = alloc;
    b.dealloc = dealloc;
    b.start = position[alloc];
    b.end = position[dealloc];
    // Never empty: two live buffers never share an address, which the
    // aliasing checks of lowered deallocations rely on.
    b.bytes = llvm::alignTo(std::max<int64_t>(*bytes, 1), alignment);
    buffers.push_back(b);
  }
  return buffers;
}

/// Places every buffer (sets its offset); returns the arena's size.
/// `placed` is kept in offset order, so finding the lowest gap is one scan
/// of it that skips the buffers not live with `b`: a training step's
/// activations live until the backward pass, so most placed buffers are
/// live with most others, and sorting them for each buffer made the plan
/// grow as n^2 log n (2.5 s at 1000 Dense layers).
int64_t placeBuffers(MutableArrayRef<Buffer> buffers) {
  SmallVector<Buffer *> order;
  for (Buffer &b : buffers)
    order.push_back(&b);
  llvm::stable_sort(order, [](const Buffer *a, const Buffer *b) {
    return a->bytes > b->bytes;
  });
  int64_t size = 0;
  SmallVector<Buffer *> placed;
  auto byOffset = [](const Buffer *x, const Buffer *y) {
    return x->offset < y->offset;
  };
  for (Buffer *b : order) {
    int64_t offset = 0;
    for (Buffer *p : placed) {
      if (p->end < b->start || b->end < p->start)
        continue;
      if (p->offset - offset >= b->bytes)
        break;
      offset = std::max(offset, p->offset + p->bytes);
    }
    b->offset = offset;
    size = std::max(size, offset + b->bytes);
    placed.insert(llvm::upper_bound(placed, b, byOffset), b);
  }
  return size;
}

struct NablaCpuPlanMemoryPass
    : nabla::impl::NablaCpuPlanMemoryBase<NablaCpuPlanMemoryPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal() || !func.getBody().hasOneBlock())
      return;
    Block &block = func.getBody().front();
    SmallVector<Buffer> buffers = collectBuffers(block, alignment);
    if (static_cast<int64_t>(buffers.size()) < minBuffers)
      return;
    int64_t size = placeBuffers(buffers);

    OpBuilder b(&block, block.begin());
    Location loc = func.getLoc();
    auto arenaType = MemRefType::get({size}, b.getI8Type());
    auto arena = memref::AllocOp::create(b, loc, arenaType, ValueRange{},
                                         b.getI64IntegerAttr(alignment));
    for (Buffer &buffer : buffers) {
      b.setInsertionPoint(buffer.alloc);
      Value offset = arith::ConstantIndexOp::create(b, buffer.alloc.getLoc(),
                                                    buffer.offset);
      auto view = memref::ViewOp::create(b, buffer.alloc.getLoc(),
                                         buffer.alloc.getType(), arena, offset,
                                         ValueRange{});
      buffer.alloc.getResult().replaceAllUsesWith(view.getResult());
      buffer.alloc.erase();
      // The dealloc may free the base buffer of the view's metadata; it
      // goes with whatever it read.
      Operation *freed = buffer.dealloc.getMemref().getDefiningOp();
      buffer.dealloc.erase();
      if (freed && freed != view && isOpTriviallyDead(freed))
        freed->erase();
    }
    b.setInsertionPoint(block.getTerminator());
    memref::DeallocOp::create(b, loc, arena);
    func->setAttr(nabla::attrs::kArenaBytes, b.getI64IntegerAttr(size));
  }
};

} // namespace
