//===- Data.cpp - Training data: CSV, .npy and IDX files ------------------===//
//
// Every reader loads the whole file into memory (inflating it first when it
// starts with the gzip magic bytes 1f 8b), parses it in one pass and builds
// the tensors. Malformed input is an llvm::Error naming the file and, for
// text, the 1-based line and field.
//
//===----------------------------------------------------------------------===//
#include "nabla/runtime/Data.h"
#include "nabla/runtime/Files.h"
#include "nabla/support/Error.h"

#include "nabla/runtime/Init.h"
#include "nabla/runtime/Npy.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <zlib.h>

#include <algorithm>
#include <cassert>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

using llvm::StringRef;
using llvm::Twine;

namespace nabla {

//===----------------------------------------------------------------------===//
// Files, plain or gzipped
//===----------------------------------------------------------------------===//

namespace {
/// The bytes of a file: the mapped file itself, or its inflated contents.
struct FileBytes {
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  std::string inflated;
  StringRef bytes;
};
} // namespace

static bool isGzip(StringRef bytes) {
  return bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1f &&
         static_cast<uint8_t>(bytes[1]) == 0x8b;
}

/// Inflates a gzip stream (one or more members, as gzip allows) into `out`.
static llvm::Error gunzip(StringRef in, StringRef path, std::string &out) {
  auto corrupt = [&] {
    return makeError(path + ": corrupt or truncated gzip data");
  };
  // The last member's trailer holds its size mod 2^32: a good first guess.
  // A corrupt trailer must not make us allocate gigabytes up front.
  size_t guess = in.size() * 4;
  if (in.size() >= 18) {
    const auto *t = reinterpret_cast<const uint8_t *>(in.data() + in.size() - 4);
    size_t isize = t[0] | (t[1] << 8) | (t[2] << 16) | (size_t(t[3]) << 24);
    guess = std::max(guess, std::min(isize, in.size() * 64));
  }
  out.clear();
  out.resize(std::max<size_t>(guess, 4096));

  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    return makeError(path + ": cannot initialize zlib");
  size_t produced = 0;
  const uint8_t *next = reinterpret_cast<const uint8_t *>(in.data());
  size_t left = in.size();
  while (true) {
    if (produced == out.size())
      out.resize(out.size() * 2);
    // zlib counts in uInt: feed and drain at most 1 GiB per call.
    size_t inChunk = std::min<size_t>(left, size_t(1) << 30);
    size_t outChunk = std::min<size_t>(out.size() - produced, size_t(1) << 30);
    zs.next_in = const_cast<Bytef *>(next);
    zs.avail_in = static_cast<uInt>(inChunk);
    zs.next_out = reinterpret_cast<Bytef *>(&out[produced]);
    zs.avail_out = static_cast<uInt>(outChunk);
    int rc = inflate(&zs, Z_NO_FLUSH);
    size_t consumed = inChunk - zs.avail_in;
    next += consumed;
    left -= consumed;
    produced += outChunk - zs.avail_out;
    if (rc == Z_STREAM_END) {
      // Another member may follow; trailing zero padding is ignored, as
      // gzip does. Anything else after the stream is corruption.
      StringRef rest(reinterpret_cast<const char *>(next), left);
      if (isGzip(rest)) {
        inflateReset(&zs);
        continue;
      }
      bool zeros = llvm::all_of(rest, [](char c) { return c == 0; });
      inflateEnd(&zs);
      if (!zeros)
        return corrupt();
      out.resize(produced);
      return llvm::Error::success();
    }
    if (rc == Z_OK)
      continue;
    // Z_BUF_ERROR with room to write means the input ran out mid-stream.
    if (rc == Z_BUF_ERROR && zs.avail_out == 0)
      continue;
    inflateEnd(&zs);
    if (rc == Z_MEM_ERROR)
      return makeError(path + ": out of memory while inflating gzip data");
    return corrupt();
  }
}

static llvm::Expected<FileBytes> loadFile(StringRef path) {
  auto buffer = readRegularFile(path);
  if (!buffer)
    return makeError(path +
                     ": cannot read: " + llvm::toString(buffer.takeError()));
  FileBytes file;
  file.buffer = std::move(*buffer);
  StringRef raw = file.buffer->getBuffer();
  if (!isGzip(raw)) {
    file.bytes = raw;
    return std::move(file);
  }
  if (llvm::Error e = gunzip(raw, path, file.inflated))
    return std::move(e);
  file.buffer.reset();
  file.bytes = file.inflated;
  return std::move(file);
}

//===----------------------------------------------------------------------===//
// Text
//===----------------------------------------------------------------------===//

llvm::Expected<Dataset> readText(StringRef path, int64_t seq) {
  if (seq < 1)
    return makeError(path +
                     ": text windows need a length of at least 1, "
                     "got " +
                     llvm::Twine(seq));
  std::string corpus;
  if (llvm::sys::fs::is_directory(path)) {
    // A directory: its files in name order, one after another. Links are
    // skipped (fortune's `art.u8 -> art`), and so are `.dat` files
    // (fortune's binary indexes).
    std::vector<std::string> names;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(path, ec, /*follow=*/false), end;
         !ec && it != end; it.increment(ec))
      if (it->type() == llvm::sys::fs::file_type::regular_file &&
          !StringRef(it->path()).ends_with(".dat"))
        names.push_back(it->path());
    if (ec)
      return makeError(path + ": cannot list: " + ec.message());
    llvm::sort(names);
    for (const std::string &name : names) {
      auto file = loadFile(name);
      if (!file)
        return file.takeError();
      corpus += file->bytes;
    }
  } else {
    auto file = loadFile(path);
    if (!file)
      return file.takeError();
    corpus = file->bytes.str();
  }
  StringRef bytes = corpus;
  int64_t size = static_cast<int64_t>(bytes.size());
  if (size < seq + 1)
    return makeError(path + ": " + llvm::Twine(size) +
                     " bytes of text, but a window of " + llvm::Twine(seq) +
                     " bytes and the byte after it need " +
                     llvm::Twine(seq + 1));
  int64_t n = (size - 1) / seq;
  Dataset data;
  data.features = Tensor(ElementType::I32, {n, seq});
  data.targets = Tensor(ElementType::I32, {n, seq});
  auto *x = static_cast<int32_t *>(data.features.data());
  auto *y = static_cast<int32_t *>(data.targets.data());
  const auto *b = reinterpret_cast<const unsigned char *>(bytes.data());
  for (int64_t i = 0; i < n * seq; ++i) {
    x[i] = b[i];
    y[i] = b[i + 1];
  }
  return std::move(data);
}

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

static bool isBlank(char c) { return c == ' ' || c == '\t'; }

/// Parses a whole field (already trimmed) as a double. Plain integers, the
/// bulk of most data sets, take a fast path.
static bool parseNumber(const char *begin, const char *end, double &value) {
  const char *p = begin;
  bool negative = false;
  if (p != end && (*p == '-' || *p == '+')) {
    negative = *p == '-';
    ++p;
  }
  if (p == end)
    return false;
  if (end - p <= 15) {
    int64_t v = 0;
    const char *q = p;
    while (q != end && *q >= '0' && *q <= '9')
      v = v * 10 + (*q++ - '0');
    if (q == end) {
      value = negative ? -double(v) : double(v);
      return true;
    }
  }
  // from_chars takes no '+' and (with `general`) no hex: exactly the
  // decimal and scientific forms, plus inf/infinity/nan.
  if (*p == '+' || *p == '-')
    return false;
  double v;
  auto [ptr, ec] = std::from_chars(p, end, v, std::chars_format::general);
  if (ptr != end)
    return false;
  if (ec == std::errc::result_out_of_range) {
    // Rare: let strtod decide between overflow (inf) and underflow (0).
    std::string copy(p, end);
    v = std::strtod(copy.c_str(), nullptr);
  } else if (ec != std::errc()) {
    return false;
  }
  value = negative ? -v : v;
  return true;
}

/// Formats a number for messages: whole numbers without a fraction.
static std::string numberText(double v) {
  if (std::fabs(v) < 1e15 && v == std::trunc(v))
    return std::to_string(static_cast<int64_t>(v));
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.9g", v);
  return buffer;
}

/// Whether the first line [begin, end) is a header under `mode`.
static bool isHeader(const char *begin, const char *end,
                     CsvOptions::Header mode) {
  if (mode != CsvOptions::Header::Auto)
    return mode == CsvOptions::Header::Yes;
  llvm::SmallVector<StringRef> fields;
  StringRef(begin, end - begin).split(fields, ',');
  for (StringRef field : fields) {
    field = field.trim(" \t");
    double value;
    if (field.empty() ||
        parseNumber(field.data(), field.data() + field.size(), value))
      return false;
  }
  return true;
}

llvm::Expected<Dataset> readCsv(StringRef path, const CsvOptions &options) {
  auto file = loadFile(path);
  if (!file)
    return file.takeError();
  StringRef text = file->bytes;
  if (text.starts_with("\xEF\xBB\xBF")) // a UTF-8 byte order mark
    text = text.drop_front(3);

  int64_t numColumns = -1, targetColumn = -1, numFeatures = 0;
  bool labels = options.numClasses > 0;
  std::vector<float> features, targets;
  std::vector<int32_t> classes;
  int64_t rows = 0;
  // A blank line is fine only at the end of the file: remember the first
  // one and complain if a data row follows it.
  int64_t blankLine = 0;

  const char *p = text.data();
  const char *end = p + text.size();
  for (int64_t line = 1; p < end; ++line) {
    const char *eol =
        static_cast<const char *>(std::memchr(p, '\n', end - p));
    if (!eol)
      eol = end;
    const char *lineBegin = p;
    const char *lineEnd = eol;
    p = eol == end ? end : eol + 1;
    if (lineEnd != lineBegin && lineEnd[-1] == '\r')
      --lineEnd;
    if (line == 1 && isHeader(lineBegin, lineEnd, options.header))
      continue;
    bool blank = std::all_of(lineBegin, lineEnd, isBlank);
    if (blank) {
      if (!blankLine)
        blankLine = line;
      continue;
    }
    if (blankLine)
      return makeError(path + ":" + Twine(blankLine) + ": blank line");

    auto countFields = [&] {
      return 1 + std::count(lineBegin, lineEnd, ',');
    };
    if (numColumns < 0) {
      numColumns = countFields();
      targetColumn = options.targetColumn < 0
                         ? numColumns + options.targetColumn
                         : options.targetColumn;
      if (numColumns < 2)
        return makeError(
            path + ":" + Twine(line) +
            ": expected at least 2 fields (features and a target), "
            "found " +
            Twine(numColumns));
      if (targetColumn < 0 || targetColumn >= numColumns)
        return makeError(path + ": target column " +
                         Twine(options.targetColumn) + " is out of range for " +
                         Twine(numColumns) + " columns");
      numFeatures = numColumns - 1;
      // Guess the row count from the line count to avoid regrowing.
      size_t lines = std::count(lineBegin, end, '\n') + 1;
      features.reserve(lines * numFeatures);
      if (labels)
        classes.reserve(lines);
      else
        targets.reserve(lines);
    }
    // A row with the wrong number of fields is reported as such, even when
    // one of its fields is also bad.
    auto rowError = [&](const Twine &message) {
      int64_t fields = countFields();
      if (fields != numColumns)
        return makeError(path + ":" + Twine(line) + ": expected " +
                         Twine(numColumns) + " fields, found " + Twine(fields));
      return makeError(path + ":" + Twine(line) + ": " + message);
    };

    const char *f = lineBegin;
    for (int64_t column = 0;; ++column) {
      if (column == numColumns)
        return rowError("");
      // Fast path, one scan: [blanks][sign]digits[blanks] then ',' or the
      // end of the line. Anything else goes through parseNumber.
      const char *b = f;
      while (b != lineEnd && isBlank(*b))
        ++b;
      const char *q = b;
      bool negative = false;
      if (q != lineEnd && (*q == '-' || *q == '+')) {
        negative = *q == '-';
        ++q;
      }
      const char *digits = q;
      int64_t whole = 0;
      while (q != lineEnd && static_cast<unsigned>(*q - '0') < 10 &&
             q - digits < 15)
        whole = whole * 10 + (*q++ - '0');
      const char *e = q;
      while (q != lineEnd && isBlank(*q))
        ++q;
      double value;
      bool last;
      if (e != digits && (q == lineEnd || *q == ',')) {
        value = negative ? -double(whole) : double(whole);
        last = q == lineEnd;
        f = last ? lineEnd : q + 1;
      } else {
        const char *comma =
            static_cast<const char *>(std::memchr(b, ',', lineEnd - b));
        e = comma ? comma : lineEnd;
        while (e != b && isBlank(e[-1]))
          --e;
        last = !comma;
        f = comma ? comma + 1 : lineEnd;
        if (!parseNumber(b, e, value))
          return rowError("field " + Twine(column + 1) +
                          " is not a number: '" + StringRef(b, e - b) + "'");
        if (!std::isfinite(value))
          return rowError("field " + Twine(column + 1) + " is NaN/infinite");
      }
      StringRef fieldText(b, e - b);
      if (column == targetColumn && labels) {
        if (value != std::trunc(value))
          return rowError("label " + fieldText + " is not a whole number");
        if (value < 0 || value >= double(options.numClasses))
          return rowError("label " + numberText(value) +
                          " is out of range [0, " + Twine(options.numClasses) +
                          ")");
        classes.push_back(static_cast<int32_t>(value));
      } else {
        if (std::fabs(value) > FLT_MAX)
          return rowError("field " + Twine(column + 1) +
                          " is out of range for f32: '" + fieldText + "'");
        if (column == targetColumn)
          targets.push_back(static_cast<float>(value));
        else
          features.push_back(static_cast<float>(value));
      }
      if (last) {
        if (column + 1 != numColumns)
          return rowError("");
        break;
      }
    }
    ++rows;
  }
  if (rows == 0)
    return makeError(path + ": no data rows");

  Dataset data;
  data.features = Tensor(ElementType::F32, {rows, numFeatures});
  std::memcpy(data.features.data(), features.data(),
              features.size() * sizeof(float));
  if (labels) {
    data.targets = Tensor(ElementType::I32, {rows});
    std::memcpy(data.targets.data(), classes.data(),
                classes.size() * sizeof(int32_t));
  } else {
    data.targets = Tensor(ElementType::F32, {rows, 1});
    std::memcpy(data.targets.data(), targets.data(),
                targets.size() * sizeof(float));
  }
  return std::move(data);
}

//===----------------------------------------------------------------------===//
// .npy pairs
//===----------------------------------------------------------------------===//

static llvm::Expected<Tensor> loadNpy(StringRef path) {
  auto file = loadFile(path);
  if (!file)
    return file.takeError();
  return parseNpy(file->bytes, path);
}

static bool isInteger(ElementType type) {
  return type == ElementType::I32 || type == ElementType::I1;
}

/// Rejects NaN and infinity in a float tensor, naming the flat index.
static llvm::Error checkFinite(const Tensor &t, StringRef path) {
  if (t.getElementType() != ElementType::F32)
    return llvm::Error::success();
  const float *v = static_cast<const float *>(t.data());
  for (int64_t i = 0, n = t.getNumElements(); i < n; ++i)
    if (!std::isfinite(v[i]))
      return makeError(path + ": element " + Twine(i) + " is NaN/infinite");
  return llvm::Error::success();
}

/// Features and targets as training data (readNpyDataset's checks and
/// conversions), taking their bytes where it can; the paths name them in
/// errors.
static llvm::Expected<Dataset>
arraysToDataset(Tensor *features, StringRef featuresPath, Tensor *targets,
                StringRef targetsPath, int64_t numClasses);

llvm::Expected<Dataset> readNpyDataset(StringRef featuresPath,
                                       StringRef targetsPath,
                                       int64_t numClasses) {
  auto features = loadNpy(featuresPath);
  if (!features)
    return features.takeError();
  auto targets = loadNpy(targetsPath);
  if (!targets)
    return targets.takeError();
  return arraysToDataset(&*features, featuresPath, &*targets, targetsPath,
                         numClasses);
}

llvm::Expected<Dataset> readNpzDataset(StringRef path, StringRef featuresName,
                                       StringRef targetsName,
                                       int64_t numClasses) {
  auto arrays = readNpz(path);
  if (!arrays)
    return arrays.takeError();
  std::vector<std::string> names;
  for (const auto &[name, array] : *arrays)
    names.push_back(name);
  // By the model's names, else x and y.
  auto pick = [&](StringRef name, StringRef fallback) -> Tensor * {
    for (StringRef n : {name, fallback}) {
      auto it = arrays->find(n.str());
      if (it != arrays->end())
        return &it->second;
    }
    return nullptr;
  };
  Tensor *features = pick(featuresName, "x"), *targets = pick(targetsName, "y");
  if (!features || !targets)
    return makeError(path +
                     ": the arrays of a .npz are found by the model's "
                     "input names ('" +
                     featuresName + "', '" + targetsName +
                     "') or as x and y; it holds " + llvm::join(names, ", "));
  std::string fPath = (path + ":" + featuresName).str();
  std::string tPath = (path + ":" + targetsName).str();
  return arraysToDataset(features, fPath, targets, tPath, numClasses);
}

static llvm::Expected<Dataset>
arraysToDataset(Tensor *features, StringRef featuresPath, Tensor *targets,
                StringRef targetsPath, int64_t numClasses) {
  if (features->getRank() < 1)
    return makeError(featuresPath +
                     ": features must have at least one dimension (the rows), "
                     "found a scalar");
  if (targets->getRank() < 1 || targets->getRank() > 2)
    return makeError(targetsPath + ": targets must be [N] or [N, T], found " +
                     targets->typeString());
  int64_t rows = features->getShape()[0];
  int64_t targetRows = targets->getShape()[0];
  if (rows != targetRows)
    return makeError("row counts differ: " + featuresPath + " has " +
                     Twine(rows) + " rows, " + targetsPath + " has " +
                     Twine(targetRows));
  if (rows == 0)
    return makeError(featuresPath + ": no data rows");

  Dataset data;
  // Features flattened to [N, F]: integers (token ids) as i32, anything
  // else as f32.
  int64_t width = features->getNumElements() / rows;
  ElementType featureType = isInteger(features->getElementType())
                                ? ElementType::I32
                                : ElementType::F32;
  // The arrays are consumed: their bytes become the data set's where the
  // type already matches, so that a large data set is held once.
  data.features =
      std::move(*features).convertTo(featureType).reshaped({rows, width});
  if (llvm::Error e = checkFinite(data.features, featuresPath))
    return std::move(e);

  // Targets: integer vectors are class labels; with numClasses > 0 the
  // targets must be labels ([N] or [N, 1], whole numbers in range).
  bool vector = targets->getRank() == 1 || targets->getShape()[1] == 1;
  bool asLabels = (isInteger(targets->getElementType()) &&
                   targets->getRank() == 1) ||
                  (numClasses > 0 && vector);
  // Integer [N, T] targets are a label per position (the next token of
  // each), as text data's are.
  if (isInteger(targets->getElementType()) && !vector) {
    data.targets = targets->convertTo(ElementType::I32);
    std::string bound = numClasses > 0 ? std::to_string(numClasses) : "...";
    for (int64_t i = 0, n = data.targets.getNumElements(); i < n; ++i)
      if (double v = data.targets.get(i);
          v < 0 || (numClasses > 0 && v >= double(numClasses)))
        return makeError(targetsPath + ": label " + numberText(v) +
                         " at index " + Twine(i) + " is out of range [0, " +
                         bound + ")");
    return std::move(data);
  }
  if (numClasses > 0 && !vector)
    return makeError(targetsPath +
                     ": class labels must be [N] (or integer [N, T], a label "
                     "per position), found " +
                     targets->typeString());
  if (asLabels) {
    Tensor labels(ElementType::I32, {rows});
    for (int64_t i = 0; i < rows; ++i) {
      double v = targets->get(i);
      if (!std::isfinite(v) || v != std::trunc(v))
        return makeError(targetsPath + ": label " + numberText(v) +
                         " at index " + Twine(i) + " is not a whole number");
      if (numClasses > 0 && (v < 0 || v >= double(numClasses)))
        return makeError(targetsPath + ": label " + numberText(v) +
                         " at index " + Twine(i) + " is out of range [0, " +
                         Twine(numClasses) + ")");
      labels.set(i, v);
    }
    data.targets = std::move(labels);
  } else {
    int64_t t = targets->getRank() == 2 ? targets->getShape()[1] : 1;
    data.targets =
        std::move(*targets).convertTo(ElementType::F32).reshaped({rows, t});
    if (llvm::Error e = checkFinite(data.targets, targetsPath))
      return std::move(e);
  }
  return std::move(data);
}

//===----------------------------------------------------------------------===//
// IDX (MNIST)
//===----------------------------------------------------------------------===//

static uint32_t bigEndian32(const char *p) {
  const auto *b = reinterpret_cast<const uint8_t *>(p);
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) |
         (uint32_t(b[2]) << 8) | uint32_t(b[3]);
}

/// Checks an IDX header (magic, dimensions, data length) and returns the
/// dimensions; `data` is set to the bytes after the header.
static llvm::Expected<std::vector<int64_t>>
parseIdxHeader(StringRef bytes, StringRef path, uint32_t magic,
               StringRef what, StringRef &data) {
  if (bytes.size() < 4)
    return makeError(path + ": not an IDX " + what +
                     " file: it is truncated (" + Twine(bytes.size()) +
                     " bytes)");
  uint32_t found = bigEndian32(bytes.data());
  if (found != magic) {
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "magic 0x%08x, expected 0x%08x",
                  found, magic);
    return makeError(path + ": not an IDX " + what + " file: " + buffer);
  }
  unsigned rank = magic & 0xff;
  size_t headerSize = 4 + 4 * size_t(rank);
  if (bytes.size() < headerSize)
    return makeError(path + ": truncated IDX header: expected " +
                     Twine(headerSize) + " bytes, found " +
                     Twine(bytes.size()));
  std::vector<int64_t> dims;
  uint64_t count = 1;
  for (unsigned i = 0; i < rank; ++i) {
    uint32_t d = bigEndian32(bytes.data() + 4 + 4 * i);
    if (i > 0 && d == 0)
      return makeError(path + ": dimension " + Twine(i) + " is 0");
    dims.push_back(d);
    count *= d;
    if (count > (uint64_t(1) << 40))
      return makeError(path + ": dimensions are too large");
  }
  data = bytes.drop_front(headerSize);
  if (data.size() < count)
    return makeError(path + ": truncated: expected " + Twine(count) +
                     " bytes of data, found " + Twine(data.size()));
  if (data.size() > count)
    return makeError(path + ": " + Twine(data.size() - count) +
                     " extra bytes after the data");
  return std::move(dims);
}

llvm::Expected<Dataset> readIdx(StringRef imagesPath, StringRef labelsPath) {
  auto images = loadFile(imagesPath);
  if (!images)
    return images.takeError();
  auto labels = loadFile(labelsPath);
  if (!labels)
    return labels.takeError();

  StringRef pixels, classes;
  auto imageDims = parseIdxHeader(images->bytes, imagesPath, 0x00000803,
                                  "images", pixels);
  if (!imageDims)
    return imageDims.takeError();
  auto labelDims = parseIdxHeader(labels->bytes, labelsPath, 0x00000801,
                                  "labels", classes);
  if (!labelDims)
    return labelDims.takeError();

  int64_t rows = (*imageDims)[0];
  if ((*labelDims)[0] != rows)
    return makeError("counts differ: " + imagesPath + " has " + Twine(rows) +
                     " images, " + labelsPath + " has " +
                     Twine((*labelDims)[0]) + " labels");
  if (rows == 0)
    return makeError(imagesPath + ": no images");

  int64_t width = (*imageDims)[1] * (*imageDims)[2];
  Dataset data;
  data.features = Tensor(ElementType::F32, {rows, width});
  float *f = static_cast<float *>(data.features.data());
  const auto *px = reinterpret_cast<const uint8_t *>(pixels.data());
  for (int64_t i = 0, n = rows * width; i < n; ++i)
    f[i] = px[i];
  data.targets = Tensor(ElementType::I32, {rows});
  int32_t *t = static_cast<int32_t *>(data.targets.data());
  const auto *lb = reinterpret_cast<const uint8_t *>(classes.data());
  for (int64_t i = 0; i < rows; ++i)
    t[i] = lb[i];
  return std::move(data);
}

//===----------------------------------------------------------------------===//
// Splits and batches
//===----------------------------------------------------------------------===//

/// 0..n-1 shuffled by Fisher-Yates under `seed`.
static std::vector<int64_t> permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i)
    order[i] = i;
  Rng rng(seed);
  for (int64_t i = n - 1; i > 0; --i) {
    int64_t j = static_cast<int64_t>(rng.uniform() * double(i + 1));
    std::swap(order[i], order[std::min(j, i)]);
  }
  return order;
}

/// Bytes of one row (dimension 0) of `t`.
static size_t rowBytes(const Tensor &t) {
  int64_t rows = t.getRank() ? t.getShape()[0] : 0;
  return rows ? t.sizeInBytes() / rows : 0;
}

/// Rows `indices` of `t`, in that order.
static Tensor gatherRows(const Tensor &t, llvm::ArrayRef<int64_t> indices) {
  std::vector<int64_t> shape = t.getShape();
  if (shape.empty())
    return t;
  shape[0] = static_cast<int64_t>(indices.size());
  Tensor out(t.getElementType(), shape);
  size_t row = rowBytes(t);
  const char *src = static_cast<const char *>(t.data());
  char *dst = static_cast<char *>(out.data());
  for (int64_t i : indices) {
    std::memcpy(dst, src + i * row, row);
    dst += row;
  }
  return out;
}

std::pair<Dataset, Dataset> splitDataset(const Dataset &data,
                                         double testFraction, uint64_t seed) {
  int64_t n = data.getNumRows();
  double fraction = std::clamp(testFraction, 0.0, 1.0);
  int64_t numTest = std::min<int64_t>(n, std::llround(fraction * double(n)));
  std::vector<int64_t> order = permutation(n, streamSeed(seed, "split"));
  llvm::ArrayRef<int64_t> all(order);
  llvm::ArrayRef<int64_t> test = all.take_front(numTest);
  llvm::ArrayRef<int64_t> train = all.drop_front(numTest);
  Dataset trainSet{gatherRows(data.features, train),
                   gatherRows(data.targets, train)};
  Dataset testSet{gatherRows(data.features, test),
                  gatherRows(data.targets, test)};
  return {std::move(trainSet), std::move(testSet)};
}

Scaler Scaler::fit(Kind kind, const Dataset &data, double divisor) {
  Scaler s;
  s.kind = kind;
  s.divisor = divisor;
  if (kind == Kind::None || data.features.getRank() != 2)
    return s;
  int64_t n = data.features.getShape()[0];
  int64_t width = data.features.getShape()[1];
  s.shift.assign(width, 0.0);
  s.scale.assign(width, 1.0);
  if (kind == Kind::Divide) {
    if (divisor != 0)
      s.scale.assign(width, divisor);
    return s;
  }
  if (n == 0)
    return s;
  std::vector<double> x = data.features.toDoubles();
  for (int64_t j = 0; j < width; ++j) {
    if (kind == Kind::MinMax) {
      double lo = x[j], hi = x[j];
      for (int64_t i = 1; i < n; ++i) {
        lo = std::min(lo, x[i * width + j]);
        hi = std::max(hi, x[i * width + j]);
      }
      s.shift[j] = lo;
      s.scale[j] = hi > lo ? hi - lo : 1.0;
      continue;
    }
    // Standardize: two passes for accuracy; population standard deviation.
    double sum = 0;
    for (int64_t i = 0; i < n; ++i)
      sum += x[i * width + j];
    double mean = sum / double(n);
    double squares = 0;
    for (int64_t i = 0; i < n; ++i) {
      double d = x[i * width + j] - mean;
      squares += d * d;
    }
    double std = std::sqrt(squares / double(n));
    s.shift[j] = mean;
    s.scale[j] = std > 0 ? std : 1.0;
  }
  return s;
}

void Scaler::apply(Dataset &data) const {
  if (kind == Kind::None || data.features.getRank() != 2)
    return;
  int64_t n = data.features.getShape()[0];
  int64_t width = data.features.getShape()[1];
  Tensor &t = data.features;
  if (t.getElementType() != ElementType::F32)
    t = t.convertTo(ElementType::F32);
  float *x = static_cast<float *>(t.data());
  if (kind == Kind::Divide) {
    double d = divisor != 0 ? divisor : 1.0;
    for (int64_t i = 0, e = n * width; i < e; ++i)
      x[i] = static_cast<float>(x[i] / d);
    return;
  }
  assert(static_cast<int64_t>(shift.size()) == width &&
         static_cast<int64_t>(scale.size()) == width &&
         "the scaler was fitted on data with another number of features");
  if (static_cast<int64_t>(shift.size()) != width ||
      static_cast<int64_t>(scale.size()) != width)
    return;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < width; ++j) {
      float &v = x[i * width + j];
      v = static_cast<float>((double(v) - shift[j]) / scale[j]);
    }
}

BatchIterator::BatchIterator(const Dataset &data, int64_t batchSize,
                             bool shuffle, uint64_t seed, int64_t epoch,
                             bool partial)
    : data(data), batchSize(batchSize), partial(partial) {
  int64_t n = data.getNumRows();
  if (shuffle) {
    order = permutation(n, streamSeed(seed, "epoch:" + std::to_string(epoch)));
  } else {
    order.resize(n);
    for (int64_t i = 0; i < n; ++i)
      order[i] = i;
  }
}

int64_t BatchIterator::getNumBatches() const {
  if (batchSize <= 0)
    return 0;
  int64_t n = static_cast<int64_t>(order.size());
  return n / batchSize + (partial && n % batchSize != 0);
}

/// Makes `t` a zero-filled tensor of `type` and `shape` unless it is one.
static void ensureShape(Tensor &t, ElementType type,
                        const std::vector<int64_t> &shape) {
  if (t.getElementType() != type || t.getShape() != shape)
    t = Tensor(type, shape);
}

bool BatchIterator::next(Tensor &features, Tensor &targets) {
  int64_t n = static_cast<int64_t>(order.size());
  int64_t size = std::min(batchSize, n - position);
  if (batchSize <= 0 || size <= 0 || (size < batchSize && !partial))
    return false;
  llvm::ArrayRef<int64_t> rows =
      llvm::ArrayRef<int64_t>(order).slice(position, size);
  position += size;
  auto copyRows = [&](const Tensor &source, Tensor &batch) {
    if (source.getRank() == 0)
      return;
    std::vector<int64_t> shape = source.getShape();
    shape[0] = size;
    ensureShape(batch, source.getElementType(), shape);
    size_t row = rowBytes(source);
    const char *src = static_cast<const char *>(source.data());
    char *dst = static_cast<char *>(batch.data());
    for (int64_t i : rows) {
      std::memcpy(dst, src + i * row, row);
      dst += row;
    }
  };
  copyRows(data.features, features);
  copyRows(data.targets, targets);
  return true;
}

} // namespace nabla

//===----------------------------------------------------------------------===//
// Augmentation
//===----------------------------------------------------------------------===//

namespace nabla {

std::optional<std::string> Augmentation::parse(llvm::StringRef text,
                                               Augmentation &out) {
  const char *expected = "a list of hflip and random_crop(padding = P) with "
                         "P an integer in [1, 64]";
  out = Augmentation();
  llvm::SmallVector<llvm::StringRef> items;
  std::string compact;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c)))
      compact += c;
  llvm::StringRef rest(compact);
  rest.consume_front("[");
  rest.consume_back("]");
  // Split at the commas outside parentheses.
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= rest.size(); ++i) {
    if (i == rest.size() || (rest[i] == ',' && depth == 0)) {
      items.push_back(rest.slice(start, i));
      start = i + 1;
    } else if (rest[i] == '(') {
      ++depth;
    } else if (rest[i] == ')') {
      --depth;
    }
  }
  for (llvm::StringRef item : items) {
    if (item == "hflip" || item == "hflip()") {
      out.hflip = true;
      continue;
    }
    if (!item.consume_front("random_crop(") || !item.consume_back(")"))
      return std::string(expected);
    item.consume_front("padding=");
    int64_t padding = 0;
    if (item.getAsInteger(10, padding) || padding < 1 || padding > 64)
      return std::string(expected);
    out.cropPadding = padding;
  }
  return std::nullopt;
}

void Augmentation::apply(Tensor &rows, llvm::ArrayRef<int64_t> imageShape,
                         uint64_t seed) const {
  int64_t height = imageShape[imageShape.size() - 2];
  int64_t width = imageShape.back();
  int64_t channels = imageShape.size() > 2 ? imageShape[0] : 1;
  int64_t n = rows.getShape()[0], plane = height * width;
  float *data = static_cast<float *>(rows.data());
  std::vector<float> image(channels * plane);
  Rng rng(seed);
  for (int64_t r = 0; r < n; ++r) {
    int64_t span = 2 * cropPadding + 1;
    int64_t dy = int64_t(rng.uniform() * double(span)) - cropPadding;
    int64_t dx = int64_t(rng.uniform() * double(span)) - cropPadding;
    bool flip = hflip && rng.uniform() < 0.5;
    float *row = data + r * channels * plane;
    std::copy(row, row + channels * plane, image.begin());
    // out[y, x] = in[y + dy, x' + dx], x' = x or its mirror; 0 outside.
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t y = 0; y < height; ++y)
        for (int64_t x = 0; x < width; ++x) {
          int64_t sy = y + dy, sx = (flip ? width - 1 - x : x) + dx;
          bool inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
          row[c * plane + y * width + x] =
              inside ? image[c * plane + sy * width + sx] : 0.0f;
        }
  }
}

} // namespace nabla
