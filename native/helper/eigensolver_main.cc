// hessian_lab_eigensolver: the helper process of a stoppable eigensolve (core/eigen_process.h).
// It maps the matrix, the eigenvector matrix and the reply file from descriptors its parent
// passed, runs the same hl::solve_symmetric as in-process, and writes the reply. The parent kills
// it to cancel; it never outlives the parent (PR_SET_PDEATHSIG).
#include <sys/mman.h>
#include <sys/prctl.h>
#include <signal.h>
#include <unistd.h>

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <string>

#include "../core/eigen_process.h"
#include "../core/eigensolver.h"
#include "../core/threads.h"

namespace {

void copy_text(char* dst, size_t size, const std::string& s) {
  std::strncpy(dst, s.c_str(), size - 1);
  dst[size - 1] = 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> arg;
  for (int i = 1; i + 1 < argc; i += 2) arg[argv[i]] = argv[i + 1];
  auto num = [&](const char* key) { return std::strtoll(arg[key].c_str(), nullptr, 10); };
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != static_cast<pid_t>(num("--parent"))) return 3;  // the parent is already gone
  const hl::Index n = num("--n");
  const int reply_fd = static_cast<int>(num("--reply-fd"));
  if (n < 1) return 4;
  const size_t reply_bytes = sizeof(hl::EigenReply) + sizeof(double) * static_cast<size_t>(n);
  void* p = ::mmap(nullptr, reply_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, reply_fd, 0);
  if (p == MAP_FAILED) return 5;
  auto* reply = static_cast<hl::EigenReply*>(p);
  auto* values = reinterpret_cast<double*>(reply + 1);
  try {
    const hl::Dtype dtype = arg["--dtype"] == "float32" ? hl::Dtype::F32 : hl::Dtype::F64;
    // The parent's thread count for this solve: solve_symmetric gives it to OpenBLAS (threads.h);
    // OpenMP's count is set here, as this process does nothing else.
    const int threads = static_cast<int>(std::clamp<long long>(num("--threads"), 1, hl::kMaxThreads));
    omp_set_num_threads(threads);
    hl::EigenRequest req;
    req.threads = threads;
    req.vectors = num("--vectors") == 1;
    req.first = num("--first");
    req.last = num("--last");
    req.driver = hl::parse_driver(arg["--driver"]);
    auto A = hl::DenseMatrix::map_shared(static_cast<int>(num("--matrix-fd")), n, n, dtype, num("--column-major") == 1);
    std::unique_ptr<hl::DenseMatrix> V;
    if (req.vectors)
      V = hl::DenseMatrix::map_shared(static_cast<int>(num("--vectors-fd")), n, hl::eigenvector_count(n, req), dtype, true);
    hl::EigenResult r = hl::solve_symmetric(*A, req, hl::Control{}, std::move(V));
    for (size_t i = 0; i < r.values.size(); ++i) values[i] = r.values[i];
    reply->count = static_cast<std::int64_t>(r.values.size());
    copy_text(reply->driver, sizeof(reply->driver), r.driver);
    reply->ok = 1;
  } catch (const hl::Error& e) {
    reply->kind = static_cast<std::int64_t>(e.kind());
    copy_text(reply->message, sizeof(reply->message), e.what());
  } catch (const std::bad_alloc&) {
    reply->kind = static_cast<std::int64_t>(hl::ErrorKind::OutOfMemory);
    copy_text(reply->message, sizeof(reply->message), "out of memory in the eigensolver process");
  } catch (const std::exception& e) {
    reply->kind = static_cast<std::int64_t>(hl::ErrorKind::Lapack);
    copy_text(reply->message, sizeof(reply->message), e.what());
  }
  reply->done = 1;
  return 0;
}
