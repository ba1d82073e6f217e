// The one place that includes BLAS and LAPACK headers.
//
// We link the 64-bit-integer builds (Debian's libopenblas64 + liblapacke64) everywhere: with
// 32-bit integers the dsyevd workspace (1 + 6n + 2n²) overflows at n >= 32,767, which is where
// numpy and PyTorch fail. The two builds export the same symbol names, so a process can hold only
// one of them; we take the 64-bit one for every size, and `lapack_int` / `blasint` are int64_t.
#pragma once

#ifndef LAPACK_ILP64
#define LAPACK_ILP64 1
#endif
#include <cblas.h>    // from include/x86_64-linux-gnu/openblas64-pthread (blasint = int64)
#include <lapacke.h>  // lapack_int = int64_t under LAPACK_ILP64

#include <cstdint>
#include <type_traits>

namespace hl {

using Index = std::int64_t;

static_assert(sizeof(lapack_int) == 8, "hessian-lab must be built against 64-bit-integer LAPACKE (LAPACK_ILP64)");
static_assert(sizeof(blasint) == 8, "hessian-lab must be built against 64-bit-integer OpenBLAS (openblas64)");

}  // namespace hl
