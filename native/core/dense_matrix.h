// A dense matrix in native memory, float64 or float32, that JavaScript holds through a handle.
//
// Storage is row-major with ld = cols. Symmetric matrices (Hessians) are stored in full, both
// triangles, so a row-major block read, a .npy dump and LAPACK's column-major view all agree
// (the transpose of a symmetric matrix is itself). Eigenvector matrices are n x k with eigenvector
// j in column j (as numpy.linalg.eigh returns them), stored column-major; `column_major` says so.
//
// Allocation does not zero-fill; it touches each page once, in parallel, so that the kernel's
// first-touch cost is spread over the cores. Failure is reported as OutOfMemory, never as
// std::bad_alloc escaping.
//
// Matrices of kSharedBytes and more live in an anonymous shared-memory file (Linux memfd_create)
// mapped into the process, so that a helper process can map the same pages without a copy: the
// eigensolver runs there to be stoppable (eigen_process.h). Where memfd is unavailable they fall
// back to malloc, and eigensolves to running in-process.
#pragma once

#include <memory>
#include <string>

#include "errors.h"
#include "linalg.h"

namespace hl {

enum class Dtype { F64, F32 };
inline Index dtype_size(Dtype d) { return d == Dtype::F64 ? 8 : 4; }
inline const char* dtype_name(Dtype d) { return d == Dtype::F64 ? "float64" : "float32"; }

class DenseMatrix {
 public:
  /// Matrices at least this large are memfd-backed (1 MiB: a 362 x 362 float64 matrix).
  static constexpr double kSharedBytes = 1 << 20;

  /// `shared`: memfd-backed whatever the size (when memfd is available).
  DenseMatrix(Index rows, Index cols, Dtype dtype, bool column_major = false, bool shared = false);
  /// Maps the shared-memory file `fd` (from another process's shared_fd()) as a rows x cols
  /// matrix; the mapping is released with the matrix, the fd is not closed.
  static std::unique_ptr<DenseMatrix> map_shared(int fd, Index rows, Index cols, Dtype dtype, bool column_major);
  /// The memfd holding the entries, or -1 when they are in private memory.
  int shared_fd() const { return data_.get_deleter().fd; }
  Index rows() const { return rows_; }
  Index cols() const { return cols_; }
  Dtype dtype() const { return dtype_; }
  bool column_major() const { return column_major_; }
  double bytes() const { return double(rows_) * double(cols_) * double(dtype_size(dtype_)); }
  double* f64() { return dtype_ == Dtype::F64 ? static_cast<double*>(data_.get()) : nullptr; }
  float* f32() { return dtype_ == Dtype::F32 ? static_cast<float*>(data_.get()) : nullptr; }
  const void* raw() const { return data_.get(); }
  void* raw() { return data_.get(); }

  /// Element (i, j) as double.
  double at(Index i, Index j) const;
  /// Copies rows [r0, r1) x cols [c0, c1) into out (row-major, (r1-r0) x (c1-c0)), as double.
  void copy_block(Index r0, Index r1, Index c0, Index c1, double* out) const;
  /// Writes the matrix as a NumPy .npy file (v1.0 / v2.0 header), atomically (temp file + rename).
  void save_npy(const std::string& path) const;

 private:
  struct Free {
    // (Constructors spelled out: GCC does not see a nested class with member initialisers as
    // default-constructible inside its enclosing class, which unique_ptr requires.)
    Free() noexcept {}
    Free(size_t m, int f) noexcept : mapped(m), fd(f) {}
    size_t mapped = 0;  // bytes mapped (0: the memory is from malloc)
    int fd = -1;        // memfd to close with the mapping (-1: none or not ours)
    void operator()(void* p) const noexcept;
  };
  DenseMatrix(Index rows, Index cols, Dtype dtype, bool column_major, std::unique_ptr<void, Free> data);
  Index rows_, cols_;
  Dtype dtype_;
  bool column_major_;
  std::unique_ptr<void, Free> data_;
};

/// Bytes of memory available to this process now (Linux MemAvailable), or -1 if unknown.
double available_memory_bytes();

}  // namespace hl
