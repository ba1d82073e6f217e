// Stoppable eigensolves. LAPACK cannot be interrupted inside a call, and one O(n³) solve lasts
// seconds at n = 2,500 and tens of minutes at M = 31,770; so for n >= kProcessMinOrder the solve
// runs in a helper process (native/helper/eigensolver_main.cc, built next to the addon as
// hessian_lab_eigensolver) that maps the matrix's shared memory (dense_matrix.h: memfd) and writes
// the eigenvalues and eigenvectors back into shared memory: no copy of the n x n matrix.
// Cancelling kills the helper (SIGKILL); the abort latency is the poll interval (kPollMs) plus the
// kernel's teardown of the helper (README, "Reliability", states the measured worst case).
//
// Safety: the helper is started with posix_spawn, which execs at once, so nothing runs in a
// forked copy of this multithreaded process (LAPACK and OpenMP there could deadlock on a lock
// held by another thread at fork time). It runs in its own process group (a terminal's Ctrl-C
// reaches only us; we then cancel it) and dies with us (PR_SET_PDEATHSIG). If it is killed or
// crashes, the matrix's triangle is restored here, since the in-place drivers overwrite it.
//
// Fallback, in-process (not stoppable inside LAPACK, as before): n < kProcessMinOrder, a matrix
// in private memory (memfd unavailable), the helper missing, or HESSIAN_LAB_EIGENSOLVER=inprocess.
#pragma once

#include <cstdint>
#include <string>

#include "eigensolver.h"

namespace hl {

/// Orders below this are solved in-process: they take < ~0.1 s, less than starting a process.
constexpr Index kProcessMinOrder = 512;
/// How often the running helper is checked for cancellation.
constexpr int kPollMs = 5;

/// solve_symmetric, in the helper process when it applies (see above); same contract.
EigenResult solve_symmetric_stoppable(DenseMatrix& a, const EigenRequest& request, const Control& control);

/// The helper's path: $HESSIAN_LAB_EIGENSOLVER, else hessian_lab_eigensolver next to the addon;
/// "" when it is not there or disabled ("inprocess").
std::string eigensolver_helper_path();

/// The reply the helper writes at offset 0 of its reply file, followed by `count` doubles.
struct EigenReply {
  std::int64_t done = 0;   // 1 once written
  std::int64_t ok = 0;     // 1: success; 0: failure of `kind` with `message`
  std::int64_t kind = 0;   // ErrorKind
  std::int64_t count = 0;  // eigenvalues that follow
  char driver[32] = {};
  char message[480] = {};
};

}  // namespace hl
