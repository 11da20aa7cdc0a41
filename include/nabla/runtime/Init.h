//===- Init.h - Seeded parameter initialization -----------------*- C++ -*-===//
//
// Parameter initializers with PyTorch's fan rules (torch.nn.init): for a
// weight of shape [..., in, out], fan_in = product of all dims but the last
// and fan_out = the last dim; a 1-D tensor has fan_in = fan_out = its size.
//   xavier_normal  std   = gain * sqrt(2 / (fan_in + fan_out))
//   xavier_uniform bound = gain * sqrt(6 / (fan_in + fan_out))
//   he_normal      std   = gain * sqrt(2 / fan_in)
//   he_uniform     bound = gain * sqrt(6 / fan_in)
//   lecun_normal   std   = gain * sqrt(1 / fan_in)
//   lecun_uniform  bound = gain * sqrt(3 / fan_in)
// Each parameter draws from its own stream, seeded by (seed, its name), so
// the same seed gives the same numbers on every run and adding a parameter
// does not change the others.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_INIT_H
#define NABLA_RUNTIME_INIT_H

#include "nabla/runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace nabla {

struct InitSpec {
  /// zeros, ones, constant, literal, normal, uniform, xavier_normal,
  /// xavier_uniform, he_normal, he_uniform, lecun_normal, lecun_uniform.
  std::string kind = "zeros";
  double mean = 0, std = 1, low = -1, high = 1, gain = 1, value = 0;
  std::vector<double> literal;
  std::string file, key; // load(FILE, KEY): tensor KEY of FILE
};

/// Reads tensor `key` of `file` (load()'s files): .safetensors files here,
/// other formats (.onnx) through registerTensorFileReader.
llvm::Expected<Tensor> loadTensor(llvm::StringRef file, llvm::StringRef key);
using TensorFileReader = std::function<llvm::Expected<Tensor>(
    llvm::StringRef file, llvm::StringRef key)>;
/// load() reads files whose name ends in `extension` (".onnx") with
/// `reader` (the ONNX importer registers its own).
void registerTensorFileReader(llvm::StringRef extension,
                              TensorFileReader reader);

/// Fan-in and fan-out of a tensor of `shape` (see above).
std::pair<double, double> fans(llvm::ArrayRef<int64_t> shape);

/// A small, fast, well-mixed generator (SplitMix64) with the draws we need.
class Rng {
public:
  explicit Rng(uint64_t seed) : state(seed) {}
  uint64_t next();
  double uniform(); // [0, 1)
  double normal();  // standard normal (Box-Muller)

private:
  uint64_t state;
  bool hasSpare = false;
  double spare = 0;
};

/// The stream seed of parameter `name` under `seed`.
uint64_t streamSeed(uint64_t seed, llvm::StringRef name);

/// Fills `tensor` according to `spec`. Returns false (with `error` set)
/// for an unknown kind, a literal of the wrong size, or a load() whose
/// file or tensor is missing or of another shape.
bool initialize(Tensor &tensor, const InitSpec &spec, uint64_t seed,
                llvm::StringRef name, std::string &error);

} // namespace nabla

#endif // NABLA_RUNTIME_INIT_H
