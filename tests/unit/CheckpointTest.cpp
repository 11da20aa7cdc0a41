//===- CheckpointTest.cpp - safetensors checkpoints -----------------------===//
#include "nabla/runtime/Checkpoint.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <chrono>
#include <unistd.h>

#include <cstring>
#include <random>

using namespace nabla;

namespace {

/// A fresh directory, removed with its contents at the end of the test.
class TempDir {
public:
  TempDir() {
    std::error_code ec =
        llvm::sys::fs::createUniqueDirectory("nabla-checkpoint-test", dir);
    EXPECT_FALSE(ec) << ec.message();
  }
  ~TempDir() { llvm::sys::fs::remove_directories(dir); }
  std::string path(llvm::StringRef name) const {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec))
      names.push_back(llvm::sys::path::filename(it->path()).str());
    std::sort(names.begin(), names.end());
    return names;
  }

private:
  llvm::SmallString<256> dir;
};

std::string readBytes(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  EXPECT_TRUE(bool(buffer)) << path;
  return buffer ? (*buffer)->getBuffer().str() : std::string();
}

void writeBytes(const std::string &path, llvm::StringRef bytes) {
  // Replace rather than truncate: ext4 flushes truncated-and-rewritten
  // files on close, which makes the fuzz loop slow.
  llvm::sys::fs::remove(path);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  ASSERT_FALSE(ec) << ec.message();
  os << bytes;
}

/// A tensor of `type` and `shape` filled with seeded random bytes (0/1 for
/// bool), so round trips are checked bit for bit, NaN payloads included.
Tensor randomTensor(ElementType type, std::vector<int64_t> shape,
                    uint32_t seed) {
  Tensor t(type, std::move(shape));
  std::mt19937 rng(seed);
  auto *p = static_cast<uint8_t *>(t.data());
  for (size_t i = 0; i < t.sizeInBytes(); ++i)
    p[i] = type == ElementType::I1 ? rng() % 2 : rng() & 0xff;
  return t;
}

Checkpoint sampleCheckpoint() {
  Checkpoint c;
  c.tensors["w.f32"] = randomTensor(ElementType::F32, {2, 3}, 1);
  c.tensors["b.f32"] = randomTensor(ElementType::F32, {3}, 2);
  c.tensors["h.f16"] = randomTensor(ElementType::F16, {5}, 3);
  c.tensors["h.bf16"] = randomTensor(ElementType::BF16, {3, 1, 2}, 4);
  c.tensors["d.f64"] = randomTensor(ElementType::F64, {2, 2}, 5);
  c.tensors["n.i32"] = randomTensor(ElementType::I32, {7}, 6);
  c.tensors["mask.bool"] = randomTensor(ElementType::I1, {3, 3}, 7);
  c.tensors["scalar"] = randomTensor(ElementType::F32, {}, 8);
  c.tensors["empty"] = randomTensor(ElementType::F64, {0, 4}, 9);
  c.tensors["adam.m/w.f32"] = randomTensor(ElementType::F32, {2, 3}, 10);
  c.metadata["step"] = "1200";
  c.metadata["optimizer"] = "adam";
  c.metadata["options"] = "{\"lr\": 0.001, \"name\": \"caf\xc3\xa9\"}";
  c.metadata["empty"] = "";
  return c;
}

void expectSameTensor(const Tensor &a, const Tensor &b,
                      const std::string &name) {
  EXPECT_EQ(a.getElementType(), b.getElementType()) << name;
  EXPECT_EQ(a.getShape(), b.getShape()) << name;
  ASSERT_EQ(a.sizeInBytes(), b.sizeInBytes()) << name;
  if (a.sizeInBytes()) {
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.sizeInBytes())) << name;
  }
}

void expectSameCheckpoint(const Checkpoint &a, const Checkpoint &b) {
  EXPECT_EQ(a.metadata, b.metadata);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto &[name, tensor] : a.tensors) {
    auto it = b.tensors.find(name);
    ASSERT_NE(it, b.tensors.end()) << name;
    expectSameTensor(tensor, it->second, name);
  }
}

std::string lengthPrefix(uint64_t n) {
  char bytes[8];
  llvm::support::endian::write64le(bytes, n);
  return std::string(bytes, 8);
}

/// A file built by hand: the length prefix, `header`, then `data`.
std::string fileWith(llvm::StringRef header, llvm::StringRef data = "") {
  return lengthPrefix(header.size()) + header.str() + data.str();
}

std::string errorOf(const std::string &path) {
  llvm::Expected<Checkpoint> result = readCheckpoint(path);
  if (result)
    return "<no error>";
  return llvm::toString(result.takeError());
}

std::string writeErrorOf(const Checkpoint &c, const std::string &path) {
  llvm::Error error = writeCheckpoint(c, path);
  if (!error)
    return "<no error>";
  return llvm::toString(std::move(error));
}

TEST(Checkpoint, RoundTripsEveryDtypeAndMetadataByteForByte) {
  TempDir dir;
  std::string path = dir.path("model.safetensors");
  Checkpoint original = sampleCheckpoint();
  ASSERT_FALSE(bool(writeCheckpoint(original, path)));
  llvm::Expected<Checkpoint> read = readCheckpoint(path);
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  expectSameCheckpoint(original, *read);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.safetensors"});

  // Writing what was read gives the same bytes.
  std::string again = dir.path("again.safetensors");
  ASSERT_FALSE(bool(writeCheckpoint(*read, again)));
  EXPECT_EQ(readBytes(path), readBytes(again));
}

TEST(Checkpoint, RoundTripsAnEmptyCheckpoint) {
  TempDir dir;
  std::string path = dir.path("empty.safetensors");
  ASSERT_FALSE(bool(writeCheckpoint(Checkpoint(), path)));
  EXPECT_EQ(readBytes(path), lengthPrefix(8) + "{}      ");
  llvm::Expected<Checkpoint> read = readCheckpoint(path);
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  EXPECT_TRUE(read->tensors.empty());
  EXPECT_TRUE(read->metadata.empty());
}

TEST(Checkpoint, WritesTheSafetensorsLayout) {
  TempDir dir;
  std::string path = dir.path("spec.safetensors");
  Checkpoint c;
  // Inserted out of order; the file holds them in name order.
  c.tensors["b"] = Tensor::fromDoubles(ElementType::I32, {1}, {-2});
  c.tensors["a"] = Tensor::fromDoubles(ElementType::F32, {2}, {1.0, 2.0});
  c.metadata["step"] = "7";
  ASSERT_FALSE(bool(writeCheckpoint(c, path)));

  std::string bytes = readBytes(path);
  ASSERT_GE(bytes.size(), 8u);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i)
    n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  std::string json = "{\"__metadata__\":{\"step\":\"7\"},"
                     "\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
                     "\"data_offsets\":[0,8]},"
                     "\"b\":{\"dtype\":\"I32\",\"shape\":[1],"
                     "\"data_offsets\":[8,12]}}";
  // Padded with spaces so the data starts at a multiple of 8.
  EXPECT_EQ(n % 8, 0u);
  ASSERT_EQ(n, (json.size() + 7) / 8 * 8);
  EXPECT_EQ(bytes.substr(8, n), json + std::string(n - json.size(), ' '));
  ASSERT_EQ(bytes.size(), 8 + n + 12);
  // f32 1.0 = 0x3f800000, 2.0 = 0x40000000, i32 -2 = 0xfffffffe, all LE.
  const unsigned char data[] = {0x00, 0x00, 0x80, 0x3f, 0x00, 0x00,
                                0x00, 0x40, 0xfe, 0xff, 0xff, 0xff};
  EXPECT_EQ(bytes.substr(8 + n),
            std::string(reinterpret_cast<const char *>(data), sizeof(data)));
}

TEST(Checkpoint, ReadsAFileWrittenByHandToTheSpec) {
  // Keys in another order, whitespace, no padding, metadata last, a gap
  // before the first tensor, and a bool tensor.
  TempDir dir;
  std::string path = dir.path("hand.safetensors");
  std::string header =
      "{ \"y\": {\"data_offsets\": [4, 7], \"shape\": [3], \"dtype\": "
      "\"BOOL\"},\n \"x\" : {\"dtype\":\"BF16\",\"shape\":[1,2],"
      "\"data_offsets\":[0,4]}, \"__metadata__\": {\"format\": \"pt\"} }";
  const char data[] = {'\x80', '\x3f', '\x00', '\xc0', 1, 0, 1};
  writeBytes(path, fileWith(header, llvm::StringRef(data, sizeof(data))));
  llvm::Expected<Checkpoint> read = readCheckpoint(path);
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  EXPECT_EQ(read->metadata,
            (std::map<std::string, std::string>{{"format", "pt"}}));
  ASSERT_EQ(read->tensors.size(), 2u);
  const Tensor &x = read->tensors.at("x");
  EXPECT_EQ(x.getElementType(), ElementType::BF16);
  EXPECT_EQ(x.toDoubles(), (std::vector<double>{1.0, -2.0}));
  const Tensor &y = read->tensors.at("y");
  EXPECT_EQ(y.getElementType(), ElementType::I1);
  EXPECT_EQ(y.toDoubles(), (std::vector<double>{1, 0, 1}));
}

TEST(Checkpoint, FailedWriteLeavesThePreviousCheckpointIntact) {
  TempDir dir;
  std::string path = dir.path("model.safetensors");
  Checkpoint first = sampleCheckpoint();
  ASSERT_FALSE(bool(writeCheckpoint(first, path)));
  std::string before = readBytes(path);

  Checkpoint second = sampleCheckpoint();
  second.tensors["w.f32"] = randomTensor(ElementType::F32, {2, 3}, 99);
  second.metadata["step"] = "1300";
  // Fail before anything, inside the length prefix, inside the header,
  // inside the data, and one byte short of the end.
  for (int64_t after :
       {int64_t(0), int64_t(3), int64_t(40), int64_t(before.size() - 20),
        int64_t(before.size() - 1)}) {
    setCheckpointWriteFailureForTesting(after);
    std::string error = writeErrorOf(second, path);
    setCheckpointWriteFailureForTesting(-1);
    EXPECT_EQ(error,
              "cannot write checkpoint '" + path + "': No space left on device")
        << "after " << after;
    EXPECT_EQ(readBytes(path), before) << "after " << after;
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.safetensors"})
        << "after " << after;
  }
  llvm::Expected<Checkpoint> read = readCheckpoint(path);
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  expectSameCheckpoint(first, *read);

  // A limit past the end of the file does not fire, and the new checkpoint
  // replaces the old.
  setCheckpointWriteFailureForTesting(int64_t(1) << 40);
  llvm::Error error = writeCheckpoint(second, path);
  setCheckpointWriteFailureForTesting(-1);
  ASSERT_FALSE(bool(error)) << llvm::toString(std::move(error));
  read = readCheckpoint(path);
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  expectSameCheckpoint(second, *read);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.safetensors"});
}

TEST(Checkpoint, WritingIntoAMissingDirectoryFailsClearly) {
  TempDir dir;
  std::string path = dir.path("no/such/dir/model.safetensors");
  EXPECT_EQ(writeErrorOf(sampleCheckpoint(), path),
            "cannot write checkpoint '" + path +
                "': No such file or directory");
  EXPECT_TRUE(dir.entries().empty());
}

TEST(Checkpoint, WriteRejectsWhatTheFormatCannotHold) {
  TempDir dir;
  std::string path = dir.path("bad.safetensors");
  Checkpoint reserved;
  reserved.tensors["__metadata__"] = Tensor(ElementType::F32, {1});
  EXPECT_EQ(writeErrorOf(reserved, path),
            "cannot write checkpoint '" + path +
                "': a tensor may not be named '__metadata__'");

  Checkpoint inconsistent; // A default tensor: shape [] but no bytes.
  inconsistent.tensors["t"] = Tensor();
  EXPECT_EQ(writeErrorOf(inconsistent, path),
            "cannot write checkpoint '" + path +
                "': tensor 't' holds 0 bytes, which does not match its type "
                "f32");

  Checkpoint badUtf8;
  badUtf8.metadata["k"] = "\xff";
  EXPECT_EQ(writeErrorOf(badUtf8, path),
            "cannot write checkpoint '" + path +
                "': metadata entry 'k' is not valid UTF-8");
  EXPECT_TRUE(dir.entries().empty());
}

struct BadFile {
  const char *what;
  std::string bytes;
  std::string error; // After "cannot read checkpoint '<path>': ".
};

TEST(Checkpoint, ReadErrorsNameTheFileAndTheProblem) {
  const std::string eight(8, '\0');
  auto tensor = [](const std::string &fields) {
    return "{\"t\":{" + fields + "}}";
  };
  const std::string ok = "\"dtype\":\"F32\",\"shape\":[2],";
  std::vector<BadFile> cases = {
      {"empty", "",
       "the file is 0 bytes, too short for the 8-byte header "
       "length"},
      {"short", std::string("\x08\x00\x00", 3),
       "the file is 3 bytes, too short for the "
       "8-byte header length"},
      {"long header", lengthPrefix(1000) + "{}",
       "the header length 1000 exceeds the 2 bytes that follow it "
       "(truncated or not a safetensors file)"},
      {"huge header", lengthPrefix(~uint64_t(0)) + "{}",
       "the header length 18446744073709551615 exceeds the 2 bytes that "
       "follow it (truncated or not a safetensors file)"},
      {"bad json", fileWith("{\"t\": "),
       "the header is not valid JSON: [1:6, byte=6]: Unexpected EOF"},
      {"deep json", fileWith(std::string(100000, '[')),
       "the header is not valid JSON: nested too deeply"},
      {"not object", fileWith("[1, 2]"), "the header is not a JSON object"},
      {"entry not object", fileWith("{\"t\": 5}"),
       "tensor 't' is not a JSON object"},
      {"no dtype",
       fileWith(tensor("\"shape\":[2],\"data_offsets\":[0,8]"), eight),
       "tensor 't' has no 'dtype'"},
      {"no shape",
       fileWith(tensor("\"dtype\":\"F32\",\"data_offsets\":[0,8]"), eight),
       "tensor 't' has no 'shape'"},
      {"no offsets", fileWith(tensor("\"dtype\":\"F32\",\"shape\":[2]"), eight),
       "tensor 't' has no 'data_offsets'"},
      {"dtype type",
       fileWith(tensor("\"dtype\":4,\"shape\":[2],"
                       "\"data_offsets\":[0,8]"),
                eight),
       "tensor 't' has a 'dtype' that is not a string"},
      {"unsupported dtype",
       fileWith(tensor("\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]"),
                eight),
       "tensor 't' has unsupported dtype 'U8' (supported: F32, F16, BF16, "
       "F64, I32, BOOL)"},
      {"shape type",
       fileWith(tensor("\"dtype\":\"F32\",\"shape\":2,"
                       "\"data_offsets\":[0,8]"),
                eight),
       "tensor 't' has a 'shape' that is not an array"},
      {"shape element type",
       fileWith(tensor("\"dtype\":\"F32\",\"shape\":[\"2\"],"
                       "\"data_offsets\":[0,8]"),
                eight),
       "tensor 't' has a 'shape' that is not an array of integers"},
      {"fractional shape",
       fileWith(tensor("\"dtype\":\"F32\",\"shape\":[1.5],"
                       "\"data_offsets\":[0,8]"),
                eight),
       "tensor 't' has a 'shape' that is not an array of integers"},
      {"negative shape",
       fileWith(tensor("\"dtype\":\"F32\",\"shape\":[-2],"
                       "\"data_offsets\":[0,8]"),
                eight),
       "tensor 't' has a negative dimension in its 'shape'"},
      {"overflowing shape",
       fileWith(tensor("\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                       "\"data_offsets\":[0,8]"),
                eight),
       "tensor 't' has a 'shape' whose element count overflows"},
      {"overflowing bytes",
       fileWith(tensor("\"dtype\":\"F64\",\"shape\":[4611686018427387904],"
                       "\"data_offsets\":[0,8]"),
                eight),
       "tensor 't' has a 'shape' whose byte size overflows"},
      {"offsets type", fileWith(tensor(ok + "\"data_offsets\":\"0-8\""), eight),
       "tensor 't' has 'data_offsets' that are not two non-negative "
       "integers"},
      {"offsets arity",
       fileWith(tensor(ok + "\"data_offsets\":[0,4,8]"), eight),
       "tensor 't' has 'data_offsets' that are not two non-negative "
       "integers"},
      {"negative offset",
       fileWith(tensor(ok + "\"data_offsets\":[-8,0]"), eight),
       "tensor 't' has 'data_offsets' that are not two non-negative "
       "integers"},
      {"end before begin",
       fileWith(tensor(ok + "\"data_offsets\":[8,0]"), eight),
       "tensor 't' has 'data_offsets' [8, 0] that end before they begin"},
      {"out of range", fileWith(tensor(ok + "\"data_offsets\":[4,12]"), eight),
       "tensor 't' has 'data_offsets' [4, 12] outside the data section (8 "
       "bytes; the file is truncated or corrupt)"},
      {"truncated data",
       fileWith(tensor(ok + "\"data_offsets\":[0,8]"), "1234"),
       "tensor 't' has 'data_offsets' [0, 8] outside the data section (4 "
       "bytes; the file is truncated or corrupt)"},
      {"huge offsets",
       fileWith(tensor(ok + "\"data_offsets\":[18446744073709551615,"
                            "18446744073709551615]"),
                eight),
       "tensor 't' has 'data_offsets' [18446744073709551615, "
       "18446744073709551615] outside the data section (8 bytes; the file "
       "is truncated or corrupt)"},
      {"size mismatch", fileWith(tensor(ok + "\"data_offsets\":[0,4]"), eight),
       "tensor 't' has 'data_offsets' [0, 4] spanning 4 bytes, but F32 [2] "
       "needs 8"},
      {"overlap",
       fileWith("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":"
                "[0,8]},\"b\":{\"dtype\":\"I32\",\"shape\":[1],"
                "\"data_offsets\":[4,8]}}",
                eight),
       "tensors 'a' and 'b' overlap in the data section"},
      {"metadata not object", fileWith("{\"__metadata__\": [\"a\"]}"),
       "'__metadata__' is not a JSON object"},
      {"metadata value", fileWith("{\"__metadata__\": {\"step\": 7}}"),
       "metadata value for 'step' is not a string"},
  };

  TempDir dir;
  for (const BadFile &c : cases) {
    std::string path = dir.path(std::string(c.what) + ".safetensors");
    writeBytes(path, c.bytes);
    EXPECT_EQ(errorOf(path),
              "cannot read checkpoint '" + path + "': " + c.error)
        << c.what;
  }

  std::string missing = dir.path("missing.safetensors");
  EXPECT_EQ(errorOf(missing), "cannot read checkpoint '" + missing +
                                  "': No such file or directory");
}

TEST(Checkpoint, EmptyTensorsNeverOverlap) {
  TempDir dir;
  std::string path = dir.path("zero.safetensors");
  writeBytes(
      path, fileWith("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":"
                     "[0,8]},\"z\":{\"dtype\":\"I32\",\"shape\":[0,3],"
                     "\"data_offsets\":[4,4]}}",
                     std::string(8, '\0')));
  llvm::Expected<Checkpoint> read = readCheckpoint(path);
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  EXPECT_EQ(read->tensors.at("z").getShape(), (std::vector<int64_t>{0, 3}));
}

/// Reading never crashes, and either fails naming the file or gives
/// tensors whose bytes match their shapes.
void expectErrorOrConsistent(const std::string &path, const std::string &what) {
  llvm::Expected<Checkpoint> read = readCheckpoint(path);
  if (!read) {
    std::string message = llvm::toString(read.takeError());
    EXPECT_EQ(message.rfind("cannot read checkpoint '" + path + "': ", 0), 0u)
        << what << ": " << message;
    return;
  }
  for (const auto &[name, tensor] : read->tensors)
    EXPECT_EQ(tensor.sizeInBytes(),
              static_cast<size_t>(tensor.getNumElements()) *
                  elementSize(tensor.getElementType()))
        << what << ": " << name;
}

TEST(Checkpoint, SurvivesEveryTruncationAndRandomMutations) {
  TempDir dir;
  std::string validPath = dir.path("valid.safetensors");
  ASSERT_FALSE(bool(writeCheckpoint(sampleCheckpoint(), validPath)));
  const std::string valid = readBytes(validPath);
  std::string path = dir.path("fuzz.safetensors");

  // Every strict prefix loses bytes that the header or the last tensor
  // needs, so each one is an error.
  for (size_t n = 0; n < valid.size(); ++n) {
    writeBytes(path, llvm::StringRef(valid).take_front(n));
    llvm::Expected<Checkpoint> read = readCheckpoint(path);
    EXPECT_FALSE(bool(read)) << "truncated to " << n;
    if (!read)
      llvm::consumeError(read.takeError());
  }

  std::mt19937 rng(20240611);
  const char interesting[] = {'{', '}', '[', ']',  '"',  ',',    ':', '-',
                              '0', '9', ' ', '\\', '\0', '\xff', 'e', '.'};
  size_t successes = 0;
  for (int i = 0; i < 1000; ++i) {
    std::string bytes = valid;
    int edits = 1 + rng() % 4;
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      size_t at = rng() % bytes.size();
      switch (rng() % 6) {
      case 0: // flip a bit
        bytes[at] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1: // a random byte
        bytes[at] = static_cast<char>(rng() & 0xff);
        break;
      case 2: // a JSON-significant byte
        bytes[at] = interesting[rng() % sizeof(interesting)];
        break;
      case 3: // delete a run
        bytes.erase(at, 1 + rng() % 8);
        break;
      case 4: // insert a run
        bytes.insert(at, std::string(1 + rng() % 8,
                                     interesting[rng() % sizeof(interesting)]));
        break;
      case 5: // a byte of the length prefix
        bytes[rng() % std::min<size_t>(8, bytes.size())] =
            static_cast<char>(rng() & 0xff);
        break;
      }
    }
    writeBytes(path, bytes);
    llvm::Expected<Checkpoint> read = readCheckpoint(path);
    if (read)
      ++successes;
    else
      llvm::consumeError(read.takeError());
    expectErrorOrConsistent(path, "mutation " + std::to_string(i));
  }
  // Mutating data bytes keeps a file valid; mutating structure does not.
  EXPECT_GT(successes, 0u);
  EXPECT_LT(successes, 1000u);
}

// A write killed mid-way leaves path.tmp-XXXXXX behind; the next write of
// the same path removes such files once they are five minutes old (a
// younger one may be another process's write in progress).
TEST(Checkpoint, RemovesStaleTemporaryFiles) {
  TempDir dir;
  std::string path = dir.path("model.safetensors");
  auto touch = [&](const std::string &name, std::chrono::minutes age) {
    int fd = -1;
    ASSERT_FALSE(llvm::sys::fs::openFileForWrite(dir.path(name), fd));
    auto when = std::chrono::system_clock::now() - age;
    ASSERT_FALSE(llvm::sys::fs::setLastAccessAndModificationTime(
        fd,
        llvm::sys::toTimePoint(std::chrono::system_clock::to_time_t(when))));
    ::close(fd);
  };
  touch("model.safetensors.tmp-abc123", std::chrono::minutes(60));
  touch("model.safetensors.tmp-def456", std::chrono::minutes(0));
  touch("other.safetensors.tmp-abc123", std::chrono::minutes(60));
  Checkpoint c;
  c.tensors["w"] = Tensor::fromDoubles(ElementType::F32, {2}, {1, 2});
  ASSERT_FALSE(llvm::errorToBool(writeCheckpoint(c, path)));
  EXPECT_EQ(dir.entries(),
            (std::vector<std::string>{"model.safetensors",
                                      "model.safetensors.tmp-def456",
                                      "other.safetensors.tmp-abc123"}));
}

} // namespace
