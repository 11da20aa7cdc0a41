//===- FuzzReaders.cpp - Data and checkpoint readers on arbitrary bytes ---===//
//
// One libFuzzer target per reader, chosen at compile time by
// NABLA_FUZZ_READER: npy, csv, idx (the bytes are the labels file of a
// fixed 2-image file, and the images file of a fixed labels file, in
// turn) and safetensors. The path-based readers read a per-process
// temporary file, as nablac would. Every input ends in a value or an
// error, never a crash, a hang or an allocation the file does not back.
//
//===----------------------------------------------------------------------===//
#include "nabla/runtime/Checkpoint.h"
#include "nabla/runtime/Data.h"
#include "nabla/runtime/Npy.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <unistd.h>

namespace {

std::string tempPath(const char *suffix) {
  return "/tmp/nabla-fuzz-" + std::to_string(::getpid()) + suffix;
}

void writeFile(const std::string &path, llvm::StringRef bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  os << bytes;
}

template <typename T> void discard(llvm::Expected<T> result) {
  if (!result)
    llvm::consumeError(result.takeError());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  std::string reader = NABLA_FUZZ_READER;
  if (reader == "npy") {
    discard(nabla::parseNpy(bytes, "fuzz.npy"));
  } else if (reader == "csv") {
    std::string path = tempPath(".csv");
    writeFile(path, bytes);
    nabla::CsvOptions regression, classes;
    classes.numClasses = 3;
    discard(nabla::readCsv(path, regression));
    discard(nabla::readCsv(path, classes));
    // The text reader shares the file and gzip code: any bytes are text.
    discard(nabla::readText(path, 4));
  } else if (reader == "idx") {
    // A valid 2-image file (2x2 pixels) and a valid 2-label file.
    static const char images[] = "\0\0\x08\x03\0\0\0\x02\0\0\0\x02\0\0\0\x02"
                                 "\x01\x02\x03\x04\x05\x06\x07\x08";
    static const char labels[] = "\0\0\x08\x01\0\0\0\x02\x00\x01";
    std::string fuzzed = tempPath(".idx"), fixed = tempPath(".fixed.idx");
    writeFile(fuzzed, bytes);
    writeFile(fixed, llvm::StringRef(labels, sizeof(labels) - 1));
    discard(nabla::readIdx(fuzzed, fixed));
    writeFile(fixed, llvm::StringRef(images, sizeof(images) - 1));
    discard(nabla::readIdx(fixed, fuzzed));
  } else if (reader == "safetensors") {
    std::string path = tempPath(".safetensors");
    writeFile(path, bytes);
    discard(nabla::readCheckpoint(path));
  }
  return 0;
}
