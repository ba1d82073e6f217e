// Thread policy: every parallel job carries its own thread count (a field of its request), and
// nothing a job does changes another job's threads or numbers.
//
// OpenBLAS is the constraint. Debian's 0.3.21 (pthreads build) has only a process-wide thread
// count: no per-call or thread-local setter (`nm -D libopenblas64.so.0` lists
// openblas_set_num_threads only; openblas_set_num_threads_local arrived in 0.3.27). So:
//  * the core keeps OpenBLAS at ONE thread and parallelises itself: parallel_for runs a job's
//    independent tasks (unit slabs, column blocks, sample ranges, training runs) on the job's own
//    `threads` threads, each task calling single-threaded BLAS. Task shapes never depend on the
//    thread count, so results are bitwise the same for any count;
//  * work only OpenBLAS/LAPACK can split (an eigensolve, the matrix-free products' layer GEMMs)
//    runs inside a BlasThreads scope with threads > 1, which holds a process-wide lock
//    EXCLUSIVELY, sets OpenBLAS's count for its duration and puts it back to 1;
//  * every other native job (assembly, training segments, BlasThreads(1)) holds the same lock
//    SHARED while it calls BLAS, so many of them run at once, but never beside a threaded scope.
//    This matters: OpenBLAS's dgemm does NOT give the same bits on 1 and 2 threads (core_tests
//    checks it), so a job borrowing another job's BLAS threads would change its numbers.
//  The price: a threaded eigensolve waits for running assemblies to finish, and they for it
//  (waiting polls cancellation). Synchronous calls on the JavaScript thread (evaluate) never
//  wait: they are O(M N), and while a threaded scope runs their last bits may differ.
#pragma once

#include <functional>

#include "control.h"
#include "linalg.h"

namespace hl {

/// OpenBLAS starts with all cores; the core wants 1 outside BlasThreads scopes from the first BLAS
/// call on (a synchronous evaluate() before any job must give the bits it gives after). Every entry
/// point here calls it; a host calls it once at start-up (the addon's Init). Not from a static
/// initialiser: where OpenBLAS is linked statically (the MPI driver's core library) its own
/// initialiser may not have run yet.
void single_threaded_blas_once();

/// Threads a request gets when it asks for 0 ("all cores"): the hardware's count.
int thread_count();

/// requested > 0: requested; 0: thread_count(). Throws InvalidArgument outside [0, kMaxThreads].
constexpr int kMaxThreads = 4096;
int resolve_threads(int requested);

/// Runs body(task, worker) for every task in [0, tasks) on min(threads, tasks) threads (the
/// caller's thread is worker 0; worker ids are < threads). Tasks are taken in order. Before each
/// task `control` (if any) is polled; the first exception (a cancellation included) stops the
/// other workers after their current task and is rethrown here.
void parallel_for(Index tasks, int threads, const Control* control, const std::function<void(Index task, int worker)>& body);

/// parallel_for over [0, n) cut into contiguous ranges (about 4 per thread, at least `grain`
/// items each): body(begin, end, worker).
void parallel_ranges(Index n, int threads, Index grain, const std::function<void(Index begin, Index end, int worker)>& body);

/// While alive, OpenBLAS uses `threads` threads (see the header comment): threads > 1 holds the
/// process's BLAS lock exclusively, threads <= 1 shares it with the other single-threaded jobs.
/// Waiting for the lock polls `control` (if any) for cancellation. A waiting threaded scope goes
/// before later shared ones (no starvation). Never nest scopes on one thread: a threaded scope
/// waiting between the two would wait for the outer one forever.
class BlasThreads {
 public:
  explicit BlasThreads(int threads, const Control* control = nullptr);
  ~BlasThreads();
  BlasThreads(const BlasThreads&) = delete;
  BlasThreads& operator=(const BlasThreads&) = delete;

 private:
  bool exclusive_ = false;
};

}  // namespace hl
