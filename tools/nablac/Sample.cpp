//===- Sample.cpp - nablac sample: text from a trained byte-level model ---===//
#include "tools/nablac/Sample.h"
#include "nabla/runtime/Checkpoint.h"
#include "nabla/support/Error.h"
#include "tools/nablac/TrainCommand.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

namespace nabla::tools {

namespace {

/// splitmix64: a stream of 64-bit numbers fixed by the seed on every
/// machine (std::uniform_real_distribution's is not).
class Rng {
public:
  explicit Rng(uint64_t seed) : state(seed) {}
  /// Uniform in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1p-53; }

private:
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state;
};

/// Which input takes the byte ids and which output holds the logits.
struct Roles {
  const ArgInfo *ids = nullptr;
  int logits = -1;
  int64_t window = 0;
};

llvm::Expected<Roles> findRoles(const Signature &sig) {
  Roles r;
  for (const ArgInfo &a : sig.args)
    if (a.role == TensorInfo::Role::Input && a.type == ElementType::I32 &&
        a.shape.size() == 2) {
      r.ids = &a;
      r.window = a.shape[1];
      break;
    }
  if (!r.ids)
    return usageError(
        "model " + sig.function +
        " has no input of byte ids to sample with: sample needs an "
        "input i32[N, T] (a window of T bytes)");
  for (size_t i = 0; i < sig.outputs.size(); ++i) {
    const TensorInfo &o = sig.outputs[i];
    if (o.type != ElementType::I32 && o.shape.size() == 3 &&
        o.shape[1] == r.window) {
      if (o.shape[2] != 256)
        return usageError("output " + o.name + " of model " + sig.function +
                          " has " + llvm::Twine(o.shape[2]) +
                          " logits per position; sampling bytes needs 256");
      r.logits = static_cast<int>(i);
      return r;
    }
  }
  return usageError(
      "model " + sig.function +
      " has no output of next-byte logits: sample needs an output "
      "f32[N, " +
      llvm::Twine(r.window) + ", 256] (the logits at every position)");
}

/// Draws a byte from `logits` at `temperature` (0: the likeliest).
int draw(const Tensor &logits, int64_t offset, double temperature, Rng &rng) {
  std::vector<double> p(256);
  for (int i = 0; i < 256; ++i)
    p[i] = logits.get(offset + i);
  int best = static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
  if (temperature == 0)
    return best;
  double top = p[best], sum = 0;
  for (double &v : p)
    sum += v = std::exp((v - top) / temperature);
  double u = rng.uniform() * sum;
  for (int i = 0; i < 256; ++i) {
    u -= p[i];
    if (u < 0)
      return i;
  }
  return best; // rounding left u at 0: the sum's last bit
}

} // namespace

llvm::Expected<SampleResult> sample(const Source &source,
                                    CompileOptions compile,
                                    const SampleOptions &options,
                                    llvm::raw_ostream &out) {
  if (options.tokens < 1)
    return usageError("--tokens must be 1 or more");
  if (!(options.temperature >= 0) || !std::isfinite(options.temperature))
    return usageError("--temperature must be 0 (the likeliest byte) or more");
  if (options.checkpoint.empty())
    return usageError("sample needs the trained parameters: --checkpoint PATH "
                      "(written by nablac train --checkpoint PATH)");
  auto checkpoint = readCheckpoint(options.checkpoint);
  if (!checkpoint)
    return checkpoint.takeError();
  // One window at a time.
  compile.dims.emplace(source.batchDim(compile.model), 1);
  auto model = Model::compile(source, compile);
  if (!model)
    return model.takeError();
  const Signature &sig = (*model)->getSignature();
  auto roles = findRoles(sig);
  if (!roles)
    return roles.takeError();
  if (roles->ids->shape[0] != 1)
    return usageError(
        "sample draws one window at a time: the ids' first dim must "
        "be N (bound to 1), not " +
        llvm::Twine(roles->ids->shape[0]));
  auto held = heldFromCheckpoint(*checkpoint, sig, options.checkpoint);
  if (!held)
    return held.takeError();
  for (auto &[name, tensor] : *held)
    *(*model)->getParameter(name) = *tensor;

  // Inputs other than the ids (a training target) are zeros.
  std::map<std::string, Tensor> inputs;
  for (const ArgInfo &a : sig.args)
    if (a.role == TensorInfo::Role::Input)
      inputs[a.name] = Tensor(a.type, a.shape);
  Tensor &ids = inputs[roles->ids->name];

  std::string text = options.prompt.empty() ? "\n" : options.prompt;
  SampleResult result;
  Rng rng(options.seed);
  const int64_t window = roles->window;
  auto start = std::chrono::steady_clock::now();
  for (int64_t n = 0; n < options.tokens; ++n) {
    // The last `window` bytes at positions 0.., zeros after them: attention
    // is causal, so the logits at the last byte see only the bytes before.
    int64_t length = std::min<int64_t>(window, text.size());
    int64_t from = static_cast<int64_t>(text.size()) - length;
    for (int64_t i = 0; i < window; ++i)
      ids.set(i, i < length ? static_cast<unsigned char>(text[from + i]) : 0);
    auto outputs = (*model)->run(inputs);
    if (!outputs)
      return outputs.takeError();
    char byte =
        static_cast<char>(draw((*outputs)[roles->logits], (length - 1) * 256,
                               options.temperature, rng));
    text += byte;
    result.text += byte;
    out << byte;
    out.flush();
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return result;
}

} // namespace nabla::tools
