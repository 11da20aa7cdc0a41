//===- Locations.cpp - Source positions as people read them ---------------===//
#include "nabla/ir/Locations.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"

using namespace mlir;

std::string nabla::describeLoc(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return llvm::formatv(
        "{0}:{1}:{2}", llvm::sys::path::filename(file.getFilename().getValue()),
        file.getLine(), file.getColumn());
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (std::string text = describeLoc(inner); !text.empty())
        return text;
  if (auto name = dyn_cast<NameLoc>(loc)) {
    // The frontend names an op inside a layer after the layer's instance
    // ("Dense_2"); nabla's own names ("nabla.group:...") say nothing here.
    std::string child = describeLoc(name.getChildLoc());
    StringRef instance = name.getName().getValue();
    if (child.empty() || instance.starts_with("nabla."))
      return child;
    return child + " in " + instance.str();
  }
  if (auto call = dyn_cast<CallSiteLoc>(loc))
    return describeLoc(call.getCaller());
  return "";
}
