// .npy in and out for the MPI driver. Reading: the fixed files the Node side writes (little-endian
// float64 '<f8' or int32 '<i4', C order, any shape); the shape is returned for the caller to check.
// Writing: streamed (header, then the data in pieces), so rank 0 can write an M x M eigenvector
// matrix it never holds whole; files appear atomically (written to PATH.tmp, renamed on close).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace hlmpi {

struct NpyArray {
  std::vector<std::int64_t> shape;
  std::vector<double> f64;        // when the file holds '<f8'
  std::vector<std::int32_t> i32;  // when it holds '<i4'
};

/// Throws std::runtime_error naming the file on anything but '<f8' / '<i4' C-order data.
NpyArray read_npy(const std::string& path, bool header_only = false);

class NpyWriter {
 public:
  /// Float64 of this shape; fortran_order true means the data comes column by column.
  NpyWriter(const std::string& path, const std::vector<std::int64_t>& shape, bool fortran_order);
  ~NpyWriter();  // removes the temp file unless close() succeeded
  void write(const double* data, std::int64_t count);
  void close();

 private:
  std::string path_, tmp_;
  std::FILE* file_ = nullptr;
};

/// Writes text to path atomically (temp file + rename).
void write_text_atomic(const std::string& path, const std::string& text);

}  // namespace hlmpi
