//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
#ifndef NABLA_RUNTIME_NPY_H
#define NABLA_RUNTIME_NPY_H

#include "nabla/runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <map>
#include <string>

namespace nabla {

/// Reads a .npy file (format 1.0-3.0, C order; little-endian f4, f8, f2,
/// i4, i8, u1, b1). f8 becomes f32 and i8/u1 become i32, with a range check.
/// Errors name the file and what is wrong with it.
llvm::Expected<Tensor> readNpy(llvm::StringRef path);
/// Parses .npy bytes; `name` is used in error messages.
llvm::Expected<Tensor> parseNpy(llvm::StringRef bytes, llvm::StringRef name);
/// Reads a .npz archive (numpy.savez or savez_compressed): each member
/// NAME.npy as readNpy does, by NAME. Errors name the file and member.
llvm::Expected<std::map<std::string, Tensor>> readNpz(llvm::StringRef path);
/// Writes `tensor` as a version 1.0 .npy file.
llvm::Error writeNpy(const Tensor &tensor, llvm::StringRef path);

} // namespace nabla

#endif // NABLA_RUNTIME_NPY_H
