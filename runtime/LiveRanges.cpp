//===- LiveRanges.cpp - Short live ranges in a step before codegen --------===//
//
// After -O3 a deep model's step is one block of its packed wrapper: tens
// of thousands of loads of its arguments at the top, the arena's aligned
// pointer, then one call per kernel. Every loaded argument and every
// address in the arena is live from the top to its call. The code
// generator pays for each live value at each call it crosses: instruction
// selection of the one block (all loads hang off the entry's chain) and
// the register allocator's interference checks against every call's
// clobbers. At 1000 Dense layers this was 45 s of llc's time, 7 s at 400
// (x6.7 for x2.5 layers). After this rewrite: 6.1 s and 2.5 s.
//
// Two rewrites, both inside a packed wrapper `_mlir_NAME(ptr %args)`:
//
// - Loads of arguments are recomputed before each use. %args points to
//   an array of pointers, one to each argument's storage (JitEngine::call
//   builds them); compiled code never writes that storage while it runs,
//   so a load from it gives the same value anywhere in the call. Read
//   only are the array and the pointers to an argument's storage loaded
//   from it that are only loaded from (not a result's, which the wrapper
//   stores to); loads from them (an argument's value) and constant
//   offsets of them are recomputed. What an argument's value points to is
//   not: kernels write it.
// - A value used more than kSpillAfterCalls calls after its definition
//   (the arena's pointer) is stored once in a stack slot and reloaded
//   before its uses; constant offsets of it are recomputed from the
//   reload. A load from the slot is not merged with another across a
//   call, so nothing long-lived is left for the register allocator.
//
// Within the run of instructions between two calls a value is recomputed
// once. Nothing optimizes the IR afterwards (code generation follows), so
// the rewrite is not undone.
//
//===----------------------------------------------------------------------===//
#include "nabla/runtime/LiveRanges.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"

namespace nabla {

namespace {

/// A value whose uses reach this many calls past its definition goes to
/// a stack slot: below that, the register allocator does as well alone.
constexpr unsigned kSpillAfterCalls = 16;

bool isPackedWrapper(const llvm::Function &f) {
  return !f.isDeclaration() && f.getName().starts_with("_mlir_") &&
         f.arg_size() == 1 && f.getArg(0)->getType()->isPointerTy();
}

/// A call the code generator emits as a call: it clobbers registers.
bool isRealCall(const llvm::Instruction &i) {
  if (!llvm::isa<llvm::CallBase>(i))
    return false;
  return !llvm::isa<llvm::IntrinsicInst>(i) || llvm::isa<llvm::MemIntrinsic>(i);
}

bool isConstantOffset(const llvm::Instruction &i) {
  auto *gep = llvm::dyn_cast<llvm::GetElementPtrInst>(&i);
  return gep && gep->hasAllConstantIndices();
}

/// Whether `pointer` is only read: every use loads from it or takes a
/// constant offset of it that is only read.
bool onlyLoadedFrom(const llvm::Value *pointer) {
  for (const llvm::User *user : pointer->users()) {
    if (auto *load = llvm::dyn_cast<llvm::LoadInst>(user)) {
      if (!load->isSimple() || load->getPointerOperand() != pointer)
        return false;
      continue;
    }
    auto *i = llvm::dyn_cast<llvm::Instruction>(user);
    if (!i || !isConstantOffset(*i) || !onlyLoadedFrom(i))
      return false;
  }
  return true;
}

class Shortener {
public:
  explicit Shortener(llvm::Function &f) : f(f) {}

  LiveRangeStats run() {
    numberCalls();
    findArgumentLoads();
    findLongLivedValues();
    rewriteUses();
    eraseDeadCopies();
    return stats;
  }

private:
  /// Values recomputed before each use, per run between two calls.
  using Copies = llvm::DenseMap<llvm::Instruction *, llvm::Value *>;

  /// callsBefore[i]: how many calls precede instruction i in layout order.
  void numberCalls() {
    unsigned calls = 0;
    for (llvm::BasicBlock &block : f)
      for (llvm::Instruction &i : block) {
        callsBefore[&i] = calls;
        calls += isRealCall(i);
      }
  }

  /// The argument array, offsets into it, and the loads through it: of
  /// an argument's storage (depth 0 -> 1) and of its value (1 -> 2). The
  /// memory an argument points to (depth 2) is not followed: kernels
  /// write it, perhaps through another argument's pointer.
  void findArgumentLoads() {
    llvm::DenseMap<const llvm::Value *, int> depth{{f.getArg(0), 0}};
    for (llvm::Instruction &i : f.getEntryBlock()) {
      if (isConstantOffset(i) && depth.contains(i.getOperand(0))) {
        depth[&i] = depth[i.getOperand(0)];
        remat.insert(&i);
      } else if (auto *load = llvm::dyn_cast<llvm::LoadInst>(&i);
                 load && load->isSimple() &&
                 depth.contains(load->getPointerOperand())) {
        remat.insert(&i);
        // An argument's storage: read only unless it is a result's.
        if (depth[load->getPointerOperand()] == 0 &&
            load->getType()->isPointerTy() && onlyLoadedFrom(load))
          depth[load] = 1;
      }
    }
  }

  /// The last call a use of `i` comes after, following constant offsets
  /// (they move to their uses with it).
  unsigned lastUseCall(llvm::Instruction &i) {
    unsigned last = callsBefore[&i];
    for (llvm::User *user : i.users()) {
      auto *u = llvm::cast<llvm::Instruction>(user);
      if (auto *phi = llvm::dyn_cast<llvm::PHINode>(u))
        for (unsigned k = 0; k < phi->getNumIncomingValues(); ++k) {
          if (phi->getIncomingValue(k) == &i)
            last = std::max(
                last, callsBefore[phi->getIncomingBlock(k)->getTerminator()]);
        }
      else if (isConstantOffset(*u) && u->getParent() == i.getParent())
        last = std::max(last, lastUseCall(*u));
      else
        last = std::max(last, callsBefore[u]);
    }
    return last;
  }

  /// Values of the entry block that live across many calls: spilled, or
  /// recomputed from a spilled or recomputed base.
  void findLongLivedValues() {
    llvm::BasicBlock &entry = f.getEntryBlock();
    for (llvm::Instruction &i : entry) {
      if (remat.contains(&i) || llvm::isa<llvm::AllocaInst>(i))
        continue;
      if (isConstantOffset(i)) {
        auto *base = llvm::dyn_cast<llvm::Instruction>(i.getOperand(0));
        if (base && (remat.contains(base) || slots.contains(base))) {
          remat.insert(&i);
          continue;
        }
      }
      llvm::Type *type = i.getType();
      if (!(type->isPointerTy() || type->isIntegerTy() ||
            type->isFloatingPointTy()) ||
          lastUseCall(i) - callsBefore[&i] < kSpillAfterCalls)
        continue;
      llvm::IRBuilder<> slotBuilder(&entry, entry.getFirstInsertionPt());
      llvm::AllocaInst *slot =
          slotBuilder.CreateAlloca(type, nullptr, i.getName() + ".slot");
      slots[&i] = slot;
      spillStores.insert(
          new llvm::StoreInst(&i, slot, std::next(i.getIterator())));
      ++stats.spilled;
    }
  }

  /// `v` as computed right before `before`: a copy of a recomputed value
  /// (its operands recomputed too), a reload of a spilled one, else `v`.
  llvm::Value *materialize(llvm::Value *v, llvm::Instruction *before,
                           Copies &copies) {
    auto *i = llvm::dyn_cast<llvm::Instruction>(v);
    if (!i)
      return v;
    if (auto found = copies.find(i); found != copies.end())
      return found->second;
    llvm::Value *copy = nullptr;
    if (llvm::AllocaInst *slot = slots.lookup(i)) {
      copy = new llvm::LoadInst(i->getType(), slot, i->getName() + ".reload",
                                before->getIterator());
    } else if (remat.contains(i)) {
      llvm::Instruction *clone = i->clone();
      for (llvm::Use &operand : clone->operands())
        operand.set(materialize(operand.get(), before, copies));
      clone->insertBefore(before->getIterator());
      copy = clone;
      ++stats.rematerialized;
    } else {
      return v;
    }
    copies[i] = copy;
    return copy;
  }

  bool isMoved(llvm::Value *v) const {
    auto *i = llvm::dyn_cast<llvm::Instruction>(v);
    return i && (remat.contains(i) || slots.contains(i));
  }

  /// Every use of a moved value outside the moved values themselves takes
  /// a copy made in its own run of instructions between calls.
  void rewriteUses() {
    for (llvm::BasicBlock &block : f) {
      Copies copies;
      llvm::SmallVector<llvm::Instruction *> original;
      for (llvm::Instruction &i : block)
        original.push_back(&i);
      for (llvm::Instruction *user : original) {
        if (remat.contains(user) || spillStores.contains(user)) {
          continue;
        }
        for (llvm::Use &operand : user->operands()) {
          if (!isMoved(operand.get()))
            continue;
          if (auto *phi = llvm::dyn_cast<llvm::PHINode>(user)) {
            Copies local;
            operand.set(materialize(
                operand.get(), phi->getIncomingBlock(operand)->getTerminator(),
                local));
          } else {
            operand.set(materialize(operand.get(), user, copies));
          }
        }
        if (isRealCall(*user))
          copies.clear();
      }
    }
  }

  /// The originals of recomputed values, now unused.
  void eraseDeadCopies() {
    llvm::SmallVector<llvm::Instruction *> dead;
    for (llvm::Instruction &i : f.getEntryBlock())
      if (remat.contains(&i))
        dead.push_back(&i);
    for (llvm::Instruction *i : llvm::reverse(dead))
      if (i->use_empty())
        i->eraseFromParent();
  }

  llvm::Function &f;
  llvm::DenseMap<const llvm::Instruction *, unsigned> callsBefore;
  llvm::DenseSet<llvm::Instruction *> remat;
  llvm::DenseMap<llvm::Instruction *, llvm::AllocaInst *> slots;
  llvm::DenseSet<llvm::Instruction *> spillStores;
  LiveRangeStats stats;
};

} // namespace

LiveRangeStats shortenLiveRanges(llvm::Function &wrapper) {
  if (!isPackedWrapper(wrapper))
    return {};
  return Shortener(wrapper).run();
}

void shortenLiveRanges(llvm::Module &module) {
  for (llvm::Function &f : module)
    shortenLiveRanges(f);
}

} // namespace nabla
