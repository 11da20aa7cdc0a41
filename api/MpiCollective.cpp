//===- MpiCollective.cpp - Data-parallel training over MPI ----------------===//
//
// One Collective over MPI_COMM_WORLD. Errors come back as llvm::Error
// (MPI_ERRORS_RETURN), not as MPI's abort; a process that dies ends the
// job through the launcher (mpirun kills the others), so no process waits
// forever on a collective that cannot complete.
//
//===----------------------------------------------------------------------===//
#include "nabla/MpiCollective.h"
#include "nabla/support/Error.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/Twine.h"

#include <algorithm>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#ifdef NABLA_HAVE_MPI
// The C API alone (the deprecated C++ bindings warn under -Wextra).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace nabla {

namespace {

/// The number of processes the launcher says the job has: Open MPI's
/// mpirun, MPICH's hydra and Slurm's srun (a job step's tasks) set one of
/// these; 0 when none is set.
int launchedSize() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE",
                           "SLURM_STEP_NUM_TASKS"})
    if (const char *value = std::getenv(name))
      return std::atoi(value);
  return 0;
}

#ifdef NABLA_HAVE_MPI

llvm::Error mpiError(int code, const llvm::Twine &what) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  return makeError("error: MPI " + what +
                   " failed: " + std::string(text, length));
}

float fromBF16(uint16_t bits) {
  uint32_t wide = uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &wide, sizeof f);
  return f;
}

/// To nearest, ties to even; a NaN stays a (quiet) NaN.
uint16_t toBF16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return uint16_t((bits >> 16) | 0x40u);
  return uint16_t((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

/// MPI has no bf16: its elements travel as 16-bit words, and this op sums
/// two of them in f32 and rounds the sum back to bf16.
void sumBF16(void *in, void *inout, int *length, MPI_Datatype *) {
  auto *a = static_cast<const uint16_t *>(in);
  auto *b = static_cast<uint16_t *>(inout);
  for (int i = 0; i < *length; ++i)
    b[i] = toBF16(fromBF16(a[i]) + fromBF16(b[i]));
}

class MpiCollective : public Collective {
public:
  MpiCollective(int rank, int size, bool anyThread)
      : rankIndex(rank), processes(size), anyThread(anyThread) {}
  ~MpiCollective() override {
    if (sumOfBF16 != MPI_OP_NULL)
      MPI_Op_free(&sumOfBF16);
    MPI_Finalize();
  }

  int rank() const override { return rankIndex; }
  int size() const override { return processes; }
  bool callableFromAnyThread() const override { return anyThread; }

  llvm::Error average(Tensor &t) override {
    MPI_Datatype type;
    MPI_Op sum = MPI_SUM;
    switch (t.getElementType()) {
    case ElementType::F32:
      type = MPI_FLOAT;
      break;
    case ElementType::F64:
      type = MPI_DOUBLE;
      break;
    case ElementType::BF16:
      type = MPI_UINT16_T;
      if (sumOfBF16 == MPI_OP_NULL)
        if (int code = MPI_Op_create(sumBF16, /*commute=*/1, &sumOfBF16))
          return mpiError(code, "bf16 sum");
      sum = sumOfBF16;
      break;
    default:
      return makeError("error: data-parallel training averages f32, f64 and "
                       "bf16 tensors, not " +
                       toString(t.getElementType()));
    }
    int64_t n = t.getNumElements();
    // MPI counts are ints: a tensor beyond 2^31 elements goes in pieces.
    constexpr int64_t kPiece = int64_t(1) << 30;
    char *data = static_cast<char *>(t.data());
    size_t element = elementSize(t.getElementType());
    for (int64_t start = 0; start < n; start += kPiece) {
      int count = static_cast<int>(std::min(kPiece, n - start));
      if (int code = MPI_Allreduce(MPI_IN_PLACE, data + start * element, count,
                                   type, sum, MPI_COMM_WORLD))
        return mpiError(code, "allreduce");
    }
    double scale = 1.0 / processes;
    if (type == MPI_FLOAT)
      for (float &x : llvm::MutableArrayRef<float>(
               static_cast<float *>(t.data()), size_t(n)))
        x = static_cast<float>(x * scale);
    else if (type == MPI_UINT16_T)
      for (uint16_t &x : llvm::MutableArrayRef<uint16_t>(
               static_cast<uint16_t *>(t.data()), size_t(n)))
        x = toBF16(static_cast<float>(fromBF16(x) * scale));
    else
      for (double &x : llvm::MutableArrayRef<double>(
               static_cast<double *>(t.data()), size_t(n)))
        x *= scale;
    return llvm::Error::success();
  }

  llvm::Error broadcastFromFirst(Tensor &t) override {
    constexpr size_t kPiece = size_t(1) << 30;
    char *data = static_cast<char *>(t.data());
    for (size_t start = 0; start < t.sizeInBytes(); start += kPiece) {
      int count = static_cast<int>(std::min(kPiece, t.sizeInBytes() - start));
      if (int code =
              MPI_Bcast(data + start, count, MPI_BYTE, 0, MPI_COMM_WORLD))
        return mpiError(code, "broadcast");
    }
    return llvm::Error::success();
  }

private:
  int rankIndex, processes;
  bool anyThread;
  MPI_Op sumOfBF16 = MPI_OP_NULL; // made on first use
};

#endif

} // namespace

int localRank() {
  for (const char *name :
       {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"})
    if (const char *value = std::getenv(name))
      return std::max(0, std::atoi(value));
  return 0;
}

bool haveMpi() {
#ifdef NABLA_HAVE_MPI
  return true;
#else
  return false;
#endif
}

llvm::Expected<std::unique_ptr<Collective>> joinMpiJob() {
  int launched = launchedSize();
  if (launched <= 1)
    return nullptr;
#ifdef NABLA_HAVE_MPI
  int initialized = 0;
  MPI_Initialized(&initialized);
  // Serialized: the step's averaging runs on a thread of its own, never
  // while another thread of the process is in MPI.
  int provided = MPI_THREAD_SINGLE;
  if (!initialized) {
    if (int code =
            MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided))
      return mpiError(code, "initialisation");
  } else {
    MPI_Query_thread(&provided);
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size <= 1) {
    MPI_Finalize();
    return nullptr;
  }
  return std::make_unique<MpiCollective>(rank, size,
                                         provided >= MPI_THREAD_SERIALIZED);
#else
  return makeError("error: started as one of " + llvm::Twine(launched) +
                   " processes by an MPI launcher, but this nabla was built "
                   "without MPI (install libopenmpi-dev and rebuild, or run "
                   "one process)");
#endif
}

} // namespace nabla
