//===- FuzzOnnx.cpp - The ONNX importer on arbitrary bytes ----------------===//
//
// The bytes are a .onnx file (a per-process temporary, as nablac reads
// one). Every input ends in .nb text or an error, never a crash or a
// hang; and text the importer writes must parse (the importer's output
// is the .nb frontend's input).
//
//===----------------------------------------------------------------------===//
#include "nabla/frontend/Diagnostics.h"
#include "nabla/frontend/OnnxImport.h"
#include "nabla/frontend/Parser.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = "/tmp/nabla-fuzz-" + std::to_string(::getpid()) + ".onnx";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << llvm::StringRef(reinterpret_cast<const char *>(data), size);
  }
  nabla::OnnxImportOptions options;
  // The symbolic dims of the seeds (torch.onnx.export's and the tests').
  for (const char *dim : {"batch", "N", "batch_size", "unk__0"})
    options.dims[dim] = 2;
  auto imported = nabla::importOnnx(path, options);
  if (!imported) {
    llvm::consumeError(imported.takeError());
    return 0;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(imported->text, "imported.nb"),
      llvm::SMLoc());
  std::string errors;
  llvm::raw_string_ostream os(errors);
  nabla::DiagnosticEngine diags(sourceMgr, os);
  if (!nabla::parseModule(diags)) {
    std::fprintf(stderr, "the importer wrote text that does not parse:\n%s\n%s",
                 imported->text.c_str(), errors.c_str());
    std::abort();
  }
  return 0;
}
