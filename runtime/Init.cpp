//===- Init.cpp - Seeded parameter initialization -------------------------===//
#include "nabla/runtime/Init.h"
#include "nabla/runtime/Checkpoint.h"
#include "nabla/support/Error.h"

#include "llvm/ADT/StringMap.h"

#include <cmath>
#include <mutex>

namespace nabla {

uint64_t Rng::next() {
  // SplitMix64 (Steele, Lea, Flood 2014): passes BigCrush, trivially seeded.
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double Rng::uniform() { return (next() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  if (hasSpare) {
    hasSpare = false;
    return spare;
  }
  double u1;
  do
    u1 = uniform();
  while (u1 <= 0.0);
  double u2 = uniform();
  double r = std::sqrt(-2.0 * std::log(u1));
  spare = r * std::sin(2 * M_PI * u2);
  hasSpare = true;
  return r * std::cos(2 * M_PI * u2);
}

uint64_t streamSeed(uint64_t seed, llvm::StringRef name) {
  // FNV-1a over the name, mixed with the seed through one SplitMix step.
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : name)
    h = (h ^ static_cast<uint8_t>(c)) * 0x100000001b3ull;
  Rng mix(h ^ (seed * 0x9E3779B97F4A7C15ull));
  return mix.next();
}

std::pair<double, double> fans(llvm::ArrayRef<int64_t> shape) {
  if (shape.empty())
    return {1, 1};
  if (shape.size() == 1)
    return {double(shape[0]), double(shape[0])};
  if (shape.size() == 2)
    return {double(shape[0]), double(shape[1])}; // x @ w: [in, out]
  // Convolution weights [out, in / groups, kernel...], as PyTorch's
  // _calculate_fan_in_and_fan_out: each side times the kernel's size.
  double receptive = 1;
  for (int64_t d : shape.drop_front(2))
    receptive *= d;
  return {double(shape[1]) * receptive, double(shape[0]) * receptive};
}

namespace {

struct TensorFiles {
  std::mutex mutex;
  llvm::StringMap<TensorFileReader> readers; // by extension
  // The last .safetensors file read: a model's parameters load from one
  // file one after the other.
  std::string lastPath;
  std::shared_ptr<Checkpoint> last;
};

TensorFiles &tensorFiles() {
  static TensorFiles files;
  return files;
}

llvm::Expected<Tensor> loadSafetensors(llvm::StringRef file,
                                       llvm::StringRef key) {
  TensorFiles &files = tensorFiles();
  std::shared_ptr<Checkpoint> checkpoint;
  {
    std::lock_guard<std::mutex> lock(files.mutex);
    if (files.lastPath == file)
      checkpoint = files.last;
  }
  if (!checkpoint) {
    auto read = readCheckpoint(file);
    if (!read)
      return read.takeError();
    checkpoint = std::make_shared<Checkpoint>(std::move(*read));
    std::lock_guard<std::mutex> lock(files.mutex);
    files.lastPath = file.str();
    files.last = checkpoint;
  }
  auto it = checkpoint->tensors.find(key.str());
  if (it == checkpoint->tensors.end())
    return makeError(file + " has no tensor '" + key + "'");
  return it->second;
}

} // namespace

void registerTensorFileReader(llvm::StringRef extension,
                              TensorFileReader reader) {
  TensorFiles &files = tensorFiles();
  std::lock_guard<std::mutex> lock(files.mutex);
  files.readers[extension] = std::move(reader);
}

llvm::Expected<Tensor> loadTensor(llvm::StringRef file, llvm::StringRef key) {
  if (file.ends_with(".safetensors"))
    return loadSafetensors(file, key);
  TensorFileReader reader;
  {
    TensorFiles &files = tensorFiles();
    std::lock_guard<std::mutex> lock(files.mutex);
    for (const auto &entry : files.readers)
      if (file.ends_with(entry.getKey()))
        reader = entry.getValue();
  }
  if (!reader)
    return makeError(file + ": load() reads .safetensors files and ONNX models "
                            "(.onnx), not this kind of file");
  return reader(file, key);
}

bool initialize(Tensor &tensor, const InitSpec &spec, uint64_t seed,
                llvm::StringRef name, std::string &error) {
  int64_t n = tensor.getNumElements();
  const std::string &kind = spec.kind;
  auto fill = [&](double v) {
    for (int64_t i = 0; i < n; ++i)
      tensor.set(i, v);
  };
  if (kind == "zeros") {
    fill(0);
    return true;
  }
  if (kind == "ones") {
    fill(1);
    return true;
  }
  if (kind == "constant") {
    fill(spec.value);
    return true;
  }
  if (kind == "load") {
    auto loaded = loadTensor(spec.file, spec.key);
    if (!loaded) {
      error = llvm::toString(loaded.takeError());
      return false;
    }
    if (loaded->getShape() != tensor.getShape()) {
      error = spec.file + ": '" + spec.key + "' is " +
              formatTensorType(loaded->getElementType(), loaded->getShape()) +
              ", the parameter " +
              formatTensorType(tensor.getElementType(), tensor.getShape());
      return false;
    }
    tensor = loaded->convertTo(tensor.getElementType());
    return true;
  }
  if (kind == "literal") {
    if (static_cast<int64_t>(spec.literal.size()) != n) {
      error = "literal has " + std::to_string(spec.literal.size()) +
              " values but the parameter has " + std::to_string(n);
      return false;
    }
    for (int64_t i = 0; i < n; ++i)
      tensor.set(i, spec.literal[i]);
    return true;
  }

  auto [fanIn, fanOut] = fans(tensor.getShape());
  bool normal;
  double scale; // std for normal draws, bound for uniform ones
  double mean = 0;
  if (kind == "normal") {
    normal = true;
    mean = spec.mean;
    scale = spec.std;
  } else if (kind == "uniform") {
    normal = false;
    mean = (spec.low + spec.high) / 2;
    scale = (spec.high - spec.low) / 2;
  } else if (kind == "xavier_normal") {
    normal = true;
    scale = spec.gain * std::sqrt(2.0 / (fanIn + fanOut));
  } else if (kind == "xavier_uniform") {
    normal = false;
    scale = spec.gain * std::sqrt(6.0 / (fanIn + fanOut));
  } else if (kind == "he_normal") {
    normal = true;
    scale = spec.gain * std::sqrt(2.0 / fanIn);
  } else if (kind == "he_uniform") {
    normal = false;
    scale = spec.gain * std::sqrt(6.0 / fanIn);
  } else if (kind == "lecun_normal") {
    normal = true;
    scale = spec.gain * std::sqrt(1.0 / fanIn);
  } else if (kind == "lecun_uniform") {
    normal = false;
    scale = spec.gain * std::sqrt(3.0 / fanIn);
  } else {
    error = "unknown initializer '" + kind + "'";
    return false;
  }
  Rng rng(streamSeed(seed, name));
  for (int64_t i = 0; i < n; ++i) {
    double draw = normal ? rng.normal() : 2 * rng.uniform() - 1;
    tensor.set(i, mean + scale * draw);
  }
  return true;
}

} // namespace nabla
