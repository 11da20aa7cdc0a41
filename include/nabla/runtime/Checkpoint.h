//===- Checkpoint.h - safetensors checkpoints, written atomically -*- C++ -*-===//
//
// The safetensors format (https://huggingface.co/docs/safetensors): an
// 8-byte little-endian header length, a JSON header mapping each tensor
// name to {"dtype", "shape", "data_offsets"} plus "__metadata__" (string
// to string), then the raw little-endian data. A checkpoint holds the
// parameters and optimizer state by name, and metadata such as the step
// count and training options.
//
// Writes go to a temporary file in the same directory, are fsync'ed, then
// renamed over the target, so a crash or error mid-write leaves the
// previous checkpoint intact.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_CHECKPOINT_H
#define NABLA_RUNTIME_CHECKPOINT_H

#include "nabla/runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <map>
#include <string>

namespace nabla {

struct Checkpoint {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;
};

/// The tensor `key` of `checkpoint`, checked to be exactly what the model
/// needs: present, of element type `type` and of shape `shape` (no
/// conversion: an f16 or i32 tensor for an f32 parameter, or a [2048] one
/// for a [64, 32] one, is an error naming the key, what it holds and what
/// is needed). Every load of a checkpoint (resume, eval, the API) goes
/// through here.
llvm::Expected<const Tensor *> checkpointTensor(const Checkpoint &checkpoint,
                                                llvm::StringRef key,
                                                ElementType type,
                                                llvm::ArrayRef<int64_t> shape);

/// Writes `checkpoint` to `path` atomically. dtypes: F32, F16, BF16, F64,
/// I32, BOOL.
llvm::Error writeCheckpoint(const Checkpoint &checkpoint, llvm::StringRef path);

/// Reads a safetensors file. Errors name the file and what is wrong
/// (truncated, bad header JSON, unsupported dtype, offsets out of range or
/// overlapping, a size that does not match the shape).
llvm::Expected<Checkpoint> readCheckpoint(llvm::StringRef path);

/// For tests: when set, writeCheckpoint fails after writing this many bytes
/// of the temporary file, as a crash or a full disk would.
void setCheckpointWriteFailureForTesting(int64_t afterBytes);

} // namespace nabla

#endif // NABLA_RUNTIME_CHECKPOINT_H
