//===- CompiledModels.h - Models from text, run, for the kernel tests -----===//
//
// CpuKernelsTest and DotKernelsTest compile small models from source text
// and run them; a failure is a test failure with LLVM's message.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_TESTS_UNIT_COMPILEDMODELS_H
#define NABLA_TESTS_UNIT_COMPILEDMODELS_H

#include "nabla/Model.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace nabla::test {

/// The model of `text` (file name test.nb), parameters drawn with seed 0;
/// null, with a test failure, if it does not compile.
inline std::unique_ptr<Model> compileText(const std::string &text) {
  auto source = Source::fromString(text, "test.nb");
  if (!source) {
    ADD_FAILURE() << llvm::toString(source.takeError());
    return nullptr;
  }
  auto model = Model::compile(**source, {});
  if (!model) {
    ADD_FAILURE() << llvm::toString(model.takeError());
    return nullptr;
  }
  if (auto e = (*model)->initParameters(0))
    ADD_FAILURE() << llvm::toString(std::move(e));
  return std::move(*model);
}

/// The model's outputs for `in`; empty, with a test failure, on an error.
inline std::vector<Tensor> run(Model &model,
                               const std::map<std::string, Tensor> &in) {
  auto out = model.run(in);
  if (!out) {
    ADD_FAILURE() << llvm::toString(out.takeError());
    return {};
  }
  return std::move(*out);
}

} // namespace nabla::test

#endif // NABLA_TESTS_UNIT_COMPILEDMODELS_H
