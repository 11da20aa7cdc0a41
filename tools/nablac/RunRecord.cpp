//===- RunRecord.cpp - What a checkpoint says about its run ---------------===//
#include "tools/nablac/RunRecord.h"
#include "nabla/Version.h"
#include "nabla/support/Error.h"
#include "tools/nablac/TrainCommand.h"
#include "tools/nablac/TrainSettings.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/SHA256.h"

#include <cmath>
#include <cstring>

namespace nabla::tools {

namespace {

/// The settings a recorded run's data comes from: which rows, which are
/// held out, how they are scaled. The rest (lr, epochs, ...) are recorded
/// for the user's eyes and for reproducing the run.
constexpr const char *kDataSettings[] = {"data",        "labels",  "test_data",
                                         "test_labels", "classes", "split",
                                         "seed",        "scale",   "divisor"};

const char *kindName(Scaler::Kind kind) {
  switch (kind) {
  case Scaler::Kind::Standardize:
    return "standardize";
  case Scaler::Kind::MinMax:
    return "minmax";
  case Scaler::Kind::Divide:
    return "divide";
  case Scaler::Kind::None:
    break;
  }
  return "none";
}

std::optional<Scaler::Kind> parseKind(llvm::StringRef name) {
  for (Scaler::Kind k : {Scaler::Kind::None, Scaler::Kind::Standardize,
                         Scaler::Kind::MinMax, Scaler::Kind::Divide})
    if (name == kindName(k))
      return k;
  return std::nullopt;
}

Tensor toTensor(const std::vector<double> &values) {
  Tensor t(ElementType::F64, {int64_t(values.size())});
  std::memcpy(t.data(), values.data(), values.size() * sizeof(double));
  return t;
}

/// `t`'s values in another shape of as many elements.
Tensor reshaped(const Tensor &t, std::vector<int64_t> shape) {
  Tensor r(t.getElementType(), std::move(shape));
  std::memcpy(r.data(), t.data(), t.sizeInBytes());
  return r;
}

std::string show(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

} // namespace

std::string nablaVersion() {
  return std::string(NABLA_VERSION) + " (" + NABLA_COMMIT + ")";
}

namespace {
std::string sourceHash(const Source &source) {
  return llvm::toHex(
      llvm::SHA256::hash(llvm::arrayRefFromStringRef(source.getText())),
      /*LowerCase=*/true);
}
} // namespace

void recordRun(Checkpoint &c, const Source &source, const TrainConfig &config,
               const RunFacts &facts) {
  c.metadata["nabla_version"] = nablaVersion();
  c.metadata["llvm_version"] = LLVM_VERSION_STRING;
  c.metadata["source_file"] = source.getName().str();
  c.metadata["source_sha256"] = sourceHash(source);
  // The run's settings; not the files this invocation wrote or read, nor
  // where it stopped: a resumed run records what an uninterrupted one does.
  for (const TrainSetting &s : trainSettings())
    if (!llvm::is_contained(
            {"checkpoint", "resume", "metrics", "log_dir", "max_steps"},
            s.name))
      c.metadata["train." + s.name] = s.get(config);
  c.metadata["train.data_kind"] = config.text ? "text" : "rows";
  c.metadata["features_input"] = facts.features;
  c.metadata["targets_input"] = facts.targets;
  c.metadata["classes"] = std::to_string(facts.classes);
  c.metadata["held_out"] =
      !config.testData.empty() ? "the rows of test_data"
      : config.split > 0
          ? "round(" + llvm::formatv("{0}", config.split).str() +
                " x rows) of data, the first of a permutation seeded by " +
                std::to_string(config.seed) + " (splitDataset)"
          : "none";
  c.metadata["preprocess"] = kindName(facts.scaler.kind);
  c.metadata["preprocess_divisor"] = show(facts.scaler.divisor);
  if (!facts.scaler.shift.empty()) {
    c.tensors["preprocess:shift"] = toTensor(facts.scaler.shift);
    c.tensors["preprocess:scale"] = toTensor(facts.scaler.scale);
  }
}

llvm::Expected<RecordedRun> readRunRecord(const Checkpoint &c,
                                          llvm::StringRef path) {
  RecordedRun run;
  auto meta = [&](llvm::StringRef key) -> std::string {
    auto it = c.metadata.find(key.str());
    return it == c.metadata.end() ? "" : it->second;
  };
  run.present = c.metadata.count("nabla_version") > 0;
  if (!run.present)
    return run;
  auto bad = [&](const llvm::Twine &what) {
    return makeError("error: " + path +
                     ": the checkpoint's record of its run " +
                     "is damaged: " + what);
  };
  for (const auto &[key, value] : c.metadata)
    if (llvm::StringRef(key).starts_with("train."))
      run.settings[key.substr(6)] = value;
  run.text = meta("train.data_kind") == "text";
  run.sourceHash = meta("source_sha256");
  run.model = meta("model");
  run.facts.features = meta("features_input");
  run.facts.targets = meta("targets_input");
  if (llvm::StringRef(meta("classes")).getAsInteger(10, run.facts.classes) ||
      run.facts.classes < 0)
    return bad("classes = '" + meta("classes") + "'");
  auto kind = parseKind(meta("preprocess"));
  if (!kind)
    return bad("preprocess = '" + meta("preprocess") + "'");
  Scaler &s = run.facts.scaler;
  s.kind = *kind;
  if (llvm::StringRef(meta("preprocess_divisor")).getAsDouble(s.divisor) ||
      !(s.divisor > 0))
    return bad("preprocess_divisor = '" + meta("preprocess_divisor") + "'");
  auto shift = c.tensors.find("preprocess:shift");
  auto scale = c.tensors.find("preprocess:scale");
  if (shift != c.tensors.end() || scale != c.tensors.end()) {
    if (shift == c.tensors.end() || scale == c.tensors.end() ||
        shift->second.getShape() != scale->second.getShape() ||
        shift->second.getRank() != 1)
      return bad("preprocess:shift and preprocess:scale must be two vectors "
                 "of one length");
    s.shift = shift->second.toDoubles();
    s.scale = scale->second.toDoubles();
    for (double v : s.scale)
      if (!(v > 0) || !std::isfinite(v))
        return bad("a scale of preprocess:scale is " + show(v));
  }
  return run;
}

llvm::Expected<TrainedCheckpoint>
readTrainedCheckpoint(llvm::StringRef path, const Source &source,
                      llvm::StringRef withoutRecord, llvm::raw_ostream &notes) {
  auto checkpoint = readCheckpoint(path);
  if (!checkpoint)
    return checkpoint.takeError();
  auto run = readRunRecord(*checkpoint, path);
  if (!run)
    return run.takeError();
  if (!run->present && !withoutRecord.empty())
    notes << "note: " << path
          << " records no training run (an older nablac wrote it): "
          << withoutRecord << "\n";
  noteChangedSource(*run, source, path, notes);
  return TrainedCheckpoint{std::move(*checkpoint), std::move(*run)};
}

void adoptRecordedData(
    const RecordedRun &run, TrainConfig &config,
    llvm::ArrayRef<std::pair<std::string, std::string>> flags,
    llvm::raw_ostream &notes) {
  auto flagged = [&](llvm::StringRef name) {
    const TrainSetting *setting = findTrainSetting(name);
    for (const auto &[flag, value] : flags)
      if (findTrainSetting(flag) == setting)
        return true;
    return false;
  };
  for (const char *name : kDataSettings) {
    auto recorded = run.settings.find(name);
    if (recorded == run.settings.end())
      continue;
    const TrainSetting *setting = findTrainSetting(name);
    std::string current = setting->get(config);
    if (!flagged(name)) {
      if (llvm::StringRef(name) == "data")
        config.text = run.text;
      (void)setting->set(config, recorded->second);
      continue;
    }
    if (current == recorded->second)
      continue;
    if (llvm::StringRef(name) == "seed") {
      // The seed chose the held-out rows: another would evaluate on rows
      // the run trained on.
      notes << "note: --seed " << current
            << " is not used: the held-out rows are those the checkpoint's "
               "run held out (seed "
            << recorded->second << ")\n";
      (void)setting->set(config, recorded->second);
      continue;
    }
    notes << "note: --" << setting->flag() << " " << current
          << " differs from the checkpoint's run (" << name << " = "
          << (recorded->second.empty() ? "none" : recorded->second)
          << "); using --" << setting->flag() << "\n";
  }
}

void noteChangedSource(const RecordedRun &run, const Source &source,
                       llvm::StringRef checkpointPath,
                       llvm::raw_ostream &notes) {
  if (run.present && run.sourceHash != sourceHash(source))
    notes << "note: " << source.getName() << " has changed since "
          << checkpointPath
          << " was trained with it (its weights still fit the model's "
             "shapes)\n";
}

llvm::Error applyScaler(const Scaler &scaler, Tensor &t,
                        llvm::StringRef inputName) {
  if (scaler.kind == Scaler::Kind::None)
    return llvm::Error::success();
  int64_t rows = t.getRank() ? t.getShape()[0] : 1;
  int64_t width = rows ? t.getNumElements() / rows : 0;
  if (!scaler.shift.empty() && int64_t(scaler.shift.size()) != width)
    return makeError("error: input '" + inputName + "' has " +
                     llvm::Twine(width) +
                     " values per row, but the "
                     "checkpoint's scaling was fitted on " +
                     llvm::Twine(scaler.shift.size()));
  std::vector<int64_t> shape = t.getShape();
  Dataset d{reshaped(t, {rows, width}), Tensor()};
  scaler.apply(d);
  t = reshaped(d.features, shape);
  return llvm::Error::success();
}

} // namespace nabla::tools
