//===- train_digits.cpp - JIT a model from C++ and train it ---------------===//
//
// Compiles examples/digits.nb, trains it for a few epochs on the bundled
// digits data with the nabla C++ API, and prints the test accuracy.
//
//   build/bin/train-digits-example [path/to/examples]
//
//===----------------------------------------------------------------------===//
#include "nabla/Trainer.h"
#include "nabla/runtime/Data.h"

#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace nabla;

int main(int argc, char **argv) {
  std::string dir = argc > 1 ? argv[1] : "examples";
  auto fail = [](llvm::Error e) {
    llvm::errs() << llvm::toString(std::move(e)) << "\n";
    return 1;
  };

  // 1. Data: 64 pixels and a label per row; 20% held out; pixels to 0..1.
  CsvOptions csv;
  csv.numClasses = 10;
  auto data = readCsv(dir + "/data/digits.csv.gz", csv);
  if (!data)
    return fail(data.takeError());
  auto [train, test] = splitDataset(*data, 0.2, /*seed=*/0);
  Scaler scaler = Scaler::fit(Scaler::Kind::Divide, train, 16);
  scaler.apply(train);
  scaler.apply(test);

  // 2. The model, compiled into a training step for batches of 32.
  auto source = Source::fromFile(dir + "/digits.nb");
  if (!source)
    return fail(source.takeError());
  CompileOptions compile;
  compile.dims["N"] = 32;
  TrainOptions options;
  options.step.optimizer = nabla::Optimizer::Adam;
  options.lr = 1e-3;
  auto trainer = Trainer::create(**source, compile, options);
  if (!trainer)
    return fail(trainer.takeError());
  if (auto e = (*trainer)->initParameters(/*seed=*/0))
    return fail(std::move(e));

  // 3. Train.
  for (int64_t epoch = 0; epoch < 10; ++epoch) {
    BatchIterator batches(train, 32, /*shuffle=*/true, /*seed=*/0, epoch);
    Tensor x, y;
    double loss = 0;
    int64_t steps = 0;
    while (batches.next(x, y)) {
      auto result = (*trainer)->step({{{"x", x}, {"label", y}}});
      if (!result)
        return fail(result.takeError());
      loss += result->loss;
      ++steps;
    }
    llvm::outs() << "epoch " << epoch + 1 << "  train loss "
                 << llvm::format("%.4f", loss / steps) << "\n";
  }

  // 4. Evaluate: a forward model for the whole test set, with the trained
  //    parameters copied in by name.
  compile.dims["N"] = test.getNumRows();
  auto model = Model::compile(**source, compile);
  if (!model)
    return fail(model.takeError());
  for (const std::string &name : (*trainer)->getParameterNames())
    *(*model)->getParameter(name) = *(*trainer)->getParameter(name);
  auto outputs = (*model)->run({{"x", test.features}, {"label", test.targets}});
  if (!outputs)
    return fail(outputs.takeError());
  const Tensor &logits = (*outputs)[1];
  int64_t correct = 0, n = test.getNumRows();
  for (int64_t i = 0; i < n; ++i) {
    int64_t best = 0;
    for (int64_t c = 1; c < 10; ++c)
      if (logits.get(i * 10 + c) > logits.get(i * 10 + best))
        best = c;
    correct += best == static_cast<int64_t>(test.targets.get(i));
  }
  llvm::outs() << "test loss " << llvm::format("%.4f", (*outputs)[0].get(0))
               << "  test accuracy "
               << llvm::format("%.2f%%", 100.0 * correct / n) << "\n";
  return 0;
}
