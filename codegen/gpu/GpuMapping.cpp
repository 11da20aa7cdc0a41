//===- GpuMapping.cpp - One gpu.launch per linalg op ----------------------===//
//
// The GPU pipeline bufferizes like the CPU one, then turns every linalg op
// of the step function into a kernel here. Upstream's route
// (convert-linalg-to-parallel-loops, gpu-map-parallel-loops,
// convert-parallel-loops-to-gpu) leaves loops on the host whenever a
// reduction loop comes first or a tile does not divide the shape; this pass
// never does: the parallel loops go first, their space is linearised, and
// an invocation computes one point of it.
//
// What is left on the host is what the Vulkan runtime interprets
// (runtime/vulkan/VulkanEngine.cpp): memref.alloc/dealloc/get_global,
// constants, views (collapse/expand/cast) and the return.
//
//===----------------------------------------------------------------------===//
#include "nabla/codegen/Passes.h"
#include "nabla/ir/NablaDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVDialect.h"
#include "mlir/Dialect/SPIRV/IR/TargetAndABI.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace nabla {
#define GEN_PASS_DEF_NABLAGPUMAPLINALG
#include "codegen/Passes.h.inc"
} // namespace nabla

using namespace mlir;

namespace {

/// Ops the Vulkan runtime runs on the host: they allocate, name or view
/// buffers, or are constants the kernels take in when outlined.
bool staysOnHost(Operation *op) {
  return isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp,
             memref::GetGlobalOp, memref::CollapseShapeOp,
             memref::ExpandShapeOp, memref::ReshapeOp, memref::CastOp,
             arith::ConstantOp, func::ReturnOp>(op);
}

/// The launch of a kernel over `total` points: a workgroup of
/// `workgroupSize` invocations per `workgroupSize` points, capped at
/// `maxGroups` workgroups. Returns the launch and leaves the builder in a
/// grid-stride loop over the points, at its induction variable.
std::pair<gpu::LaunchOp, Value> createLaunch(IRRewriter &rewriter, Location loc,
                                             int64_t total,
                                             int64_t workgroupSize,
                                             int64_t maxGroups) {
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  };
  int64_t threads = std::max<int64_t>(1, std::min(total, workgroupSize));
  int64_t groups = std::max<int64_t>(
      1, std::min((total + threads - 1) / threads, maxGroups));
  Value one = index(1);
  auto launch = gpu::LaunchOp::create(rewriter, loc, index(groups), one, one,
                                      index(threads), one, one);
  Block &body = launch.getBody().front();
  rewriter.setInsertionPointToStart(&body);
  gpu::TerminatorOp::create(rewriter, loc);
  rewriter.setInsertionPointToStart(&body);
  Value first = arith::AddIOp::create(
      rewriter, loc,
      arith::MulIOp::create(rewriter, loc, launch.getBlockIds().x,
                            index(threads)),
      launch.getThreadIds().x);
  auto loop = scf::ForOp::create(rewriter, loc, first, index(total),
                                 index(groups * threads));
  rewriter.setInsertionPointToStart(loop.getBody());
  return {launch, loop.getInductionVar()};
}

/// Row-major indices of the point `linear` in a space of `sizes`.
SmallVector<Value> delinearize(IRRewriter &rewriter, Location loc, Value linear,
                               ArrayRef<int64_t> sizes) {
  SmallVector<Value> indices(sizes.size());
  Value rest = linear;
  for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
    Value size = arith::ConstantIndexOp::create(rewriter, loc, sizes[d]);
    indices[d] =
        d == 0 ? rest : arith::RemUIOp::create(rewriter, loc, rest, size);
    if (d > 0)
      rest = arith::DivUIOp::create(rewriter, loc, rest, size);
  }
  return indices;
}

/// Gives the kernel its own copy of each constant it uses, so that a
/// scalar constant is not passed in as a buffer of its own.
void sinkConstants(gpu::LaunchOp launch) {
  Region &body = launch.getBody();
  llvm::SetVector<Value> captured;
  getUsedValuesDefinedAbove(body, captured);
  OpBuilder builder = OpBuilder::atBlockBegin(&body.front());
  for (Value value : captured) {
    Operation *def = value.getDefiningOp();
    if (!def || !def->hasTrait<OpTrait::ConstantLike>())
      continue;
    Operation *copy = builder.clone(*def);
    replaceAllUsesInRegionWith(value, copy->getResult(0), body);
  }
}

/// The indices of `operand` of `generic` at the point `ivs` of its
/// iteration space.
SmallVector<Value> indicesAt(OpBuilder &b, Location loc,
                             linalg::GenericOp generic, OpOperand &operand,
                             ValueRange ivs) {
  AffineMap map = generic.getMatchingIndexingMap(&operand);
  SmallVector<Value> indices;
  for (unsigned r = 0; r < map.getNumResults(); ++r)
    indices.push_back(
        affine::AffineApplyOp::create(b, loc, map.getSubMap({r}), ivs));
  return indices;
}

/// Loads `operand` of `generic` at the point `ivs` of its iteration space.
Value loadAt(OpBuilder &b, Location loc, linalg::GenericOp generic,
             OpOperand &operand, ValueRange ivs) {
  if (!isa<MemRefType>(operand.get().getType()))
    return operand.get(); // a scalar operand is its own value
  return memref::LoadOp::create(b, loc, operand.get(),
                                indicesAt(b, loc, generic, operand, ivs));
}

/// The body of an invocation of a generic with reduction loops, summing
/// in registers: each output is loaded once, carried through the
/// reduction loops (scf.for iter_args) and stored once. The generic
/// scalar implementation would load and store the output on every
/// iteration, which turns a matmul's inner loop into global-memory
/// round trips. `ivs` are the parallel loops' indices.
LogicalResult emitReduction(IRRewriter &rewriter, Location loc,
                            linalg::GenericOp generic, SmallVector<Value> ivs,
                            ArrayRef<int64_t> reductionSizes) {
  SmallVector<Value> initial;
  // Reduction dimensions do not occur in an output's indexing map: any
  // value serves for them here.
  SmallVector<Value> outputIvs = ivs;
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  outputIvs.append(reductionSizes.size(), zero);
  for (OpOperand &init : generic.getDpsInitsMutable())
    initial.push_back(loadAt(rewriter, loc, generic, init, outputIvs));

  // One scf.for per reduction loop, the accumulators threaded through.
  SmallVector<scf::ForOp> loops;
  ValueRange carried = initial;
  for (int64_t size : reductionSizes) {
    auto loop = scf::ForOp::create(
        rewriter, loc, arith::ConstantIndexOp::create(rewriter, loc, 0),
        arith::ConstantIndexOp::create(rewriter, loc, size),
        arith::ConstantIndexOp::create(rewriter, loc, 1), carried);
    if (!loops.empty())
      scf::YieldOp::create(rewriter, loc, loop.getResults());
    rewriter.setInsertionPointToStart(loop.getBody());
    ivs.push_back(loop.getInductionVar());
    carried = loop.getRegionIterArgs();
    loops.push_back(loop);
  }

  IRMapping mapping;
  Block &payload = generic.getRegion().front();
  for (OpOperand *input : generic.getDpsInputOperands())
    mapping.map(payload.getArgument(input->getOperandNumber()),
                loadAt(rewriter, loc, generic, *input, ivs));
  for (auto [i, init] : llvm::enumerate(generic.getDpsInitsMutable()))
    mapping.map(payload.getArgument(init.getOperandNumber()), carried[i]);
  for (Operation &op : payload.without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(op)) {
      mapping.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    rewriter.clone(op, mapping);
  }
  SmallVector<Value> next;
  for (Value v : payload.getTerminator()->getOperands())
    next.push_back(mapping.lookupOrDefault(v));
  scf::YieldOp::create(rewriter, loc, next);

  rewriter.setInsertionPointAfter(loops.front());
  for (auto [i, init] : llvm::enumerate(generic.getDpsInitsMutable()))
    memref::StoreOp::create(rewriter, loc, loops.front().getResult(i),
                            init.get(),
                            indicesAt(rewriter, loc, generic, init, outputIvs));
  return success();
}

struct NablaGpuMapLinalgPass
    : nabla::impl::NablaGpuMapLinalgBase<NablaGpuMapLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    IRRewriter rewriter(&getContext());
    for (Operation &op :
         llvm::make_early_inc_range(func.getBody().front().getOperations())) {
      if (staysOnHost(&op))
        continue;
      if (auto copy = dyn_cast<memref::CopyOp>(&op)) {
        rewriter.setInsertionPoint(copy);
        auto linalgCopy = linalg::CopyOp::create(
            rewriter, copy.getLoc(), copy.getSource(), copy.getTarget());
        rewriter.eraseOp(copy);
        if (failed(mapLinalg(rewriter, linalgCopy)))
          return signalPassFailure();
        continue;
      }
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(&op)) {
        if (failed(mapLinalg(rewriter, linalgOp)))
          return signalPassFailure();
        continue;
      }
      if (op.getNumResults() == 0 && !isMemoryEffectFree(&op)) {
        wrapSerial(rewriter, &op);
        continue;
      }
      op.emitOpError("cannot run on the GPU: the Vulkan runtime does not "
                     "interpret it on the host");
      return signalPassFailure();
    }
  }

  /// Parallel loops first, linearised over the grid; reduction loops
  /// inside each invocation.
  LogicalResult mapLinalg(IRRewriter &rewriter, linalg::LinalgOp op) {
    rewriter.setInsertionPoint(op);
    // The kernel is named by its fusion group where it has one (the
    // location travels to the gpu.launch_func, and from there to
    // --profile's report).
    Location groupLoc = op->getLoc();
    if (auto group = op->getAttrOfType<StringAttr>(nabla::attrs::kGroup))
      groupLoc = NameLoc::get(
          StringAttr::get(op->getContext(), "nabla.group:" + group.getValue()),
          groupLoc);
    FailureOr<linalg::GenericOp> generic =
        isa<linalg::GenericOp>(op)
            ? FailureOr<linalg::GenericOp>(cast<linalg::GenericOp>(op))
            : linalg::generalizeNamedOp(rewriter, op);
    if (failed(generic))
      return op.emitOpError("cannot be generalized for the GPU");
    SmallVector<utils::IteratorType> iterators =
        generic->getIteratorTypesArray();
    SmallVector<unsigned> order;
    for (unsigned i = 0; i < iterators.size(); ++i)
      if (iterators[i] == utils::IteratorType::parallel)
        order.push_back(i);
    size_t numParallel = order.size();
    for (unsigned i = 0; i < iterators.size(); ++i)
      if (iterators[i] != utils::IteratorType::parallel)
        order.push_back(i);
    if (!llvm::equal(order, llvm::seq<unsigned>(0, order.size()))) {
      generic = linalg::interchangeGenericOp(rewriter, *generic, order);
      if (failed(generic))
        return op.emitOpError("cannot reorder its loops for the GPU");
    }
    SmallVector<int64_t> ranges = generic->getStaticLoopRanges();
    if (llvm::any_of(ranges, ShapedType::isDynamic))
      return generic->emitOpError("has a dynamic shape; the GPU pipeline "
                                  "needs static shapes");
    ArrayRef<int64_t> parallel = ArrayRef(ranges).take_front(numParallel);
    int64_t total = 1;
    for (int64_t size : parallel)
      total *= size;

    Location loc = generic->getLoc();
    auto [launch, linear] =
        createLaunch(rewriter, groupLoc, total, workgroupSize, maxWorkgroups);
    SmallVector<Value> ivs = delinearize(rewriter, loc, linear, parallel);
    if (numParallel < ranges.size() && generic->hasPureBufferSemantics()) {
      if (failed(emitReduction(rewriter, loc, *generic, ivs,
                               ArrayRef(ranges).drop_front(numParallel))))
        return failure();
      rewriter.eraseOp(*generic);
      sinkConstants(launch);
      return success();
    }
    for (int64_t size : ArrayRef(ranges).drop_front(numParallel)) {
      auto loop = scf::ForOp::create(
          rewriter, loc, arith::ConstantIndexOp::create(rewriter, loc, 0),
          arith::ConstantIndexOp::create(rewriter, loc, size),
          arith::ConstantIndexOp::create(rewriter, loc, 1));
      rewriter.setInsertionPointToStart(loop.getBody());
      ivs.push_back(loop.getInductionVar());
    }
    auto tiling = cast<TilingInterface>(generic->getOperation());
    if (failed(tiling.generateScalarImplementation(rewriter, loc, ivs)))
      return generic->emitOpError("has no scalar form for the GPU");
    rewriter.eraseOp(*generic);
    sinkConstants(launch);
    return success();
  }

  /// An op with side effects that is no linalg op (a loop left by a
  /// transform): one invocation runs it as it is. Correct, not fast.
  void wrapSerial(IRRewriter &rewriter, Operation *op) {
    rewriter.setInsertionPoint(op);
    auto [launch, linear] = createLaunch(rewriter, op->getLoc(), 1, 1, 1);
    (void)linear;
    rewriter.moveOpBefore(op, rewriter.getInsertionBlock(),
                          rewriter.getInsertionPoint());
    sinkConstants(launch);
  }
};

} // namespace
