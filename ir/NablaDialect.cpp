//===- NablaDialect.cpp - The nabla dialect -------------------------------===//
#include "nabla/ir/NablaDialect.h"
#include "nabla/ir/NablaOps.h"

#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace nabla;

#include "ir/NablaOpsDialect.cpp.inc"

void NablaDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/NablaOps.cpp.inc"
      >();
}

Operation *NablaDialect::materializeConstant(OpBuilder &builder,
                                             Attribute value, Type type,
                                             Location loc) {
  auto typed = dyn_cast<TypedAttr>(value);
  if (!typed || typed.getType() != type || !isa<RankedTensorType>(type))
    return nullptr;
  return ConstantOp::create(builder, loc, type, typed);
}

/// `nabla.input`/`nabla.param` name an argument; `nabla.init` says how to
/// initialise a parameter. Checked here so a hand-written module with a
/// malformed spec fails at parse time, not in the runtime.
LogicalResult NablaDialect::verifyRegionArgAttribute(Operation *op,
                                                     unsigned regionIndex,
                                                     unsigned argIndex,
                                                     NamedAttribute attr) {
  StringRef name = attr.getName().strref();
  // After buffer-results-to-out-params a result's name lands on its
  // out-parameter, so `nabla.output` is allowed here too.
  if (name == attrs::kInput || name == attrs::kParam ||
      name == attrs::kOutput || name == attrs::kGrad ||
      name == attrs::kState || name == attrs::kHyper ||
      name == attrs::kUpdate || name == attrs::kStat) {
    if (!isa<StringAttr>(attr.getValue()))
      return op->emitError() << "'" << name << "' on argument " << argIndex
                             << " must be a string";
    return success();
  }
  if (name == attrs::kInit) {
    auto dict = dyn_cast<DictionaryAttr>(attr.getValue());
    if (!dict || !dict.getAs<StringAttr>("kind"))
      return op->emitError() << "'" << name << "' on argument " << argIndex
                             << " must be a dictionary with a string 'kind'";
    return success();
  }
  return op->emitError() << "unknown nabla argument attribute '" << name
                         << "'";
}

LogicalResult NablaDialect::verifyOperationAttribute(Operation *op,
                                                     NamedAttribute attr) {
  StringRef name = attr.getName().strref();
  if (name == attrs::kGradientOf) {
    if (!isa<FunctionOpInterface>(op) || !isa<StringAttr>(attr.getValue()))
      return op->emitError() << "'" << name
                             << "' must be a string on a function";
    return success();
  }
  if (name == attrs::kModel) {
    if (!isa<FunctionOpInterface>(op))
      return op->emitError() << "'" << name << "' belongs on a function";
    return success();
  }
  if (name == attrs::kLossSeed) {
    if (!isa<UnitAttr>(attr.getValue()) || !isa<ConstantOp>(op))
      return op->emitError() << "'" << name
                             << "' is a unit attribute on a nabla.constant";
    return success();
  }
  if (name == attrs::kGroup) {
    if (!isa<StringAttr>(attr.getValue()))
      return op->emitError() << "'" << name << "' must be a string";
    return success();
  }
  if (name == attrs::kParallel || name == attrs::kNontemporal) {
    if (!isa<UnitAttr>(attr.getValue()) || op->getNumRegions() == 0)
      return op->emitError() << "'" << name
                             << "' is a unit attribute on a loop";
    return success();
  }
  if (name == attrs::kArenaBytes) {
    if (!isa<FunctionOpInterface>(op) || !isa<IntegerAttr>(attr.getValue()))
      return op->emitError()
             << "'" << name << "' must be an integer on a function";
    return success();
  }
  if (name == attrs::kKernel) {
    if (!isa<FunctionOpInterface>(op) || !isa<UnitAttr>(attr.getValue()))
      return op->emitError()
             << "'" << name << "' is a unit attribute on a function";
    return success();
  }
  if (name == attrs::kPartialSums) {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError() << "'" << name << "' is a unit attribute";
    return success();
  }
  return op->emitError() << "unknown nabla attribute '" << name << "'";
}

LogicalResult NablaDialect::verifyRegionResultAttribute(Operation *op,
                                                        unsigned regionIndex,
                                                        unsigned resultIndex,
                                                        NamedAttribute attr) {
  StringRef name = attr.getName().strref();
  if (name != attrs::kOutput && name != attrs::kGrad &&
      name != attrs::kState && name != attrs::kUpdate && name != attrs::kStat)
    return op->emitError() << "unknown nabla result attribute '" << name
                           << "'";
  if (!isa<StringAttr>(attr.getValue()))
    return op->emitError() << "'" << name << "' on result " << resultIndex
                           << " must be a string";
  return success();
}
