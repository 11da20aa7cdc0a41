//===- Data.h - Training data: CSV, .npy and IDX files ----------*- C++ -*-===//
//
// A Dataset is two tensors with the same number of rows: features [N, F]
// (f32) and targets: class labels [N] (i32) or regression targets [N, T]
// (f32). Readers report malformed files as errors that name the file and
// the row (1-based line) or field, never by crashing.
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_RUNTIME_DATA_H
#define NABLA_RUNTIME_DATA_H

#include "nabla/runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nabla {

struct Dataset {
  Tensor features; // [N, F], f32
  Tensor targets;  // [N] i32 class labels, or [N, T] f32
  int64_t getNumRows() const {
    return features.getRank() ? features.getShape()[0] : 0;
  }
};

struct CsvOptions {
  /// Which column holds the target: -1 is the last one. The other columns
  /// are features.
  int64_t targetColumn = -1;
  /// Targets are integer class labels (i32) in [0, numClasses) when
  /// numClasses > 0 (checked); otherwise f32 regression targets [N, 1].
  int64_t numClasses = 0;
  /// Whether the first line is a header (column names) to skip. Auto:
  /// when none of its fields is a number (so a data row with one bad field
  /// is still reported as an error, naming it). No: every line is data.
  enum class Header { Auto, Yes, No };
  Header header = Header::Auto;
};

/// Reads a CSV file of numbers, gzipped or not (detected from the magic
/// bytes, not the name). Errors: wrong column count, a field that is not a
/// number, NaN/infinity, a label that is not an integer or out of range,
/// an empty file, a truncated gzip stream.
llvm::Expected<Dataset> readCsv(llvm::StringRef path, const CsvOptions &options);

/// Reads features and targets from two .npy files (features [N, ...] are
/// flattened to [N, F]; targets [N] integers become i32 labels (range
/// checked when numClasses > 0), float targets become [N, T] f32).
llvm::Expected<Dataset> readNpyDataset(llvm::StringRef featuresPath,
                                       llvm::StringRef targetsPath,
                                       int64_t numClasses);

/// Reads features and targets from one .npz archive: the arrays named as
/// the model's inputs (`featuresName`, `targetsName`), else x and y; then
/// as readNpyDataset.
llvm::Expected<Dataset> readNpzDataset(llvm::StringRef path,
                                       llvm::StringRef featuresName,
                                       llvm::StringRef targetsName,
                                       int64_t numClasses);

/// Reads an IDX pair (MNIST / Fashion-MNIST format, gzipped or not):
/// images (magic 0x00000803, [N, R, C] u8) become features [N, R*C] f32 in
/// 0..255; labels (magic 0x00000801, [N] u8) become i32.
llvm::Expected<Dataset> readIdx(llvm::StringRef imagesPath,
                                llvm::StringRef labelsPath);

/// Reads a text file (gzipped or not) as a language-modelling data set
/// of bytes: row i is the window of `seq` bytes starting at i * seq
/// (features, i32 [N, seq], values 0..255) and the `seq` bytes after each
/// one (targets: the next byte). The windows follow one another, so every
/// byte but the last is predicted once; N = (size - 1) / seq, and a file
/// shorter than seq + 1 bytes is an error naming both sizes. A directory
/// is its regular files (not links, not `.dat` indexes) in name order, one
/// after another (Debian's fortunes: /usr/share/games/fortunes).
llvm::Expected<Dataset> readText(llvm::StringRef path, int64_t seq);

/// Rows in a seeded random order split into (train, test): the test set
/// gets round(testFraction * N) rows. Same seed, same split.
std::pair<Dataset, Dataset> splitDataset(const Dataset &data,
                                         double testFraction, uint64_t seed);

/// Feature scaling, fitted on one set and applied to others.
struct Scaler {
  enum class Kind { None, Standardize, MinMax, Divide };
  Kind kind = Kind::None;
  double divisor = 1;              // for Divide
  std::vector<double> shift, scale; // per feature: x' = (x - shift) / scale
  /// Fits per-feature statistics on `data` (constant features get scale 1).
  static Scaler fit(Kind kind, const Dataset &data, double divisor = 1);
  void apply(Dataset &data) const;
};

/// Random changes to training images, as torchvision's RandomCrop(size,
/// padding) and RandomHorizontalFlip(): each image of a batch is shifted
/// by (dy, dx), both uniform in [-padding, padding], the uncovered border
/// filled with 0 (a crop of the zero-padded image), then mirrored left to
/// right with probability 1/2. Drawn from a seed, so a run (and a resumed
/// run) sees the same images.
struct Augmentation {
  int64_t cropPadding = 0; // 0: no crop
  bool hflip = false;
  bool enabled() const { return cropPadding > 0 || hflip; }
  /// Parses "random_crop(padding=2),hflip" (random_crop(2) also); on a
  /// bad text, returns what it must be.
  static std::optional<std::string> parse(llvm::StringRef text,
                                          Augmentation &out);
  /// Augments each row of `rows` ([B, C*H*W] f32), an image of
  /// `imageShape` ([C, H, W] or [H, W]).
  void apply(Tensor &rows, llvm::ArrayRef<int64_t> imageShape,
             uint64_t seed) const;
};

/// Yields fixed-size batches (the model's shapes are static): the rows in
/// a seeded random order (a new order per epoch) or in file order; a last
/// partial batch is dropped.
class BatchIterator {
public:
  /// With `partial`, the rows after the last full batch are one more,
  /// smaller batch (a DataLoader with drop_last=False); without, they are
  /// left out of the epoch.
  BatchIterator(const Dataset &data, int64_t batchSize, bool shuffle,
                uint64_t seed, int64_t epoch, bool partial = false);
  /// Fills `features` and `targets` (allocated by the iterator on first
  /// use) with the next batch; false when the epoch is over.
  bool next(Tensor &features, Tensor &targets);
  int64_t getNumBatches() const;

private:
  const Dataset &data;
  int64_t batchSize;
  bool partial;
  std::vector<int64_t> order;
  int64_t position = 0;
};

} // namespace nabla

#endif // NABLA_RUNTIME_DATA_H
