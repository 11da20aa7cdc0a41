//===- Sample.h - nablac sample: text from a trained byte-level model -*- C++
//-*-===//
//
// Autoregressive sampling with a model's inference function: the model
// reads a window of byte ids (its first input, i32[N, T]) and gives logits
// for the next byte at every position (an output f32[N, T, 256]). Each new
// byte is drawn from the logits at the last position of the text so far.
//
//===----------------------------------------------------------------------===//

#ifndef NABLA_SAMPLE_H
#define NABLA_SAMPLE_H

#include "nabla/Model.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

namespace nabla::tools {

struct SampleOptions {
  std::string checkpoint;
  /// The text the model continues; "\n" (the start of a line) when empty.
  std::string prompt;
  int64_t tokens = 200;
  /// Logits are divided by it before the softmax; 0 takes the likeliest
  /// byte every time.
  double temperature = 1.0;
  uint64_t seed = 0;
};

struct SampleResult {
  std::string text; // the bytes drawn, without the prompt
  double seconds = 0;
};

/// Loads the checkpoint's parameters into the model compiled from `source`
/// for one window (N = 1), then draws `options.tokens` bytes, writing each
/// to `out` as it is drawn.
llvm::Expected<SampleResult> sample(const Source &source,
                                    CompileOptions compile,
                                    const SampleOptions &options,
                                    llvm::raw_ostream &out);

} // namespace nabla::tools

#endif // NABLA_SAMPLE_H
