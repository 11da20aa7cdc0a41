//===- MpiCollective.h - Data-parallel training over MPI --------*- C++ -*-===//
//
// `mpirun -np K nablac train ...`: each process joins the job through MPI
// and trains with a Collective over MPI_COMM_WORLD. Built where MPI is
// found (Debian: libopenmpi-dev; -DNABLA_MPI=OFF builds without).
//
//===----------------------------------------------------------------------===//
#ifndef NABLA_MPICOLLECTIVE_H
#define NABLA_MPICOLLECTIVE_H

#include "nabla/Collective.h"

#include <memory>

namespace nabla {

/// Whether this build has MPI.
bool haveMpi();

/// The job this process was started in by an MPI launcher (mpirun,
/// srun), with MPI initialised, or null when it was started alone or in a
/// job of one process (nothing to average). Without MPI in the build, an
/// error when started by a launcher with more than one process. The
/// Collective finalizes MPI when destroyed.
llvm::Expected<std::unique_ptr<Collective>> joinMpiJob();

/// This process's index among the job's processes on its machine (Open
/// MPI's OMPI_COMM_WORLD_LOCAL_RANK, MPICH's MPI_LOCALRANKID, Slurm's
/// SLURM_LOCALID), 0 when none is set: which GPU of the machine it takes.
int localRank();

} // namespace nabla

#endif // NABLA_MPICOLLECTIVE_H
