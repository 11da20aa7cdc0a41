//===- Kernels.cpp - nabla-bench: kernels against the machine's limits ----===//
//
// Google Benchmark programs for the CPU performance issue's kernel
// workloads, each beside the machine limit it is judged against:
//
//   Peak      FMA throughput of this core (independent vector FMA chains)
//   Copy      memcpy of 16M floats (read + write bandwidth)
//   GEMM      1024x1024x1024 f32 matmul, compiled by nabla
//   CONV      one 3x3 convolution, 64 -> 64 channels, 28x28, batch 32
//   ATTN      causal attention forward, B 32, H 4, T 128, D 32
//   ELT       y = relu(x * a + b) on 16M f32, compiled by nabla
//   W4        W1's forward pass (bench/w1.nb) at batch 1 and 128
//
// GEMM, CONV and ATTN report GFLOP/s (to compare with Peak x threads); ELT and
// Copy report bytes moved per second (read + written) so the two compare.
// `--threads N` (or NABLA_NUM_THREADS) sets the threads of nabla's loops
// and of Peak and Copy. Run: build/bin/nabla-bench [--threads 2]
// [--benchmark_filter=GEMM] (Google Benchmark's own flags also apply).
//
//===----------------------------------------------------------------------===//
#include "nabla/Model.h"

#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <cstring>
#include <random>
#include <thread>

namespace {

int threads = 1;

std::string benchPath(const char *file) {
  return std::string(NABLA_SOURCE_DIR) + "/bench/" + file;
}

/// Every benchmark needs its model; failing to compile one is a bug.
std::unique_ptr<nabla::Model> compile(const nabla::Source &source,
                                      std::map<std::string, int64_t> dims) {
  nabla::CompileOptions options;
  options.dims = std::move(dims);
  auto model = nabla::Model::compile(source, options);
  if (!model) {
    llvm::errs() << llvm::toString(model.takeError()) << "\n";
    std::exit(1);
  }
  if (auto e = (*model)->initParameters(0)) {
    llvm::errs() << llvm::toString(std::move(e)) << "\n";
    std::exit(1);
  }
  return std::move(*model);
}

std::unique_ptr<nabla::Source> sourceOf(const std::string &text) {
  auto source = nabla::Source::fromString(text, "bench");
  if (!source) {
    llvm::errs() << llvm::toString(source.takeError()) << "\n";
    std::exit(1);
  }
  return std::move(*source);
}

nabla::Tensor randomTensor(nabla::ElementType type, std::vector<int64_t> shape,
                           uint64_t seed) {
  nabla::Tensor t(nabla::ElementType::F32, shape);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  float *p = static_cast<float *>(t.data());
  for (int64_t i = 0; i < t.getNumElements(); ++i)
    p[i] = dist(rng);
  return type == nabla::ElementType::F32 ? std::move(t) : t.convertTo(type);
}

void runOrDie(nabla::Model &model, llvm::ArrayRef<nabla::Tensor *> in,
              llvm::ArrayRef<nabla::Tensor *> out, benchmark::State &state) {
  if (auto e = model.runInPlace(in, out))
    state.SkipWithError(llvm::toString(std::move(e)).c_str());
}

//===----------------------------------------------------------------------===//
// Machine limits
//===----------------------------------------------------------------------===//

/// FMAs per call of one thread: 12 independent chains of vector FMAs, more
/// than latency x ports, so the FMA units never wait.
constexpr int64_t kPeakIterations = 1 << 22;
constexpr int kChains = 12;

__attribute__((target("avx512f"))) double peakAVX512() {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm512_set1_ps(float(c));
  __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-6f);
  for (int64_t i = 0; i < kPeakIterations; ++i)
    for (int c = 0; c < kChains; ++c)
      acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  float sum = 0;
  for (int c = 0; c < kChains; ++c)
    sum += _mm512_reduce_add_ps(acc[c]);
  benchmark::DoNotOptimize(sum);
  return 2.0 * 16 * kChains * kPeakIterations;
}

__attribute__((target("avx2,fma"))) double peakAVX2() {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c)
    acc[c] = _mm256_set1_ps(float(c));
  __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(1e-6f);
  for (int64_t i = 0; i < kPeakIterations; ++i)
    for (int c = 0; c < kChains; ++c)
      acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  alignas(32) float lanes[8];
  float sum = 0;
  for (int c = 0; c < kChains; ++c) {
    _mm256_store_ps(lanes, acc[c]);
    for (float x : lanes)
      sum += x;
  }
  benchmark::DoNotOptimize(sum);
  return 2.0 * 8 * kChains * kPeakIterations;
}

/// Runs `work(thread)` on `threads` threads and waits for all.
template <typename Fn>
void onThreads(Fn work) {
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t)
    pool.emplace_back(work, t);
  work(0);
  for (std::thread &t : pool)
    t.join();
}

void Peak(benchmark::State &state) {
  bool avx512 = __builtin_cpu_supports("avx512f");
  double flops = 0;
  for (auto _ : state) {
    std::vector<double> done(threads);
    onThreads([&](int t) { done[t] = avx512 ? peakAVX512() : peakAVX2(); });
    for (double d : done)
      flops += d;
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(avx512 ? "AVX-512 FMA" : "AVX2 FMA");
}

constexpr int64_t kEltElements = 16 << 20;

void Copy(benchmark::State &state) {
  std::vector<float> from(kEltElements, 1.0f), to(kEltElements, 0.0f);
  int64_t chunk = kEltElements / threads;
  for (auto _ : state) {
    onThreads([&](int t) {
      std::memcpy(to.data() + t * chunk, from.data() + t * chunk,
                  chunk * sizeof(float));
    });
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * 2 * kEltElements *
                          int64_t(sizeof(float)));
}

//===----------------------------------------------------------------------===//
// nabla's kernels
//===----------------------------------------------------------------------===//

void GEMM(benchmark::State &state, nabla::ElementType type) {
  // bf16: bf16 inputs, f32 sums (the matmul kernel widens as it loads).
  std::string t = type == nabla::ElementType::F32 ? "f32" : "bf16";
  auto source = sourceOf("model Gemm(a: " + t + "[1024, 1024], b: " + t +
                         "[1024, 1024]) {\n  return a @ b\n}\n");
  auto model = compile(*source, {});
  nabla::Tensor a = randomTensor(type, {1024, 1024}, 1);
  nabla::Tensor b = randomTensor(type, {1024, 1024}, 2);
  nabla::Tensor c(model->getSignature().outputs[0].type, {1024, 1024});
  for (auto _ : state)
    runOrDie(*model, {&a, &b}, {&c}, state);
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * 1024 * 1024 * 1024 * state.iterations() / 1e9,
      benchmark::Counter::kIsRate);
}

/// The matmuls of W3's step (batch 256, 512x512 weights): the forward
/// x @ w (NN), the weight gradient transpose(x) @ dy (TN) and the input
/// gradient dy @ transpose(w) (NT).
void Matmul(benchmark::State &state, const char *expression) {
  auto source = sourceOf(std::string("model Mm(a: f32[256, 512], b: f32[512, "
                                     "512]) {\n  return ") +
                         expression + "\n}\n");
  auto model = compile(*source, {});
  nabla::Tensor a = randomTensor(nabla::ElementType::F32, {256, 512}, 1);
  nabla::Tensor b = randomTensor(nabla::ElementType::F32, {512, 512}, 2);
  const nabla::TensorInfo &out = model->getSignature().outputs[0];
  nabla::Tensor c(out.type, out.shape);
  for (auto _ : state)
    runOrDie(*model, {&a, &b}, {&c}, state);
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * 256 * 512 * 512 * state.iterations() / 1e9,
      benchmark::Counter::kIsRate);
}

/// One 3x3 convolution, 64 -> 64 channels, 28x28, padding 1, batch 32,
/// forward (the convolutional-networks issue's CONV): an implicit GEMM
/// [25088 pixels, 576] @ [576, 64] on the CPU.
void CONV(benchmark::State &state) {
  auto source = sourceOf("model Conv(x: f32[32, 64, 28, 28], w: f32[64, 64, "
                         "3, 3]) {\n  return conv2d(x, w, padding = 1)\n}\n");
  auto model = compile(*source, {});
  nabla::Tensor x = randomTensor(nabla::ElementType::F32, {32, 64, 28, 28}, 5);
  nabla::Tensor w = randomTensor(nabla::ElementType::F32, {64, 64, 3, 3}, 6);
  nabla::Tensor y(nabla::ElementType::F32, {32, 64, 28, 28});
  for (auto _ : state)
    runOrDie(*model, {&x, &w}, {&y}, state);
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * 32 * 64 * 28 * 28 * 64 * 9 * state.iterations() / 1e9,
      benchmark::Counter::kIsRate);
}

/// One causal self-attention forward (the sequence-models issue's ATTN):
/// softmax(mask(q k^T / sqrt(D))) v for B 32, H 4, T 128, D 32, written
/// as in examples/char_transformer.nb. GFLOP/s counts the two batched
/// matmuls in full (2 x 2 B H T T D), the masked half included, as a
/// dense kernel computes it.
void ATTN(benchmark::State &state) {
  auto source = sourceOf(
      "model Attn(q: f32[32, 4, 128, 32], k: f32[32, 4, 32, 128], v: f32[32, "
      "4, 128, 32]) {\n  scores = where(causal_mask(128), q @ k / sqrt(32), "
      "-1e9)\n  return softmax(scores) @ v\n}\n");
  auto model = compile(*source, {});
  nabla::Tensor q = randomTensor(nabla::ElementType::F32, {32, 4, 128, 32}, 7);
  nabla::Tensor k = randomTensor(nabla::ElementType::F32, {32, 4, 32, 128}, 8);
  nabla::Tensor v = randomTensor(nabla::ElementType::F32, {32, 4, 128, 32}, 9);
  nabla::Tensor y(nabla::ElementType::F32, {32, 4, 128, 32});
  for (auto _ : state)
    runOrDie(*model, {&q, &k, &v}, {&y}, state);
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * 2 * 32 * 4 * 128 * 128 * 32 * state.iterations() / 1e9,
      benchmark::Counter::kIsRate);
}

void ELT(benchmark::State &state) {
  auto source = sourceOf("model Elt(x: f32[16777216], a: f32, b: f32) {\n"
                         "  return relu(x * a + b)\n}\n");
  auto model = compile(*source, {});
  nabla::Tensor x = randomTensor(nabla::ElementType::F32, {kEltElements}, 3);
  nabla::Tensor a = nabla::Tensor::fromDoubles(nabla::ElementType::F32, {}, {1.5});
  nabla::Tensor b = nabla::Tensor::fromDoubles(nabla::ElementType::F32, {}, {0.25});
  nabla::Tensor y(nabla::ElementType::F32, {kEltElements});
  for (auto _ : state)
    runOrDie(*model, {&x, &a, &b}, {&y}, state);
  state.SetBytesProcessed(state.iterations() * 2 * kEltElements *
                          int64_t(sizeof(float)));
}

void W4(benchmark::State &state) {
  int64_t batch = state.range(0);
  auto source = nabla::Source::fromFile(benchPath("w1.nb"));
  if (!source) {
    state.SkipWithError(llvm::toString(source.takeError()).c_str());
    return;
  }
  auto model = compile(**source, {{"N", batch}});
  nabla::Tensor x = randomTensor(nabla::ElementType::F32, {batch, 784}, 4);
  nabla::Tensor label(nabla::ElementType::I32, {batch});
  nabla::Tensor loss(nabla::ElementType::F32, {});
  nabla::Tensor logits(nabla::ElementType::F32, {batch, 10});
  for (auto _ : state)
    runOrDie(*model, {&x, &label}, {&loss, &logits}, state);
}

} // namespace

BENCHMARK(Peak)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(Copy)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(GEMM, f32, nabla::ElementType::F32)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(GEMM, bf16, nabla::ElementType::BF16)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Matmul, NN, "a @ b")
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Matmul, TN, "transpose(a) @ a")
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Matmul, NT, "a @ transpose(b)")
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(CONV)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(ATTN)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(ELT)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(W4)->Arg(1)->Arg(128)->Unit(benchmark::kMicrosecond)->UseRealTime();

int main(int argc, char **argv) {
  if (!nabla::applyThreadsFromEnvironment()) {
    llvm::errs() << "error: NABLA_NUM_THREADS must be a number, 1 or more\n";
    return 1;
  }
  threads = nabla::getNumThreads();
  // --threads N (ours) is taken out before Google Benchmark reads the rest.
  std::vector<char *> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++i]));
      continue;
    }
    rest.push_back(argv[i]);
  }
  nabla::setNumThreads(threads);
  int restCount = static_cast<int>(rest.size());
  benchmark::Initialize(&restCount, rest.data());
  benchmark::AddCustomContext("threads", std::to_string(threads));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
