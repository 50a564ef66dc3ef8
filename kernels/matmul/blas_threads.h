// The CPU's threads are one pool: OpenMP's (core/cpu_parallel.h, sized by
// OMP_NUM_THREADS). OpenBLAS's pthreads build keeps a second pool of its own
// whose workers spin for up to 2^28 cycles after each threaded GEMM; on a
// 2-core machine that pool and OpenMP's workers took the cores from each other
// (docs/performance.md, "Threads"). So every CBLAS call runs on one OpenBLAS
// thread, and the twins that need a GEMM split it over the OpenMP threads
// themselves (kernels/matmul: rows of C; kernels/attention: heads). Calling
// single-threaded OpenBLAS from several threads at once is safe and does not
// serialise (OpenBLAS's locks are only around its buffer pool).
#pragma once

namespace xlm {

// Sets OpenBLAS to one thread if it is not (a read when it already is). Call it
// on the calling thread before a parallel region that calls CBLAS, never inside
// one: the setting is global to the library. No-op without OpenBLAS.
void use_one_blas_thread();

}  // namespace xlm
