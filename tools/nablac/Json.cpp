//===- Json.cpp - nablac's machine-readable output ------------------------===//
#include "tools/nablac/Json.h"

#include "llvm/Support/Format.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <random>

namespace nabla::tools {

void writeNumber(llvm::json::OStream &j, double v) {
  if (!std::isfinite(v)) {
    j.value(nullptr);
    return;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  j.rawValue(text);
}

void writeNumber(llvm::json::OStream &j, llvm::StringRef key, double v) {
  j.attributeBegin(key);
  writeNumber(j, v);
  j.attributeEnd();
}

void writeTensor(llvm::json::OStream &j, const Tensor &t) {
  j.object([&] {
    j.attributeArray("shape", [&] {
      for (int64_t d : t.getShape())
        j.value(d);
    });
    j.attributeArray("data", [&] {
      for (int64_t i = 0; i < t.getNumElements(); ++i)
        writeNumber(j, t.get(i));
    });
  });
}

RunIdentity RunIdentity::now() {
  RunIdentity run;
  std::random_device device;
  uint64_t bits =
      (uint64_t(device()) << 32) ^ device() ^
      uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", (unsigned long long)bits);
  run.id = id;
  std::time_t t = std::time(nullptr);
  std::tm utc;
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  run.startTime = text;
  return run;
}

} // namespace nabla::tools
