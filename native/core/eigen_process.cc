#include "eigen_process.h"

#include "threads.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

extern char** environ;

namespace hl {

std::string eigensolver_helper_path() {
  if (const char* env = std::getenv("HESSIAN_LAB_EIGENSOLVER")) {
    const std::string p = env;
    if (p.empty() || p == "inprocess") return "";
    return ::access(p.c_str(), X_OK) == 0 ? p : "";
  }
  static const std::string beside = [] {
    Dl_info info{};
    if (!::dladdr(reinterpret_cast<void*>(&solve_symmetric_stoppable), &info) || !info.dli_fname) return std::string();
    std::string self = info.dli_fname;
    const size_t slash = self.rfind('/');
    const std::string p = (slash == std::string::npos ? std::string(".") : self.substr(0, slash)) + "/hessian_lab_eigensolver";
    return ::access(p.c_str(), X_OK) == 0 ? p : std::string();
  }();
  return beside;
}

namespace {

// The reply file: an EigenReply and n doubles in a memfd the helper maps too.
struct ReplyFile {
  int fd = -1;
  size_t bytes = 0;
  EigenReply* reply = nullptr;
  explicit ReplyFile(Index n) : bytes(sizeof(EigenReply) + sizeof(double) * static_cast<size_t>(n)) {
    fd = static_cast<int>(::syscall(SYS_memfd_create, "hessian-lab-eigen-reply", MFD_CLOEXEC));
    if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(bytes)) != 0) return;
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p != MAP_FAILED) reply = static_cast<EigenReply*>(p);
  }
  ~ReplyFile() {
    if (reply) ::munmap(reply, bytes);
    if (fd >= 0) ::close(fd);
  }
  const double* values() const { return reinterpret_cast<const double*>(reply + 1); }
};

// Restores the triangle the in-place drivers overwrite (see TrianglePreserver in eigensolver.cc),
// whatever became of the helper: the diagonal from a copy, the rest mirrored from the triangle
// LAPACK never writes. Harmless when the matrix was not touched.
template <typename T>
void restore_triangle(T* a, Index n, const std::vector<double>& diag) {
  for (Index j = 0; j < n; ++j) {
    a[j * n + j] = static_cast<T>(diag[static_cast<size_t>(j)]);
    for (Index i = j + 1; i < n; ++i) a[j * n + i] = a[i * n + j];
  }
}

// Kills and reaps the helper if it is still running when the scope ends (cancellation, errors).
struct Child {
  pid_t pid = -1;
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      int status;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    }
  }
};

pid_t spawn_helper(const std::string& path, const std::vector<std::string>& args, const std::vector<int>& fds) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  // dup2(fd, fd) in the child clears close-on-exec for exactly these descriptors (glibc >= 2.29).
  for (int fd : fds) posix_spawn_file_actions_adddup2(&actions, fd, fd);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int err = ::posix_spawn(&pid, path.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return err == 0 ? pid : -1;
}

const char* driver_arg(EigenDriver d) {
  switch (d) {
    case EigenDriver::Auto: return "auto";
    case EigenDriver::Syevd: return "syevd";
    case EigenDriver::Syevd2Stage: return "syevd_2stage";
    case EigenDriver::Syevr: return "syevr";
  }
  return "auto";
}

}  // namespace

EigenResult solve_symmetric_stoppable(DenseMatrix& a, const EigenRequest& req, const Control& control) {
  const Index n = a.rows();
  if (n != a.cols() || n < kProcessMinOrder || a.shared_fd() < 0) return solve_symmetric(a, req, control);
  const std::string helper = eigensolver_helper_path();
  if (helper.empty()) return solve_symmetric(a, req, control);
  control.report("eigensolve", 0.0);
  control.check();
  const Index k = eigenvector_count(n, req);
  std::unique_ptr<DenseMatrix> vectors;
  if (req.vectors) {
    vectors = std::make_unique<DenseMatrix>(n, k, a.dtype(), true, /*shared=*/true);
    if (vectors->shared_fd() < 0) return solve_symmetric(a, req, control, std::move(vectors));
  }
  ReplyFile reply(n);
  if (!reply.reply) return solve_symmetric(a, req, control, std::move(vectors));

  std::vector<double> diag(static_cast<size_t>(n));
  for (Index i = 0; i < n; ++i) diag[static_cast<size_t>(i)] = a.at(i, i);
  struct Restore {
    DenseMatrix& a;
    const std::vector<double>& diag;
    ~Restore() {
      if (a.f64()) restore_triangle(a.f64(), a.rows(), diag);
      else restore_triangle(a.f32(), a.rows(), diag);
    }
  } restore{a, diag};  // declared before `child`: runs after the helper is dead

  std::vector<int> fds = {a.shared_fd(), reply.fd};
  if (vectors) fds.push_back(vectors->shared_fd());
  const std::vector<std::string> args = {
      "--dtype", dtype_name(a.dtype()), "--n", std::to_string(n), "--column-major", a.column_major() ? "1" : "0",
      "--vectors", req.vectors ? "1" : "0", "--first", std::to_string(req.first), "--last", std::to_string(req.last),
      "--driver", driver_arg(req.driver), "--threads", std::to_string(resolve_threads(req.threads)),
      "--matrix-fd", std::to_string(a.shared_fd()), "--reply-fd", std::to_string(reply.fd),
      "--vectors-fd", std::to_string(vectors ? vectors->shared_fd() : -1), "--parent", std::to_string(::getpid())};
  Child child;
  child.pid = spawn_helper(helper, args, fds);
  if (child.pid < 0) return solve_symmetric(a, req, control, std::move(vectors));

  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(child.pid, &status, WNOHANG);
    if (r == child.pid) {
      child.pid = -1;
      break;
    }
    if (r < 0 && errno != EINTR) {
      child.pid = -1;
      fail(ErrorKind::Lapack, std::string("lost the eigensolver process: ") + std::strerror(errno));
    }
    control.check();  // throws Cancelled: ~Child kills the helper, ~Restore repairs the matrix
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
  const EigenReply& r = *reply.reply;
  if (WIFSIGNALED(status))
    fail(WTERMSIG(status) == SIGKILL ? ErrorKind::OutOfMemory : ErrorKind::Lapack,
         "the eigensolver process was killed by signal " + std::to_string(WTERMSIG(status)) +
             (WTERMSIG(status) == SIGKILL ? " (out of memory?)" : ""));
  if (!r.done) fail(ErrorKind::Lapack, "the eigensolver process exited (status " + std::to_string(WEXITSTATUS(status)) + ") without a result");
  if (!r.ok) fail(static_cast<ErrorKind>(r.kind), std::string(r.message, strnlen(r.message, sizeof(r.message))));
  EigenResult result;
  result.values.assign(reply.values(), reply.values() + r.count);
  result.driver = std::string(r.driver, strnlen(r.driver, sizeof(r.driver)));
  result.vectors = std::move(vectors);
  control.report("eigensolve", 1.0);
  return result;
}

}  // namespace hl
