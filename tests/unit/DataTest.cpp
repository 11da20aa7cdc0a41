//===- DataTest.cpp - CSV, .npy and IDX readers, splits, scalers, batches -===//
#include "nabla/runtime/Data.h"
#include "nabla/runtime/Init.h"
#include "nabla/runtime/Npy.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <set>
#include <tuple>

using namespace nabla;

namespace {

/// Each test gets a fresh directory for its files, removed afterwards.
class DataTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("nabla-data", dir));
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  std::string path(llvm::StringRef name) const {
    llvm::SmallString<128> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }

  std::string write(llvm::StringRef name, llvm::StringRef bytes) const {
    std::string p = path(name);
    std::error_code ec;
    llvm::raw_fd_ostream os(p, ec, llvm::sys::fs::OF_None);
    EXPECT_FALSE(ec) << ec.message();
    os << bytes;
    return p;
  }

  std::string writeGz(llvm::StringRef name, llvm::StringRef bytes) const {
    std::string p = path(name);
    gzFile gz = gzopen(p.c_str(), "wb");
    EXPECT_NE(gz, nullptr);
    if (!bytes.empty()) {
      EXPECT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())),
                static_cast<int>(bytes.size()));
    }
    EXPECT_EQ(gzclose(gz), Z_OK);
    return p;
  }

  static std::string readBytes(llvm::StringRef p) {
    auto buffer = llvm::MemoryBuffer::getFile(p, false, false);
    EXPECT_TRUE(bool(buffer));
    return buffer ? (*buffer)->getBuffer().str() : std::string();
  }

  llvm::SmallString<128> dir;
};

template <typename T> std::string errorOf(llvm::Expected<T> value) {
  if (value)
    return "(no error)";
  return llvm::toString(value.takeError());
}

template <typename T> T take(llvm::Expected<T> value) {
  if (!value) {
    ADD_FAILURE() << llvm::toString(value.takeError());
    return T();
  }
  return std::move(*value);
}

CsvOptions classes(int64_t n) {
  CsvOptions options;
  options.numClasses = n;
  return options;
}

bool sameTensor(const Tensor &a, const Tensor &b) {
  return a.getElementType() == b.getElementType() &&
         a.getShape() == b.getShape() && a.sizeInBytes() == b.sizeInBytes() &&
         std::memcmp(a.data(), b.data(), a.sizeInBytes()) == 0;
}

/// A dataset whose row i has features {i, 10 i + j...} and label i % k.
Dataset numbered(int64_t n, int64_t width = 3, int64_t k = 4) {
  Dataset d;
  d.features = Tensor(ElementType::F32, {n, width});
  d.targets = Tensor(ElementType::I32, {n});
  for (int64_t i = 0; i < n; ++i) {
    d.features.set(i * width, double(i));
    for (int64_t j = 1; j < width; ++j)
      d.features.set(i * width + j, double(10 * i + j));
    d.targets.set(i, double(i % k));
  }
  return d;
}

const char *kSmallCsv = "1, 2.5 ,-3,0\r\n"
                        "4,5e-1,+6,2\n"
                        "\t7 ,8,9.,1\n"
                        "\n";

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

TEST_F(DataTest, CsvPlainAndGzipAgree) {
  std::string plain = write("small.csv", kSmallCsv);
  std::string gz = writeGz("small.csv.gz", kSmallCsv);
  ASSERT_NE(readBytes(plain), readBytes(gz)); // really compressed
  Dataset a = take(readCsv(plain, classes(3)));
  Dataset b = take(readCsv(gz, classes(3)));
  ASSERT_EQ(a.getNumRows(), 3);
  EXPECT_EQ(a.features.typeString(), "f32[3, 3]");
  EXPECT_EQ(a.targets.typeString(), "i32[3]");
  EXPECT_EQ(a.features.toDoubles(),
            (std::vector<double>{1, 2.5, -3, 4, 0.5, 6, 7, 8, 9}));
  EXPECT_EQ(a.targets.toDoubles(), (std::vector<double>{0, 2, 1}));
  EXPECT_TRUE(sameTensor(a.features, b.features));
  EXPECT_TRUE(sameTensor(a.targets, b.targets));

  // Detection is by content: a plain file named .gz reads as plain text.
  std::string misnamed = write("plain.gz", kSmallCsv);
  Dataset c = take(readCsv(misnamed, classes(3)));
  EXPECT_TRUE(sameTensor(a.features, c.features));

  // A gzip file of several members (as `cat a.gz b.gz` makes) is one file.
  std::string part1 = readBytes(writeGz("p1.gz", "1,2,0\n"));
  std::string part2 = readBytes(writeGz("p2.gz", "3,4,1\n"));
  Dataset d = take(readCsv(write("two.csv.gz", part1 + part2), classes(2)));
  EXPECT_EQ(d.features.toDoubles(), (std::vector<double>{1, 2, 3, 4}));
  EXPECT_EQ(d.targets.toDoubles(), (std::vector<double>{0, 1}));
}

TEST_F(DataTest, CsvTargetsAndHeader) {
  // Regression targets: f32 [N, 1].
  Dataset r = take(readCsv(write("r.csv", "1,2,0.25\n3,4,-1.5"), CsvOptions()));
  EXPECT_EQ(r.targets.typeString(), "f32[2, 1]");
  EXPECT_EQ(r.targets.toDoubles(), (std::vector<double>{0.25, -1.5}));

  // The target in the first column, after a header line.
  CsvOptions options = classes(5);
  options.targetColumn = 0;
  options.header = CsvOptions::Header::Yes;
  Dataset h = take(readCsv(write("h.csv", "label,a,b\n4,10,11\n0,12,13\n"),
                           options));
  EXPECT_EQ(h.features.toDoubles(), (std::vector<double>{10, 11, 12, 13}));
  EXPECT_EQ(h.targets.toDoubles(), (std::vector<double>{4, 0}));

  // header = auto (the default) finds the same header by itself, and
  // reads a file without one from its first line.
  options.header = CsvOptions::Header::Auto;
  Dataset a =
      take(readCsv(write("a.csv", "label,a,b\n4,10,11\n0,12,13\n"), options));
  EXPECT_EQ(a.features.toDoubles(), h.features.toDoubles());
  Dataset none = take(readCsv(write("n.csv", "4,10,11\n"), options));
  EXPECT_EQ(none.getNumRows(), 1);

  // A whole number written with a fraction is a valid label.
  Dataset w = take(readCsv(write("w.csv", "1,2.0\n"), classes(3)));
  EXPECT_EQ(w.targets.toDoubles(), (std::vector<double>{2}));
}

TEST_F(DataTest, CsvErrors) {
  auto error = [&](llvm::StringRef name, llvm::StringRef text,
                   CsvOptions options = classes(10)) {
    return errorOf(readCsv(write(name, text), options));
  };
  std::string p = path("e.csv");
  EXPECT_EQ(error("e.csv", "1,2,3,4\n5,6,7,8\n1,2,3\n"),
            p + ":3: expected 4 fields, found 3");
  EXPECT_EQ(error("e.csv", "1,2,3,4\n5,6,7,8,9\n"),
            p + ":2: expected 4 fields, found 5");
  EXPECT_EQ(error("e.csv", "1,2,3,4\n5,6,abc,8\n"),
            p + ":2: field 3 is not a number: 'abc'");
  EXPECT_EQ(error("e.csv", "1,2,3,4\n5,6,,8\n"),
            p + ":2: field 3 is not a number: ''");
  EXPECT_EQ(error("e.csv", "1,2,3,4\n5,6,0x10,8\n"),
            p + ":2: field 3 is not a number: '0x10'");
  EXPECT_EQ(error("e.csv", "1,2,3,4\n5,6, 1 2 ,8\n"),
            p + ":2: field 3 is not a number: '1 2'");
  EXPECT_EQ(error("e.csv", "1,2,3,4\n5,6,nan,8\n"),
            p + ":2: field 3 is NaN/infinite");
  EXPECT_EQ(error("e.csv", "1,2,3,4\n5,6,-inf,8\n"),
            p + ":2: field 3 is NaN/infinite");
  EXPECT_EQ(error("e.csv", "1,2,3,4\n5,6,1e999,8\n"),
            p + ":2: field 3 is NaN/infinite");
  EXPECT_EQ(error("e.csv", "1,2,3,4\n5,6,1e39,8\n"),
            p + ":2: field 3 is out of range for f32: '1e39'");
  EXPECT_EQ(error("e.csv", "1,2,3,4\n5,6,7,12\n"),
            p + ":2: label 12 is out of range [0, 10)");
  EXPECT_EQ(error("e.csv", "1,2,3,-1\n"),
            p + ":1: label -1 is out of range [0, 10)");
  EXPECT_EQ(error("e.csv", "1,2,3,10\n"),
            p + ":1: label 10 is out of range [0, 10)");
  EXPECT_EQ(error("e.csv", "1,2,3,2.5\n"),
            p + ":1: label 2.5 is not a whole number");
  EXPECT_EQ(error("e.csv", ""), p + ": no data rows");
  EXPECT_EQ(error("e.csv", "\n \n\n"), p + ": no data rows");
  CsvOptions header = classes(10);
  header.header = CsvOptions::Header::Yes;
  EXPECT_EQ(error("e.csv", "a,b,c\n", header), p + ": no data rows");
  // With header = no, a header line is reported, not skipped.
  CsvOptions noHeader = classes(10);
  noHeader.header = CsvOptions::Header::No;
  EXPECT_EQ(error("e.csv", "a,b,label\n1,2,3\n", noHeader),
            p + ":1: field 1 is not a number: 'a'");
  // Auto (the default) skips a first line of names only: a first row
  // with one bad field is an error, not a header.
  EXPECT_EQ(error("e.csv", "1,b,3\n1,2,3\n"),
            p + ":1: field 2 is not a number: 'b'");
  EXPECT_EQ(error("e.csv", "1,2,3\n\n4,5,6\n"), p + ":2: blank line");
  EXPECT_EQ(error("e.csv", "1\n2\n"),
            p + ":1: expected at least 2 fields (features and a target), "
                "found 1");
  CsvOptions column = classes(10);
  column.targetColumn = 5;
  EXPECT_EQ(error("e.csv", "1,2,3\n", column),
            p + ": target column 5 is out of range for 3 columns");

  // Line numbers count every line, the header included, after gunzip too.
  std::string gz = writeGz("e.csv.gz", "h1,h2\n1,2\n3,x\n");
  EXPECT_EQ(errorOf(readCsv(gz, header)), gz + ":3: field 2 is not a number: 'x'");

  std::string missing = path("missing.csv");
  EXPECT_TRUE(llvm::StringRef(errorOf(readCsv(missing, header)))
                  .starts_with(missing + ": cannot read: "));
}

TEST_F(DataTest, CorruptOrTruncatedGzip) {
  std::string text;
  for (int i = 0; i < 2000; ++i)
    text += std::to_string(i) + "," + std::to_string(i * 7 % 13) + ",1\n";
  std::string good = readBytes(writeGz("good.csv.gz", text));
  ASSERT_GT(good.size(), 100u);
  for (size_t keep : {size_t(2), size_t(10), good.size() / 2, good.size() - 4,
                      good.size() - 1}) {
    std::string p = write("cut.csv.gz", llvm::StringRef(good).take_front(keep));
    EXPECT_EQ(errorOf(readCsv(p, classes(2))),
              p + ": corrupt or truncated gzip data")
        << "kept " << keep << " bytes";
  }
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x55;
  std::string p = write("flip.csv.gz", flipped);
  EXPECT_EQ(errorOf(readCsv(p, classes(2))),
            p + ": corrupt or truncated gzip data");
  std::string badCrc = good;
  badCrc[good.size() - 6] ^= 1; // the CRC-32 in the trailer
  p = write("crc.csv.gz", badCrc);
  EXPECT_EQ(errorOf(readCsv(p, classes(2))),
            p + ": corrupt or truncated gzip data");
  p = write("junk.csv.gz", good + "junk");
  EXPECT_EQ(errorOf(readCsv(p, classes(2))),
            p + ": corrupt or truncated gzip data");
  // The untouched file is fine.
  p = write("ok.csv.gz", good);
  EXPECT_EQ(take(readCsv(p, classes(2))).getNumRows(), 2000);
}

TEST_F(DataTest, CsvLargerFile) {
  // Enough rows to exercise buffer growth in gunzip and the row vectors.
  const int rows = 3000, width = 785;
  std::string text;
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < width - 1; ++j)
      text += std::to_string((i * 31 + j * 17) % 256) + ",";
    text += std::to_string(i % 10) + "\n";
  }
  Dataset d = take(readCsv(writeGz("big.csv.gz", text), classes(10)));
  ASSERT_EQ(d.features.typeString(), "f32[3000, 784]");
  const float *f = static_cast<const float *>(d.features.data());
  const int32_t *t = static_cast<const int32_t *>(d.targets.data());
  for (int i = 0; i < rows; i += 97) {
    EXPECT_EQ(t[i], i % 10);
    for (int j = 0; j < width - 1; j += 13)
      ASSERT_EQ(f[i * (width - 1) + j], float((i * 31 + j * 17) % 256));
  }
}

TEST_F(DataTest, DigitsExample) {
  // The test runs from the source root (ctest) or anywhere (by hand).
  llvm::SmallString<256> file(__FILE__);
  llvm::sys::path::remove_filename(file); // tests/unit
  llvm::sys::path::remove_filename(file); // tests
  llvm::sys::path::remove_filename(file); // root
  llvm::sys::path::append(file, "examples", "data", "digits.csv.gz");
  if (!llvm::sys::fs::exists(file))
    file = "examples/data/digits.csv.gz";
  ASSERT_TRUE(llvm::sys::fs::exists(file)) << file.str().str();

  Dataset d = take(readCsv(file, classes(10)));
  ASSERT_EQ(d.features.typeString(), "f32[1797, 64]");
  ASSERT_EQ(d.targets.typeString(), "i32[1797]");

  // The first row, read independently through zlib.
  gzFile gz = gzopen(file.c_str(), "rb");
  ASSERT_NE(gz, nullptr);
  char line[4096];
  ASSERT_NE(gzgets(gz, line, sizeof(line)), nullptr);
  gzclose(gz);
  llvm::SmallVector<llvm::StringRef> fields;
  llvm::StringRef(line).trim().split(fields, ',');
  ASSERT_EQ(fields.size(), 65u);
  for (int j = 0; j < 64; ++j) {
    double v;
    ASSERT_FALSE(fields[j].trim().getAsDouble(v)) << fields[j].str();
    EXPECT_EQ(d.features.get(j), v) << "feature " << j;
  }
  double label;
  ASSERT_FALSE(fields[64].trim().getAsDouble(label));
  EXPECT_EQ(d.targets.get(0), label);

  std::set<int> seen;
  for (int64_t i = 0; i < 1797; ++i) {
    double y = d.targets.get(i);
    ASSERT_GE(y, 0);
    ASSERT_LT(y, 10);
    seen.insert(int(y));
  }
  EXPECT_EQ(seen.size(), 10u);
  double lo = INFINITY, hi = -INFINITY;
  for (double v : d.features.toDoubles()) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, 16);

  // With fewer classes the first out-of-range label is reported.
  std::string error = errorOf(readCsv(file, classes(3)));
  EXPECT_TRUE(llvm::StringRef(error).contains("is out of range [0, 3)"))
      << error;
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

TEST_F(DataTest, NpyPair) {
  const int64_t n = 4;
  Tensor x(ElementType::F32, {n, 2, 3});
  for (int64_t i = 0; i < x.getNumElements(); ++i)
    x.set(i, 0.5 * double(i));
  Tensor y = Tensor::fromDoubles(ElementType::I32, {n}, {3, 0, 2, 1});
  std::string xp = path("x.npy"), yp = path("y.npy");
  ASSERT_FALSE(bool(writeNpy(x, xp)));
  ASSERT_FALSE(bool(writeNpy(y, yp)));

  Dataset d = take(readNpyDataset(xp, yp, 4));
  EXPECT_EQ(d.features.typeString(), "f32[4, 6]");
  EXPECT_EQ(d.targets.typeString(), "i32[4]");
  EXPECT_EQ(d.features.toDoubles(), x.toDoubles());
  EXPECT_EQ(d.targets.toDoubles(), y.toDoubles());
  // numClasses 0: labels are not range checked.
  EXPECT_TRUE(sameTensor(take(readNpyDataset(xp, yp, 0)).targets, d.targets));

  EXPECT_EQ(errorOf(readNpyDataset(xp, yp, 3)),
            yp + ": label 3 at index 0 is out of range [0, 3)");

  // Float targets: regression, [N] -> [N, 1] and [N, T] kept.
  Tensor r = Tensor::fromDoubles(ElementType::F64, {n}, {0.5, 1, 1.5, 2});
  std::string rp = path("r.npy");
  ASSERT_FALSE(bool(writeNpy(r, rp)));
  Dataset reg = take(readNpyDataset(xp, rp, 0));
  EXPECT_EQ(reg.targets.typeString(), "f32[4, 1]");
  EXPECT_EQ(reg.targets.toDoubles(), r.toDoubles());
  Tensor r2(ElementType::F32, {n, 2});
  for (int64_t i = 0; i < 2 * n; ++i)
    r2.set(i, double(i) - 3);
  std::string r2p = path("r2.npy");
  ASSERT_FALSE(bool(writeNpy(r2, r2p)));
  Dataset reg2 = take(readNpyDataset(xp, r2p, 0));
  EXPECT_TRUE(sameTensor(reg2.targets, r2));

  // With numClasses > 0, float targets holding whole numbers are labels.
  Tensor fy = Tensor::fromDoubles(ElementType::F64, {n}, {1, 0, 3, 2});
  std::string fyp = path("fy.npy");
  ASSERT_FALSE(bool(writeNpy(fy, fyp)));
  Dataset fl = take(readNpyDataset(xp, fyp, 4));
  EXPECT_EQ(fl.targets.typeString(), "i32[4]");
  EXPECT_EQ(fl.targets.toDoubles(), fy.toDoubles());
  EXPECT_EQ(errorOf(readNpyDataset(xp, rp, 4)),
            rp + ": label 0.5 at index 0 is not a whole number");
  EXPECT_EQ(errorOf(readNpyDataset(xp, r2p, 4)),
            r2p + ": class labels must be [N] (or integer [N, T], a label "
                  "per position), found f32[4, 2]");

  // 1-D features are one feature per row; integer features (token ids)
  // stay integers.
  Tensor xi = Tensor::fromDoubles(ElementType::I32, {n}, {7, 8, 9, 10});
  std::string xip = path("xi.npy");
  ASSERT_FALSE(bool(writeNpy(xi, xip)));
  Dataset one = take(readNpyDataset(xip, yp, 4));
  EXPECT_EQ(one.features.typeString(), "i32[4, 1]");
  EXPECT_EQ(one.features.toDoubles(), xi.toDoubles());

  // Integer [N, T] targets are a label per position (next-token targets),
  // range checked against numClasses.
  Tensor tokens =
      Tensor::fromDoubles(ElementType::I32, {n, 2}, {1, 2, 3, 0, 255, 4, 5, 6});
  std::string tp = path("tokens.npy");
  ASSERT_FALSE(bool(writeNpy(tokens, tp)));
  Dataset seq = take(readNpyDataset(xip, tp, 256));
  EXPECT_TRUE(sameTensor(seq.targets, tokens));
  EXPECT_EQ(errorOf(readNpyDataset(xip, tp, 10)),
            tp + ": label 255 at index 4 is out of range [0, 10)");
  Tensor negative = tokens;
  negative.set(3, -1);
  ASSERT_FALSE(bool(writeNpy(negative, tp)));
  EXPECT_EQ(errorOf(readNpyDataset(xip, tp, 0)),
            tp + ": label -1 at index 3 is out of range [0, ...)");

  // Row counts must agree.
  Tensor y3 = Tensor::fromDoubles(ElementType::I32, {3}, {0, 1, 2});
  std::string y3p = path("y3.npy");
  ASSERT_FALSE(bool(writeNpy(y3, y3p)));
  EXPECT_EQ(errorOf(readNpyDataset(xp, y3p, 4)),
            "row counts differ: " + xp + " has 4 rows, " + y3p + " has 3");

  // NaN and infinity are named by their flat index.
  Tensor bad = x;
  bad.set(7, NAN);
  std::string bp = path("bad.npy");
  ASSERT_FALSE(bool(writeNpy(bad, bp)));
  EXPECT_EQ(errorOf(readNpyDataset(bp, yp, 4)),
            bp + ": element 7 is NaN/infinite");
  Tensor badY = r;
  badY.set(2, INFINITY);
  std::string byp = path("bady.npy");
  ASSERT_FALSE(bool(writeNpy(badY, byp)));
  EXPECT_EQ(errorOf(readNpyDataset(xp, byp, 0)),
            byp + ": element 2 is NaN/infinite");

  // Gzipped .npy files read too, and errors from readNpy pass through.
  std::string gzp = writeGz("x.npy.gz", readBytes(xp));
  EXPECT_TRUE(sameTensor(take(readNpyDataset(gzp, yp, 4)).features,
                         d.features));
  std::string junk = write("junk.npy", "not numpy");
  EXPECT_TRUE(llvm::StringRef(errorOf(readNpyDataset(junk, yp, 4)))
                  .starts_with(junk + ": not a valid .npy file"));
}

//===----------------------------------------------------------------------===//
// IDX
//===----------------------------------------------------------------------===//

std::string be32(uint32_t v) {
  std::string s(4, '\0');
  s[0] = char(v >> 24);
  s[1] = char(v >> 16);
  s[2] = char(v >> 8);
  s[3] = char(v);
  return s;
}

std::string idxImages(uint32_t n, uint32_t rows, uint32_t cols) {
  std::string s = be32(0x803) + be32(n) + be32(rows) + be32(cols);
  for (uint32_t i = 0; i < n * rows * cols; ++i)
    s += char((i * 37) % 256);
  return s;
}

std::string idxLabels(uint32_t n) {
  std::string s = be32(0x801) + be32(n);
  for (uint32_t i = 0; i < n; ++i)
    s += char(i % 10);
  return s;
}

TEST_F(DataTest, Idx) {
  std::string images = idxImages(5, 3, 2), labels = idxLabels(5);
  std::string ip = write("images-idx3-ubyte", images);
  std::string lp = write("labels-idx1-ubyte", labels);
  Dataset d = take(readIdx(ip, lp));
  ASSERT_EQ(d.features.typeString(), "f32[5, 6]");
  ASSERT_EQ(d.targets.typeString(), "i32[5]");
  for (int64_t i = 0; i < 30; ++i)
    EXPECT_EQ(d.features.get(i), double((i * 37) % 256));
  EXPECT_EQ(d.targets.toDoubles(), (std::vector<double>{0, 1, 2, 3, 4}));

  // Gzipped, as MNIST is distributed.
  Dataset g = take(readIdx(writeGz("i.gz", images), writeGz("l.gz", labels)));
  EXPECT_TRUE(sameTensor(g.features, d.features));
  EXPECT_TRUE(sameTensor(g.targets, d.targets));

  std::string cut = write("cut", llvm::StringRef(images).drop_back(7));
  EXPECT_EQ(errorOf(readIdx(cut, lp)),
            cut + ": truncated: expected 30 bytes of data, found 23");
  std::string header = write("hdr", llvm::StringRef(images).take_front(10));
  EXPECT_EQ(errorOf(readIdx(header, lp)),
            header + ": truncated IDX header: expected 16 bytes, found 10");
  std::string longer = write("long", images + "xy");
  EXPECT_EQ(errorOf(readIdx(longer, lp)),
            longer + ": 2 extra bytes after the data");
  // Swapped arguments: wrong magic numbers.
  EXPECT_EQ(errorOf(readIdx(lp, ip)),
            lp + ": not an IDX images file: magic 0x00000801, expected "
                 "0x00000803");
  EXPECT_EQ(errorOf(readIdx(ip, ip)),
            ip + ": not an IDX labels file: magic 0x00000803, expected "
                 "0x00000801");
  std::string tiny = write("tiny", llvm::StringRef("\0\0", 2));
  EXPECT_EQ(errorOf(readIdx(tiny, lp)),
            tiny + ": not an IDX images file: it is truncated (2 bytes)");
  std::string l4 = write("l4", idxLabels(4));
  EXPECT_EQ(errorOf(readIdx(ip, l4)),
            "counts differ: " + ip + " has 5 images, " + l4 + " has 4 labels");
  std::string cutLabels = write("cutl", llvm::StringRef(labels).drop_back(1));
  EXPECT_EQ(errorOf(readIdx(ip, cutLabels)),
            cutLabels + ": truncated: expected 5 bytes of data, found 4");
}

//===----------------------------------------------------------------------===//
// Splits, scalers and batches
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// Text
//===----------------------------------------------------------------------===//

// "hello, world" (12 bytes) in windows of 4: (12 - 1) / 4 = 2 rows, each
// target the byte after its feature; bytes above 127 stay 128..255.
TEST_F(DataTest, TextWindowsAndNextBytes) {
  std::string text = "hello, world";
  for (const std::string &p :
       {write("t.txt", text), writeGz("t.txt.gz", text)}) {
    Dataset d = take(readText(p, 4));
    ASSERT_EQ(d.features.getShape(), (std::vector<int64_t>{2, 4}));
    ASSERT_EQ(d.targets.getShape(), (std::vector<int64_t>{2, 4}));
    EXPECT_EQ(d.features.getElementType(), ElementType::I32);
    EXPECT_EQ(d.targets.getElementType(), ElementType::I32);
    for (int64_t i = 0; i < 8; ++i) {
      EXPECT_EQ(d.features.get(i), static_cast<unsigned char>(text[i])) << i;
      EXPECT_EQ(d.targets.get(i), static_cast<unsigned char>(text[i + 1])) << i;
    }
  }
  Dataset high = take(readText(write("u.txt", "\xc3\xa9t\xc3\xa9"), 2));
  EXPECT_EQ(high.features.get(0), 0xc3);
  EXPECT_EQ(high.targets.get(0), 0xa9);
}

// A directory is its regular files in name order; links and `.dat`
// files (fortune's indexes) are skipped.
TEST_F(DataTest, TextDirectoryConcatenatesFiles) {
  ASSERT_FALSE(llvm::sys::fs::create_directory(path("corpus")));
  write("corpus/b.txt", "defg");
  write("corpus/a.txt", "abc");
  write("corpus/a.dat", "XXXX");
  ASSERT_FALSE(llvm::sys::fs::create_link(path("corpus/a.txt"),
                                          path("corpus/c.u8")));
  Dataset d = take(readText(path("corpus"), 3));
  ASSERT_EQ(d.features.getShape(), (std::vector<int64_t>{2, 3}));
  std::string seen;
  for (int64_t i = 0; i < 6; ++i)
    seen += static_cast<char>(d.features.get(i));
  EXPECT_EQ(seen, "abcdef");
  EXPECT_EQ(d.targets.get(5), 'g');
}

TEST_F(DataTest, TextTooShortOrMissing) {
  EXPECT_EQ(errorOf(readText(write("s.txt", "abcd"), 4)),
            path("s.txt") + ": 4 bytes of text, but a window of 4 bytes and "
                            "the byte after it need 5");
  EXPECT_NE(
      errorOf(readText(path("none.txt"), 4)).find("none.txt: cannot read"),
      std::string::npos);
  EXPECT_NE(errorOf(readText(write("z.txt", "abcdef"), 0)).find("at least 1"),
            std::string::npos);
}

TEST(DataSplit, SizesDisjointDeterministic) {
  Dataset d = numbered(100);
  auto [train, test] = splitDataset(d, 0.2, 42);
  EXPECT_EQ(train.getNumRows(), 80);
  EXPECT_EQ(test.getNumRows(), 20);
  EXPECT_EQ(train.features.typeString(), "f32[80, 3]");
  EXPECT_EQ(test.targets.typeString(), "i32[20]");

  // Rows are moved whole (features with their target), each exactly once.
  std::set<int64_t> ids;
  for (const Dataset *part : {&train, &test})
    for (int64_t i = 0; i < part->getNumRows(); ++i) {
      int64_t id = int64_t(part->features.get(i * 3));
      EXPECT_EQ(part->features.get(i * 3 + 2), double(10 * id + 2));
      EXPECT_EQ(part->targets.get(i), double(id % 4));
      EXPECT_TRUE(ids.insert(id).second) << "row " << id << " twice";
    }
  EXPECT_EQ(ids.size(), 100u);

  auto [train2, test2] = splitDataset(d, 0.2, 42);
  EXPECT_TRUE(sameTensor(train.features, train2.features));
  EXPECT_TRUE(sameTensor(test.features, test2.features));
  EXPECT_TRUE(sameTensor(test.targets, test2.targets));
  auto [train3, test3] = splitDataset(d, 0.2, 43);
  EXPECT_FALSE(sameTensor(test.features, test3.features));

  // round(f * N), and the extremes.
  EXPECT_EQ(splitDataset(numbered(10), 0.25, 1).second.getNumRows(), 3);
  EXPECT_EQ(splitDataset(numbered(10), 0.24, 1).second.getNumRows(), 2);
  EXPECT_EQ(splitDataset(numbered(10), 0.0, 1).first.getNumRows(), 10);
  EXPECT_EQ(splitDataset(numbered(10), 1.0, 1).second.getNumRows(), 10);
}

TEST(DataScaler, Standardize) {
  const int64_t n = 500, width = 4;
  Dataset d;
  d.features = Tensor(ElementType::F32, {n, width});
  d.targets = Tensor(ElementType::I32, {n});
  Rng rng(7);
  for (int64_t i = 0; i < n; ++i) {
    d.features.set(i * width + 0, 3 + 2 * rng.normal());
    d.features.set(i * width + 1, 1000 + 50 * rng.uniform());
    d.features.set(i * width + 2, 5); // constant
    d.features.set(i * width + 3, -1e-3 * rng.normal());
  }
  Scaler s = Scaler::fit(Scaler::Kind::Standardize, d);
  ASSERT_EQ(s.shift.size(), size_t(width));
  ASSERT_EQ(s.scale.size(), size_t(width));
  EXPECT_EQ(s.shift[2], 5);
  EXPECT_EQ(s.scale[2], 1);

  // The fitted statistics standardize the data exactly (in doubles).
  std::vector<double> x = d.features.toDoubles();
  for (int64_t j : {0, 1, 3}) {
    double sum = 0, squares = 0;
    for (int64_t i = 0; i < n; ++i)
      sum += (x[i * width + j] - s.shift[j]) / s.scale[j];
    double mean = sum / n;
    for (int64_t i = 0; i < n; ++i) {
      double z = (x[i * width + j] - s.shift[j]) / s.scale[j] - mean;
      squares += z * z;
    }
    EXPECT_NEAR(mean, 0, 1e-9) << "column " << j;
    EXPECT_NEAR(std::sqrt(squares / n), 1, 1e-9) << "column " << j;
  }

  // Applied (and rounded to f32), the columns are still standardized.
  Dataset applied = d;
  s.apply(applied);
  std::vector<double> z = applied.features.toDoubles();
  for (int64_t j : {0, 1, 3}) {
    double sum = 0, squares = 0;
    for (int64_t i = 0; i < n; ++i) {
      sum += z[i * width + j];
      squares += z[i * width + j] * z[i * width + j];
    }
    EXPECT_NEAR(sum / n, 0, 1e-6);
    EXPECT_NEAR(std::sqrt(squares / n), 1, 1e-6);
  }
  for (int64_t i = 0; i < n; ++i)
    EXPECT_EQ(z[i * width + 2], 0); // constant column: shifted, not scaled

  // Fitted on one set, applied to another: the first set's statistics.
  Dataset other = numbered(2, width);
  Dataset other2 = other;
  s.apply(other2);
  for (int64_t i = 0; i < 2 * width; ++i)
    EXPECT_FLOAT_EQ(other2.features.get(i),
                    (other.features.get(i) - s.shift[i % width]) /
                        s.scale[i % width]);
}

TEST(DataScaler, MinMaxDivideNone) {
  Dataset d;
  d.features = Tensor::fromDoubles(ElementType::F32, {3, 3},
                                   {-2, 10, 7, 0, 20, 7, 2, 30, 7});
  d.targets = Tensor(ElementType::I32, {3});
  Scaler mm = Scaler::fit(Scaler::Kind::MinMax, d);
  EXPECT_EQ(mm.shift, (std::vector<double>{-2, 10, 7}));
  EXPECT_EQ(mm.scale, (std::vector<double>{4, 20, 1}));
  Dataset a = d;
  mm.apply(a);
  EXPECT_EQ(a.features.toDoubles(),
            (std::vector<double>{0, 0, 0, 0.5, 0.5, 0, 1, 1, 0}));

  Scaler div = Scaler::fit(Scaler::Kind::Divide, d, 255);
  Dataset b = d;
  div.apply(b);
  for (int64_t i = 0; i < 9; ++i)
    EXPECT_FLOAT_EQ(b.features.get(i), d.features.get(i) / 255);

  Scaler none = Scaler::fit(Scaler::Kind::None, d);
  Dataset c = d;
  none.apply(c);
  EXPECT_TRUE(sameTensor(c.features, d.features));
  EXPECT_TRUE(sameTensor(c.targets, d.targets));
}

/// The dataset rows (by their id in feature 0) of one epoch, batch by batch.
std::vector<int64_t> epochRows(const Dataset &d, int64_t batch, bool shuffle,
                               uint64_t seed, int64_t epoch,
                               int64_t *batches = nullptr) {
  BatchIterator it(d, batch, shuffle, seed, epoch);
  Tensor x, y;
  std::vector<int64_t> ids;
  int64_t count = 0;
  while (it.next(x, y)) {
    ++count;
    EXPECT_EQ(x.getShape(), (std::vector<int64_t>{batch, 3}));
    EXPECT_EQ(y.typeString(), d.targets.getRank() == 1
                                  ? "i32[" + std::to_string(batch) + "]"
                                  : "f32[" + std::to_string(batch) + ", 2]");
    for (int64_t i = 0; i < batch; ++i) {
      int64_t id = int64_t(x.get(i * 3));
      EXPECT_EQ(x.get(i * 3 + 1), double(10 * id + 1));
      if (d.targets.getRank() == 1)
        EXPECT_EQ(y.get(i), double(id % 4));
      else
        EXPECT_EQ(y.get(i * 2 + 1), double(-id));
      ids.push_back(id);
    }
  }
  EXPECT_EQ(count, it.getNumBatches());
  EXPECT_FALSE(it.next(x, y)); // stays finished
  if (batches)
    *batches = count;
  return ids;
}

TEST(DataBatches, OrderAndCoverage) {
  Dataset d = numbered(23);
  int64_t batches = 0;

  // In file order: the first 4 * 5 rows, the partial batch dropped.
  std::vector<int64_t> plain = epochRows(d, 5, false, 0, 0, &batches);
  EXPECT_EQ(batches, 4);
  ASSERT_EQ(plain.size(), 20u);
  for (int64_t i = 0; i < 20; ++i)
    EXPECT_EQ(plain[i], i);

  // Shuffled: each row at most once, reproducible, new order per epoch.
  std::vector<int64_t> e0 = epochRows(d, 5, true, 9, 0);
  ASSERT_EQ(e0.size(), 20u);
  EXPECT_EQ(std::set<int64_t>(e0.begin(), e0.end()).size(), 20u);
  EXPECT_EQ(epochRows(d, 5, true, 9, 0), e0);
  std::vector<int64_t> e1 = epochRows(d, 5, true, 9, 1);
  EXPECT_EQ(std::set<int64_t>(e1.begin(), e1.end()).size(), 20u);
  EXPECT_NE(e1, e0);
  EXPECT_NE(epochRows(d, 5, true, 10, 0), e0);
  EXPECT_NE(e0, plain);

  // Over many epochs every row is seen (the dropped rows vary).
  std::set<int64_t> seen;
  for (int64_t epoch = 0; epoch < 20; ++epoch)
    for (int64_t id : epochRows(d, 5, true, 9, epoch))
      seen.insert(id);
  EXPECT_EQ(seen.size(), 23u);

  // Exactly divisible, batch larger than the data, regression targets.
  EXPECT_EQ(epochRows(numbered(20), 5, true, 1, 0).size(), 20u);
  EXPECT_EQ(epochRows(d, 30, true, 1, 0, &batches).size(), 0u);
  EXPECT_EQ(batches, 0);
  Dataset r = numbered(7);
  r.targets = Tensor(ElementType::F32, {7, 2});
  for (int64_t i = 0; i < 7; ++i)
    r.targets.set(i * 2 + 1, double(-i));
  EXPECT_EQ(epochRows(r, 2, true, 3, 2, &batches).size(), 6u);
  EXPECT_EQ(batches, 3);
}

TEST(Augmentation, ParsesTheTrainBlocksList) {
  Augmentation a;
  EXPECT_FALSE(Augmentation::parse("random_crop(padding=2),hflip", a));
  EXPECT_EQ(a.cropPadding, 2);
  EXPECT_TRUE(a.hflip);
  EXPECT_FALSE(Augmentation::parse("[ random_crop(3) ]", a));
  EXPECT_EQ(a.cropPadding, 3);
  EXPECT_FALSE(a.hflip);
  for (const char *bad : {"random_crop(padding=0)", "crop(2)", "hflip,blur",
                          "random_crop(padding=2.5)", "random_crop(99)"})
    EXPECT_TRUE(Augmentation::parse(bad, a)) << bad;
}

/// Every augmented image is one of the 2 x 5 x 5 candidates for padding 2
/// (mirrored or not, shifted by dy, dx in [-2, 2], zeros filling in),
/// computed here directly; over 400 images every candidate turns up, and
/// the same seed gives the same images.
TEST(Augmentation, ShiftsAndMirrorsWithZeroFill) {
  const int64_t rows = 400, c = 2, h = 5, w = 6;
  Tensor images(ElementType::F32, {rows, c * h * w});
  for (int64_t i = 0; i < images.getNumElements(); ++i)
    images.set(i, 1 + i % (c * h * w)); // never 0: zeros come from padding
  Augmentation a;
  ASSERT_FALSE(Augmentation::parse("random_crop(padding = 2), hflip", a));
  Tensor once = images, twice = images;
  a.apply(once, {c, h, w}, 42);
  a.apply(twice, {c, h, w}, 42);
  std::set<std::tuple<bool, int64_t, int64_t>> seen;
  for (int64_t r = 0; r < rows; ++r) {
    bool matched = false;
    for (bool flip : {false, true})
      for (int64_t dy = -2; dy <= 2; ++dy)
        for (int64_t dx = -2; dx <= 2; ++dx) {
          bool same = true;
          for (int64_t ch = 0; ch < c && same; ++ch)
            for (int64_t y = 0; y < h && same; ++y)
              for (int64_t x = 0; x < w && same; ++x) {
                int64_t sy = y + dy, sx = (flip ? w - 1 - x : x) + dx;
                double want =
                    sy < 0 || sy >= h || sx < 0 || sx >= w
                        ? 0
                        : images.get(r * c * h * w + ch * h * w + sy * w + sx);
                same = once.get(r * c * h * w + ch * h * w + y * w + x) == want;
              }
          if (same && !matched) {
            matched = true;
            seen.insert({flip, dy, dx});
          }
        }
    EXPECT_TRUE(matched) << "row " << r;
  }
  EXPECT_EQ(seen.size(), 50u);
  for (int64_t i = 0; i < once.getNumElements(); ++i)
    ASSERT_EQ(once.get(i), twice.get(i));
}

} // namespace
