#include "threads.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "errors.h"

namespace hl {

namespace {

std::shared_timed_mutex g_blas_lock;  // exclusive: a threaded BlasThreads scope; shared: everyone else
// A turnstile in front of it: a waiting threaded scope holds it, so new shared holders queue behind
// it instead of starving it (the rwlock alone prefers readers, and jobs that overlap each other,
// like two trainings, would keep it shared forever).
std::timed_mutex g_turnstile;

}  // namespace

void single_threaded_blas_once() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

int thread_count() {
  const int n = static_cast<int>(std::thread::hardware_concurrency());
  return n > 0 ? n : 1;
}

int resolve_threads(int requested) {
  require(requested >= 0 && requested <= kMaxThreads,
          "threads must be in [1, " + std::to_string(kMaxThreads) + "] (0 = all cores); received " + std::to_string(requested));
  single_threaded_blas_once();
  return requested > 0 ? requested : thread_count();
}

void parallel_for(Index tasks, int threads, const Control* control, const std::function<void(Index, int)>& body) {
  if (tasks <= 0) return;
  single_threaded_blas_once();
  const int workers = static_cast<int>(std::max<Index>(1, std::min<Index>(threads, tasks)));
  if (workers == 1) {
    for (Index t = 0; t < tasks; ++t) {
      if (control) control->check();
      body(t, 0);
    }
    return;
  }
  std::atomic<Index> next{0};
  std::atomic<bool> stop{false};
  std::exception_ptr failure;
  std::mutex mutex;  // guards failure
  auto work = [&](int worker) {
    try {
      for (Index t = next++; t < tasks && !stop.load(std::memory_order_relaxed); t = next++) {
        if (control) control->check();
        body(t, worker);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(workers - 1));
  try {
    for (int w = 1; w < workers; ++w) pool.emplace_back(work, w);
  } catch (const std::system_error&) {
    // The system refused another thread: the ones that started (and this one) take every task.
  }
  work(0);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
}

void parallel_ranges(Index n, int threads, Index grain, const std::function<void(Index, Index, int)>& body) {
  if (n <= 0) return;
  const Index pieces = std::max<Index>(1, std::min<Index>(Index(threads) * 4, n / std::max<Index>(grain, 1)));
  const Index size = (n + pieces - 1) / pieces;
  parallel_for((n + size - 1) / size, threads, nullptr,
               [&](Index t, int worker) { body(t * size, std::min(n, (t + 1) * size), worker); });
}

BlasThreads::BlasThreads(int threads, const Control* control) : exclusive_(threads > 1) {
  single_threaded_blas_once();
  constexpr auto kPoll = std::chrono::milliseconds(20);
  auto wait = [&](auto&& try_for) {
    while (!try_for(kPoll))
      if (control) control->check();
  };
  wait([](auto d) { return g_turnstile.try_lock_for(d); });
  if (exclusive_) {
    try {
      wait([](auto d) { return g_blas_lock.try_lock_for(d); });
    } catch (...) {
      g_turnstile.unlock();
      throw;
    }
    g_turnstile.unlock();
    openblas_set_num_threads(threads);
  } else {
    g_turnstile.unlock();
    wait([](auto d) { return g_blas_lock.try_lock_shared_for(d); });
  }
}

BlasThreads::~BlasThreads() {
  if (exclusive_) {
    openblas_set_num_threads(1);
    g_blas_lock.unlock();
  } else {
    g_blas_lock.unlock_shared();
  }
}

}  // namespace hl
