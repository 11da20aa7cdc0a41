//===- TrainSettings.cpp - Every training setting, once -------------------===//
#include "tools/nablac/TrainSettings.h"

#include "tools/nablac/TrainCommand.h"

#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace nabla::tools {

namespace {

using Type = TrainSetting::Type;
using Problem = std::optional<std::string>; // what a bad value must be

template <typename T> using Field = T &(*)(TrainConfig &);

/// 0.001, 1e-08, -1: as a user would write it.
std::string show(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

/// A float setting; `ok` says whether a value is allowed, `must` what it
/// must be otherwise.
TrainSetting number(const char *name, const char *help, Field<double> field,
                    bool (*ok)(double) = nullptr,
                    const char *must = "a number") {
  return {name,
          Type::Number,
          "X",
          help,
          [=](TrainConfig &c, llvm::StringRef text) -> Problem {
            double v;
            if (text.trim().getAsDouble(v) || !std::isfinite(v) ||
                (ok && !ok(v)))
              return std::string(must);
            field(c) = v;
            return std::nullopt;
          },
          [=](const TrainConfig &c) {
            return show(field(const_cast<TrainConfig &>(c)));
          }};
}

TrainSetting integer(const char *name, const char *value, const char *help,
                     Field<int64_t> field, int64_t min, const char *must,
                     int64_t max = std::numeric_limits<int64_t>::max()) {
  return {name,
          Type::Integer,
          value,
          help,
          [=](TrainConfig &c, llvm::StringRef text) -> Problem {
            int64_t v;
            if (text.trim().getAsInteger(10, v) || v < min || v > max)
              return std::string(must);
            field(c) = v;
            return std::nullopt;
          },
          [=](const TrainConfig &c) {
            return std::to_string(field(const_cast<TrainConfig &>(c)));
          }};
}

/// A switch: `--NAME` alone, `--NAME=false`, or `NAME = true` in a block.
TrainSetting boolean(const char *name, const char *help, Field<bool> field) {
  return {name,
          Type::Switch,
          "",
          help,
          [=](TrainConfig &c, llvm::StringRef text) -> Problem {
            if (text != "true" && text != "false")
              return std::string("true or false");
            field(c) = text == "true";
            return std::nullopt;
          },
          [=](const TrainConfig &c) {
            return std::string(field(const_cast<TrainConfig &>(c)) ? "true"
                                                                   : "false");
          }};
}

TrainSetting path(const char *name, const char *value, const char *help,
                  Field<std::string> field) {
  return {name,
          Type::Path,
          value,
          help,
          [=](TrainConfig &c, llvm::StringRef text) -> Problem {
            field(c) = text.str();
            return std::nullopt;
          },
          [=](const TrainConfig &c) {
            return field(const_cast<TrainConfig &>(c));
          }};
}

/// A choice among `names`, stored as text.
TrainSetting choice(const char *name, const char *help,
                    std::vector<std::string> names, Field<std::string> field) {
  std::string must;
  for (size_t i = 0; i < names.size(); ++i)
    must += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return {name,
          Type::Text,
          llvm::join(names, "|"),
          help,
          [=](TrainConfig &c, llvm::StringRef text) -> Problem {
            if (!llvm::is_contained(names, text))
              return must;
            field(c) = text.str();
            return std::nullopt;
          },
          [=](const TrainConfig &c) {
            return field(const_cast<TrainConfig &>(c));
          }};
}

/// A choice among the names of an enum's table (Enums.h).
template <typename E, size_t N>
TrainSetting enumChoice(const char *name, const char *help,
                        const EnumName<E> (&table)[N], Field<E> field) {
  std::vector<std::string> names;
  for (const EnumName<E> &entry : table)
    names.push_back(entry.name);
  return {name,
          Type::Text,
          llvm::join(names, "|"),
          help,
          [=, &table](TrainConfig &c, llvm::StringRef text) -> Problem {
            auto value = parseEnum(table, text);
            if (!value)
              return enumChoices(table);
            field(c) = *value;
            return std::nullopt;
          },
          [=, &table](const TrainConfig &c) {
            return enumName(table, field(const_cast<TrainConfig &>(c))).str();
          }};
}

// Bounds that keep batch x accumulate (rows a step reads) far from
// overflowing; either is beyond any data set a step can hold in memory.
constexpr int64_t kMaxBatch = int64_t(1) << 24;
constexpr int64_t kMaxAccumulate = int64_t(1) << 16;

bool positive(double v) { return v > 0; }
bool nonNegative(double v) { return v >= 0; }
bool fraction(double v) { return v >= 0 && v < 1; }

std::vector<TrainSetting> makeTable() {
  using C = TrainConfig;
  std::vector<TrainSetting> t;
  // Data.
  t.push_back(path("data", "FILE",
                   "Training data: FILE.csv[.gz], IDX images, FILE.npy (with "
                   "labels) or FILE.npz (arrays named as the model's inputs, "
                   "or x and y)",
                   [](C &c) -> std::string & { return c.data; }));
  t.push_back(path("labels", "FILE", "Targets for IDX images or .npy features",
                   [](C &c) -> std::string & { return c.labels; }));
  t.push_back(path("test_data", "FILE", "Held-out data (instead of split)",
                   [](C &c) -> std::string & { return c.testData; }));
  t.push_back(path("test_labels", "FILE", "Targets of the held-out data",
                   [](C &c) -> std::string & { return c.testLabels; }));
  t.push_back(choice("header",
                     "A CSV file's first line is a header (column names): "
                     "auto (when none of its fields is a number), yes or no",
                     {"auto", "yes", "no"},
                     [](C &c) -> std::string & { return c.header; }));
  t.push_back(integer(
      "classes", "N", "Number of classes (0: from the model's cross_entropy)",
      [](C &c) -> int64_t & { return c.classes; }, 0,
      "a non-negative integer"));
  t.push_back(number(
      "split", "Fraction held out for evaluation",
      [](C &c) -> double & { return c.split; }, fraction,
      "a number in [0, 1)"));
  t.push_back(boolean("shuffle",
                      "Visit the training rows in a new seeded order each "
                      "epoch (false: in the data's order, as a DataLoader "
                      "with shuffle=False)",
                      [](C &c) -> bool & { return c.shuffle; }));
  t.push_back(choice("scale", "Feature scaling",
                     {"none", "standardize", "minmax", "divide"},
                     [](C &c) -> std::string & { return c.scale; }));
  t.push_back(number(
      "divisor", "Divisor for scale = divide",
      [](C &c) -> double & { return c.divisor; }, positive,
      "a positive number"));
  t.push_back({"augment", Type::Text, "LIST|hflip",
               "Random changes to training images: random_crop(padding = "
               "P), hflip (a list in a train block)",
               [](C &c, llvm::StringRef text) -> Problem {
                 if (auto problem = Augmentation::parse(text, c.augment))
                   return problem;
                 c.augmentText = text.str();
                 return std::nullopt;
               },
               [](const C &c) {
                 return c.augmentText.empty() ? std::string("none")
                                              : c.augmentText;
               }});
  // The loop.
  t.push_back(integer(
      "epochs", "E", "Epochs", [](C &c) -> int64_t & { return c.epochs; }, 0,
      "a non-negative integer"));
  t.push_back(integer(
      "batch", "B", "Batch size", [](C &c) -> int64_t & { return c.batch; }, 1,
      "an integer from 1 to 16777216", kMaxBatch));
  t.push_back(boolean("drop_last",
                      "Leave out the rows after the last full batch of each "
                      "epoch (default: they make one smaller step, as a "
                      "DataLoader with drop_last=False; with accumulate > 1 "
                      "they are always left out)",
                      [](C &c) -> bool & { return c.dropLast; }));
  t.push_back(integer(
      "max_steps", "N", "Stop after this many steps (-1: all)",
      [](C &c) -> int64_t & { return c.maxSteps; }, -1,
      "an integer of at least -1"));
  t.push_back(integer(
      "seed", "N", "Seed of the initial parameters and the shuffling",
      [](C &c) -> int64_t & { return c.seed; }, 0, "a non-negative integer"));
  // The step: the optimizer (torch.optim's), clipping, precision.
  t.push_back(enumChoice<Optimizer>(
      "optimizer", "The optimizer", kOptimizerNames,
      [](C &c) -> Optimizer & { return c.train.step.optimizer; }));
  t.push_back(number(
      "lr", "Learning rate", [](C &c) -> double & { return c.train.lr; },
      positive, "a positive number"));
  t.push_back(
      choice("lr_schedule",
             "The learning rate over the run, as torch.optim.lr_scheduler's "
             "stepped once per step: constant, step (StepLR), multistep, "
             "exponential, cosine (to 0 at the last step) or onecycle "
             "(OneCycleLR, lr the peak)",
             LrSchedule::kinds(),
             [](C &c) -> std::string & { return c.schedule.kind; }));
  t.push_back(integer(
      "warmup", "K",
      "Steps of linear learning-rate warm-up (lr (t + 1) / K before step "
      "t < K) before the schedule",
      [](C &c) -> int64_t & { return c.schedule.warmup; }, 0,
      "a non-negative integer"));
  t.push_back(number(
      "lr_gamma", "The factor of lr_schedule = step, multistep and exponential",
      [](C &c) -> double & { return c.schedule.gamma; }, positive,
      "a positive number"));
  t.push_back(integer(
      "lr_step_size", "K", "lr_schedule = step: steps between decays",
      [](C &c) -> int64_t & { return c.schedule.stepSize; }, 0,
      "a non-negative integer"));
  t.push_back({"lr_milestones", Type::Text, "K1,K2,...",
               "lr_schedule = multistep: the steps where the rate is "
               "multiplied by lr_gamma (a list in a train block)",
               [](C &c, llvm::StringRef text) -> Problem {
                 auto steps = parseMilestones(text);
                 if (!steps)
                   return std::string("increasing positive step counts");
                 c.schedule.milestones = *steps;
                 return std::nullopt;
               },
               [](const C &c) {
                 std::vector<std::string> steps;
                 for (int64_t s : c.schedule.milestones)
                   steps.push_back(std::to_string(s));
                 return llvm::join(steps, ",");
               }});
  t.push_back(number(
      "momentum", "Momentum (momentum, nesterov)",
      [](C &c) -> double & { return c.train.step.momentum; }, nonNegative,
      "a non-negative number"));
  t.push_back(number(
      "beta1", "Adam's beta1",
      [](C &c) -> double & { return c.train.step.beta1; }, fraction,
      "a number in [0, 1)"));
  t.push_back(number(
      "beta2", "Adam's beta2",
      [](C &c) -> double & { return c.train.step.beta2; }, fraction,
      "a number in [0, 1)"));
  t.push_back(number(
      "eps", "Adam's epsilon",
      [](C &c) -> double & { return c.train.step.eps; }, nonNegative,
      "a non-negative number"));
  TrainSetting decay = number(
      "weight_decay", "Weight decay (-1: 0, or 0.01 for adamw)",
      [](C &c) -> double & { return c.train.step.weightDecay; },
      [](double v) { return v >= 0 || v == -1; },
      "a non-negative number (or -1: the optimizer's default)");
  t.push_back(decay);
  t.push_back(number(
      "clip_norm", "Clip the global gradient norm to X (0: off)",
      [](C &c) -> double & { return c.train.step.clipNorm; }, nonNegative,
      "a non-negative number"));
  t.push_back(number(
      "clip_value", "Clip each gradient element to [-X, X] (0: off)",
      [](C &c) -> double & { return c.train.step.clipValue; }, nonNegative,
      "a non-negative number"));
  t.push_back(integer(
      "accumulate", "K", "Micro-batches per optimizer step",
      [](C &c) -> int64_t & { return c.train.step.accumulate; }, 1,
      "an integer from 1 to 65536", kMaxAccumulate));
  t.push_back(number(
      "bucket_cap_mb",
      "Data parallel (mpirun) on the CPU: MiB of gradients the step "
      "averages at a time, each bucket as soon as the backward pass has "
      "made it (as torch DDP's bucket_cap_mb); 0: one average after the "
      "backward pass",
      [](C &c) -> double & { return c.bucketCapMb; },
      [](double v) { return v >= 0 && v <= 1048576; },
      "a number of MiB from 0 to 1048576"));
  t.push_back(boolean(
      "allreduce_bf16",
      "Data parallel (mpirun) on the CPU: average the gradients in bf16, "
      "half the bytes (each gradient and its mean rounded to bf16, as torch "
      "DDP's bf16_compress_hook); the loss and state stay f32",
      [](C &c) -> bool & { return c.train.step.allReduceBF16; }));
  t.push_back(enumChoice<Precision>(
      "precision",
      "What matmuls and elementwise ops compute in (f32 "
      "master weights)",
      kPrecisionNames, [](C &c) -> Precision & { return c.train.precision; }));
  t.push_back({"loss_scale", Type::Text, "none|dynamic|X",
               "Loss scaling: none, dynamic (GradScaler's) or a factor",
               [](C &c, llvm::StringRef text) -> Problem {
                 auto scaler = LossScaler::parse(text);
                 if (!scaler) {
                   llvm::consumeError(scaler.takeError());
                   return std::string("none, dynamic or a positive number");
                 }
                 c.train.lossScale = *scaler;
                 return std::nullopt;
               },
               [](const C &c) {
                 return c.train.lossScale.enabled() ? std::string("dynamic")
                                                    : std::string("none");
               }});
  // Diagnostics and files.
  t.push_back(boolean(
      "check_numerics",
      "On a NaN or infinity, stop and name the op and line that made it",
      [](C &c) -> bool & { return c.train.checkNumerics; }));
  TrainSetting onNonFinite = choice(
      "on_nonfinite",
      "What a NaN or infinity does: stop (and name the op) or skip "
      "the step (implies check_numerics)",
      {"stop", "skip"}, [](C &c) -> std::string & { return c.onNonFinite; });
  auto setChoice = onNonFinite.set;
  onNonFinite.set = [setChoice](C &c, llvm::StringRef text) -> Problem {
    c.train.checkNumerics = true;
    return setChoice(c, text);
  };
  t.push_back(onNonFinite);
  t.push_back(integer(
      "grad_report", "K",
      "Print the gradient norm of every layer every K steps "
      "(0: never)",
      [](C &c) -> int64_t & { return c.gradReportEvery; }, 0,
      "a non-negative integer"));
  t.push_back(path("checkpoint", "PATH",
                   "Write a checkpoint after each epoch (train); read it "
                   "(eval, sample)",
                   [](C &c) -> std::string & { return c.checkpoint; }));
  t.push_back(path("resume", "PATH", "Continue training from a checkpoint",
                   [](C &c) -> std::string & { return c.resume; }));
  t.push_back(path("init_from", "PATH",
                   "Start from a checkpoint's weights with a fresh optimizer "
                   "at step 0 (fine-tuning; --resume continues a run)",
                   [](C &c) -> std::string & { return c.initFrom; }));
  t.push_back(integer(
      "patience", "E",
      "Early stopping: stop when the held-out loss has not improved for E "
      "epochs (0: never)",
      [](C &c) -> int64_t & { return c.patience; }, 0,
      "a non-negative integer"));
  t.push_back(path("metrics", "FILE", "Append one JSON line per epoch to FILE",
                   [](C &c) -> std::string & { return c.metrics; }));
  t.push_back(path("log_dir", "DIR",
                   "Write per-step and per-epoch CSV logs and run.svg to DIR",
                   [](C &c) -> std::string & { return c.logDir; }));
  return t;
}

} // namespace

std::string TrainSetting::flag() const {
  std::string f = name;
  std::replace(f.begin(), f.end(), '_', '-');
  return f;
}

llvm::ArrayRef<TrainSetting> trainSettings() {
  static const std::vector<TrainSetting> table = makeTable();
  return table;
}

const TrainSetting *findTrainSetting(llvm::StringRef name) {
  for (const TrainSetting &s : trainSettings())
    if (s.name == name || s.flag() == name)
      return &s;
  return nullptr;
}

} // namespace nabla::tools
