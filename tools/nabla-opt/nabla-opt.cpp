//===- nabla-opt.cpp - The MLIR driver with every nabla pass --------------===//
#include "nabla/codegen/Passes.h"
#include "nabla/ir/NablaDialect.h"
#include "nabla/passes/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  nabla::registerCodegenPasses();
  nabla::registerNablaPasses();
  nabla::registerTrainPipeline();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<nabla::NablaDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "nabla optimizer driver\n", registry));
}
