#include "dense_matrix.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include <omp.h>

namespace hl {

void DenseMatrix::Free::operator()(void* p) const noexcept {
  if (mapped) {
    ::munmap(p, mapped);
    if (fd >= 0) ::close(fd);
  } else {
    std::free(p);
  }
}

namespace {

// A memfd of `bytes` mapped read-write, or {nullptr, -1} (the caller falls back to malloc). The
// fd is close-on-exec: only the eigensolver helper receives it, explicitly (eigen_process.cc).
std::pair<void*, int> shared_alloc(size_t bytes) {
  const int fd = static_cast<int>(::syscall(SYS_memfd_create, "hessian-lab-matrix", MFD_CLOEXEC));
  if (fd < 0) return {nullptr, -1};
  if (::ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    ::close(fd);
    return {nullptr, -1};
  }
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    ::close(fd);
    return {nullptr, -1};
  }
  return {p, fd};
}

}  // namespace

DenseMatrix::DenseMatrix(Index rows, Index cols, Dtype dtype, bool column_major, std::unique_ptr<void, Free> data)
    : rows_(rows), cols_(cols), dtype_(dtype), column_major_(column_major), data_(std::move(data)) {}

std::unique_ptr<DenseMatrix> DenseMatrix::map_shared(int fd, Index rows, Index cols, Dtype dtype, bool column_major) {
  require(rows >= 1 && cols >= 1, "matrix dimensions must be >= 1");
  const size_t bytes = static_cast<size_t>(rows) * static_cast<size_t>(cols) * static_cast<size_t>(dtype_size(dtype));
  struct stat st;
  require(::fstat(fd, &st) == 0 && static_cast<size_t>(st.st_size) >= bytes, "the shared matrix file is smaller than the matrix");
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) fail(ErrorKind::OutOfMemory, std::string("cannot map the shared matrix: ") + std::strerror(errno));
  return std::unique_ptr<DenseMatrix>(
      new DenseMatrix(rows, cols, dtype, column_major, std::unique_ptr<void, Free>(p, Free{bytes, -1})));
}

DenseMatrix::DenseMatrix(Index rows, Index cols, Dtype dtype, bool column_major, bool shared)
    : rows_(rows), cols_(cols), dtype_(dtype), column_major_(column_major) {
  require(rows >= 0 && cols >= 0, "matrix dimensions must be >= 0");
  const double bytes = double(rows) * double(cols) * double(dtype_size(dtype));
  void* p = nullptr;
  if ((bytes >= kSharedBytes || (shared && bytes > 0)) && bytes < 9.0e18) {
    auto [mem, fd] = shared_alloc(static_cast<size_t>(bytes));
    if (mem) data_ = std::unique_ptr<void, Free>(mem, Free{static_cast<size_t>(bytes), fd});
    p = mem;
  }
  if (!p) {
    p = bytes < 9.0e18 ? std::malloc(bytes > 0 ? static_cast<size_t>(bytes) : 1) : nullptr;
    if (p) data_ = std::unique_ptr<void, Free>(p, Free{});
  }
  if (!p) {
    std::ostringstream os;
    os << "cannot allocate a " << rows << " x " << cols << " " << dtype_name(dtype) << " matrix (" << bytes
       << " bytes); available: " << available_memory_bytes() << " bytes";
    fail(ErrorKind::OutOfMemory, os.str());
  }
  // Touch every page once, in parallel: the kernel zeroes pages on first touch (0.3 s/GB on bare
  // metal, up to 2.6 s/GB measured on VMs here), and paying that inside the single-threaded
  // scatter loops would serialise it. A mapping (page-aligned) is populated by one madvise per
  // thread where the kernel has MADV_POPULATE_WRITE (5.14+): no fault per page, ~20% less time
  // than touching for a 185 MB memfd here; anything it does not populate is touched.
  const Index page = 4096, n = static_cast<Index>(bytes);
  char* c = static_cast<char*>(p);
  const bool mapped = data_.get_deleter().mapped != 0;
#pragma omp parallel
  {
    const Index parts = omp_get_num_threads(), t = omp_get_thread_num();
    const Index pages = (n + page - 1) / page, per = (pages + parts - 1) / parts;
    const Index b = std::min(n, t * per * page), e = std::min(n, (t + 1) * per * page);
    bool populated = false;
#ifdef MADV_POPULATE_WRITE
    populated = mapped && b < e && ::madvise(c + b, static_cast<size_t>(e - b), MADV_POPULATE_WRITE) == 0;
#endif
    if (!populated)
      for (Index off = b; off < e; off += page) c[off] = 0;
  }
}

double DenseMatrix::at(Index i, Index j) const {
  const Index k = column_major_ ? j * rows_ + i : i * cols_ + j;
  return dtype_ == Dtype::F64 ? static_cast<const double*>(data_.get())[k] : static_cast<const float*>(data_.get())[k];
}

void DenseMatrix::copy_block(Index r0, Index r1, Index c0, Index c1, double* out) const {
  require(0 <= r0 && r0 <= r1 && r1 <= rows_ && 0 <= c0 && c0 <= c1 && c1 <= cols_, "block out of range");
  const Index w = c1 - c0;
  for (Index i = r0; i < r1; ++i)
    for (Index j = c0; j < c1; ++j) out[(i - r0) * w + (j - c0)] = at(i, j);
}

void DenseMatrix::save_npy(const std::string& path) const {
  std::ostringstream dict;
  dict << "{'descr': '" << (dtype_ == Dtype::F64 ? "<f8" : "<f4") << "', 'fortran_order': "
       << (column_major_ ? "True" : "False") << ", 'shape': (" << rows_ << ", " << cols_ << "), }";
  std::string header = dict.str();
  // Magic (6) + version (2) + header length (2 or 4) + header, padded with spaces to a multiple of
  // 64 and ended by a newline (format spec). Our dict is short, so version 1.0 always fits.
  size_t prefix = 10;
  size_t total = prefix + header.size() + 1;
  size_t padded = (total + 63) / 64 * 64;
  header.append(padded - total, ' ');
  header.push_back('\n');
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) fail(ErrorKind::Io, "cannot write " + path + ": " + std::strerror(errno));
  const unsigned char magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  const unsigned short hlen = static_cast<unsigned short>(header.size());
  bool ok = std::fwrite(magic, 1, 8, f) == 8 && std::fwrite(&hlen, 2, 1, f) == 1 &&
            std::fwrite(header.data(), 1, header.size(), f) == header.size();
  const size_t n = static_cast<size_t>(rows_) * static_cast<size_t>(cols_);
  ok = ok && std::fwrite(data_.get(), dtype_size(dtype_), n, f) == n;
  ok = (std::fflush(f) == 0) && ok && ::fsync(fileno(f)) == 0;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    fail(ErrorKind::Io, "cannot write " + path + ": " + std::strerror(errno));
  }
}

double available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double value;
  std::string unit;
  while (in >> key >> value) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return value * 1024.0;
  }
  long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? double(pages) * double(page) : -1.0;
}

}  // namespace hl
