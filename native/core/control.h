// Cancellation and progress for long native work, shared by every O(M²)-or-more routine.
//
// The caller owns a Control; the work polls `check()` between blocks (so cancellation latency is
// one block: one GEMM slab, one eigensolver call) and calls `report()` with a fraction in [0, 1].
// A cancelled check throws hl::Error(Cancelled) so cleanup is by RAII.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "errors.h"

namespace hl {

struct Control {
  std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);
  /// Called from the worker thread: (stage name, fraction done in [0, 1]). May be empty.
  std::function<void(const std::string&, double)> progress;

  void check() const {
    if (cancelled && cancelled->load(std::memory_order_relaxed)) fail(ErrorKind::Cancelled, "cancelled");
  }
  void report(const std::string& stage, double fraction) const {
    if (progress) progress(stage, fraction);
  }
};

}  // namespace hl
