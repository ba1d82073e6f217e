#include <omp.h>

#include <thread>

#include "linalg.h"

namespace hl {

namespace {
int g_threads = 0;  // 0 = not set: all cores
}

void set_thread_count(int threads) {
  int n = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  if (n < 1) n = 1;
  g_threads = n;
  openblas_set_num_threads(n);
  omp_set_num_threads(n);
}

int thread_count() {
  if (g_threads > 0) return g_threads;
  int n = static_cast<int>(std::thread::hardware_concurrency());
  return n > 0 ? n : 1;
}

SingleThreadedBlas::SingleThreadedBlas(bool active) {
  if (!active) return;
  saved_ = openblas_get_num_threads();
  openblas_set_num_threads(1);
}

SingleThreadedBlas::~SingleThreadedBlas() {
  if (saved_ > 0) openblas_set_num_threads(saved_);
}

}  // namespace hl
