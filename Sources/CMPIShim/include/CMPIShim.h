#ifndef CMPISHIM_H
#define CMPISHIM_H

#include <stddef.h>
#include <stdint.h>

// Open MPI defines its handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, MPI_IN_PLACE) as macros over global
// objects, which Swift cannot import: these functions take plain values instead. Every function returns an
// MPI error code (MPI_SUCCESS = 0); the communicator is MPI_COMM_WORLD, with errors returned, not fatal.

/// Which reduction: 0 sum, 1 max, 2 min.
typedef enum { S2_MPI_SUM = 0, S2_MPI_MAX = 1, S2_MPI_MIN = 2 } s2_mpi_op;

int s2_mpi_initialized(int *flag);
int s2_mpi_finalized(int *flag);
/// MPI_Init_thread with MPI_THREAD_FUNNELED (only the main thread calls MPI), then MPI_ERRORS_RETURN.
int s2_mpi_init(void);
int s2_mpi_finalize(void);
int s2_mpi_rank(int *rank);
int s2_mpi_size(int *size);
/// The number of ranks that share this rank's memory (its machine): MPI_Comm_split_type with MPI_COMM_TYPE_SHARED.
/// Collective: every rank calls it.
int s2_mpi_local_size(int *size);
/// In place, in chunks of at most INT_MAX elements.
int s2_mpi_bcast_float(float *buffer, size_t count, int root);
int s2_mpi_bcast_bytes(uint8_t *buffer, size_t count, int root);
int s2_mpi_allreduce_float(float *buffer, size_t count, s2_mpi_op op);
int s2_mpi_allreduce_double(double *buffer, size_t count, s2_mpi_op op);
int s2_mpi_allreduce_int64(int64_t *buffer, size_t count, s2_mpi_op op);
int s2_mpi_barrier(void);
/// Ends every rank of the job with `code`.
void s2_mpi_abort(int code);
/// The text of an MPI error code, into `out` (NUL-terminated).
void s2_mpi_error_string(int code, char *out, int capacity);
double s2_mpi_wtime(void);

#endif
