#include "CMPIShim.h"

#include <limits.h>
#include <mpi.h>
#include <string.h>

int s2_mpi_initialized(int *flag) { return MPI_Initialized(flag); }
int s2_mpi_finalized(int *flag) { return MPI_Finalized(flag); }

int s2_mpi_init(void) {
    int provided = 0;
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return rc;
    return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

int s2_mpi_finalize(void) { return MPI_Finalize(); }
int s2_mpi_rank(int *rank) { return MPI_Comm_rank(MPI_COMM_WORLD, rank); }
int s2_mpi_size(int *size) { return MPI_Comm_size(MPI_COMM_WORLD, size); }

int s2_mpi_local_size(int *size) {
    MPI_Comm local;
    int rc = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &local);
    if (rc != MPI_SUCCESS) return rc;
    rc = MPI_Comm_size(local, size);
    int freed = MPI_Comm_free(&local);
    return rc != MPI_SUCCESS ? rc : freed;
}

static MPI_Op operation(s2_mpi_op op) {
    switch (op) {
    case S2_MPI_MAX: return MPI_MAX;
    case S2_MPI_MIN: return MPI_MIN;
    default: return MPI_SUM;
    }
}

static int bcast(void *buffer, size_t count, size_t size, MPI_Datatype type, int root) {
    char *p = buffer;
    while (count > 0) {
        int n = count > INT_MAX ? INT_MAX : (int)count;
        int rc = MPI_Bcast(p, n, type, root, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
        p += (size_t)n * size;
        count -= (size_t)n;
    }
    return MPI_SUCCESS;
}

static int allreduce(void *buffer, size_t count, size_t size, MPI_Datatype type, s2_mpi_op op) {
    char *p = buffer;
    while (count > 0) {
        int n = count > INT_MAX ? INT_MAX : (int)count;
        int rc = MPI_Allreduce(MPI_IN_PLACE, p, n, type, operation(op), MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return rc;
        p += (size_t)n * size;
        count -= (size_t)n;
    }
    return MPI_SUCCESS;
}

int s2_mpi_bcast_float(float *buffer, size_t count, int root) { return bcast(buffer, count, sizeof(float), MPI_FLOAT, root); }
int s2_mpi_bcast_bytes(uint8_t *buffer, size_t count, int root) { return bcast(buffer, count, 1, MPI_BYTE, root); }
int s2_mpi_allreduce_float(float *buffer, size_t count, s2_mpi_op op) { return allreduce(buffer, count, sizeof(float), MPI_FLOAT, op); }
int s2_mpi_allreduce_double(double *buffer, size_t count, s2_mpi_op op) { return allreduce(buffer, count, sizeof(double), MPI_DOUBLE, op); }
int s2_mpi_allreduce_int64(int64_t *buffer, size_t count, s2_mpi_op op) { return allreduce(buffer, count, sizeof(int64_t), MPI_INT64_T, op); }
int s2_mpi_barrier(void) { return MPI_Barrier(MPI_COMM_WORLD); }
void s2_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

void s2_mpi_error_string(int code, char *out, int capacity) {
    if (capacity <= 0) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
    text[length < MPI_MAX_ERROR_STRING ? length : MPI_MAX_ERROR_STRING - 1] = 0;
    strncpy(out, text, (size_t)capacity - 1);
    out[capacity - 1] = 0;
}

double s2_mpi_wtime(void) { return MPI_Wtime(); }
