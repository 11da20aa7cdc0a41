//===- TrainSettingsTest.cpp - Every setting as a flag and in a block -----===//
//
// nablac's training settings come from one table (tools/nablac/
// TrainSettings.cpp). For every entry: a valid value is accepted both as a
// command-line flag and in a model's train block, and sets the same value;
// a bad value is refused by both, naming the setting.
//
//===----------------------------------------------------------------------===//
#include "tools/nablac/TrainSettings.h"
#include "tools/nablac/TrainCommand.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

using namespace nabla;
using namespace nabla::tools;

namespace {

const char *const kModel = R"(model M(x: f32[N, 4], label: i32[N]) {
  param w: f32[4, 3] = xavier
  return cross_entropy(x @ w, label)
}
)";

/// A value every setting of its type accepts, as a flag and as train-block
/// source text.
std::pair<std::string, std::string> goodValue(const TrainSetting &s) {
  if (s.name == "lr_milestones") // a list
    return {"10,20", "[10, 20]"};
  switch (s.type) {
  case TrainSetting::Type::Number:
    return {"0.5", "0.5"};
  case TrainSetting::Type::Integer:
    return {"2", "2"};
  case TrainSetting::Type::Path:
    return {"some.csv", "\"some.csv\""};
  case TrainSetting::Type::Switch: {
    // The opposite of the default.
    std::string v = s.get(TrainConfig{}) == "true" ? "false" : "true";
    return {v, v};
  }
  case TrainSetting::Type::Text: {
    // The second choice, so that it differs from the default.
    llvm::SmallVector<llvm::StringRef> choices;
    llvm::StringRef(s.value).split(choices, '|');
    std::string v = choices.size() > 1 ? choices[1].str() : choices[0].str();
    return {v, v};
  }
  }
  return {};
}

llvm::Expected<TrainConfig> fromBlock(const std::string &setting) {
  auto source = Source::fromString(
      std::string(kModel) + "train {\n  " + setting + "\n}\n", "dir/m.nb");
  if (!source)
    return source.takeError();
  return makeConfig(**source, {});
}

llvm::Expected<TrainConfig> fromFlag(const std::string &flag,
                                     const std::string &value) {
  auto source = Source::fromString(kModel, "dir/m.nb");
  if (!source)
    return source.takeError();
  return makeConfig(**source, {{flag, value}});
}

TEST(TrainSettings, EveryEntryIsAFlagAndATrainBlockSetting) {
  ASSERT_GE(trainSettings().size(), 30u);
  TrainConfig defaults;
  for (const TrainSetting &s : trainSettings()) {
    SCOPED_TRACE(s.name);
    auto [flagValue, blockValue] = goodValue(s);
    auto byFlag = fromFlag(s.flag(), flagValue);
    ASSERT_TRUE(bool(byFlag)) << llvm::toString(byFlag.takeError());
    auto byBlock = fromBlock(s.name + " = " + blockValue);
    ASSERT_TRUE(bool(byBlock)) << llvm::toString(byBlock.takeError());
    std::string flagged = s.get(*byFlag), written = s.get(*byBlock);
    if (s.type == TrainSetting::Type::Path) {
      // A path in a train block is relative to the model file.
      llvm::SmallString<64> expected("dir");
      llvm::sys::path::append(expected, flagged);
      EXPECT_EQ(written, std::string(expected));
      EXPECT_EQ(s.get(defaults), "") << "paths have no default";
    } else {
      EXPECT_EQ(flagged, written);
      EXPECT_NE(flagged, s.get(defaults)) << "the test value is the default";
    }
  }
}

TEST(TrainSettings, PathsInABlockAreRelativeToTheModel) {
  auto config = fromBlock("data = \"digits.csv\"");
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  llvm::SmallString<64> expected("dir");
  llvm::sys::path::append(expected, "digits.csv");
  EXPECT_EQ(config->data, std::string(expected));
  auto flagged = fromFlag("data", "digits.csv");
  ASSERT_TRUE(bool(flagged));
  EXPECT_EQ(flagged->data, "digits.csv");
}

// --data replaces a block's data whole: text(FILE) is a corpus, a plain
// path a file of rows, whatever the block said.
TEST(TrainSettings, DataFlagSaysWhetherItIsText) {
  auto source = Source::fromString(std::string(kModel) +
                                       "train {\n  data = text(\"c.txt\")\n}\n",
                                   "dir/m.nb");
  ASSERT_TRUE(bool(source)) << llvm::toString(source.takeError());
  auto block = makeConfig(**source, {});
  ASSERT_TRUE(bool(block)) << llvm::toString(block.takeError());
  EXPECT_TRUE(block->text);
  auto rows = makeConfig(**source, {{"data", "x.npy"}});
  ASSERT_TRUE(bool(rows)) << llvm::toString(rows.takeError());
  EXPECT_FALSE(rows->text);
  EXPECT_EQ(rows->data, "x.npy");
  auto text = fromFlag("data", "text(other.txt)");
  ASSERT_TRUE(bool(text)) << llvm::toString(text.takeError());
  EXPECT_TRUE(text->text);
  EXPECT_EQ(text->data, "other.txt");
}

TEST(TrainSettings, BadValuesNameTheSettingAndWhatItMustBe) {
  auto flag = fromFlag("optimizer", "adagrad");
  ASSERT_FALSE(bool(flag));
  EXPECT_EQ(llvm::toString(flag.takeError()),
            "error: --optimizer adagrad: must be sgd, momentum, nesterov, adam "
            "or adamw");
  auto precision = fromFlag("precision", "fp8");
  ASSERT_FALSE(bool(precision));
  EXPECT_EQ(llvm::toString(precision.takeError()),
            "error: --precision fp8: must be f32, bf16 or f16");
  auto lr = fromFlag("lr", "-1");
  ASSERT_FALSE(bool(lr));
  EXPECT_EQ(llvm::toString(lr.takeError()),
            "error: --lr -1: must be a positive number");

  auto block = fromBlock("batch = 2.5");
  ASSERT_FALSE(bool(block));
  EXPECT_NE(llvm::toString(block.takeError())
                .find("m.nb:6:11: error: 'batch' must be an integer from 1 to "
                      "16777216"),
            std::string::npos);
  auto split = fromBlock("split = 1");
  ASSERT_FALSE(bool(split));
  EXPECT_NE(llvm::toString(split.takeError())
                .find("'split' must be a number in [0, 1)"),
            std::string::npos);
  auto unknown = fromBlock("epoch = 3");
  ASSERT_FALSE(bool(unknown));
  EXPECT_NE(llvm::toString(unknown.takeError())
                .find("m.nb:6:3: error: unknown train setting 'epoch'"),
            std::string::npos);
  // A flag's spelling is not a train block's.
  auto dashed = fromBlock("clip-norm = 1");
  ASSERT_FALSE(bool(dashed));
}

} // namespace
