#include "npy_io.h"

#include <cstring>
#include <stdexcept>

namespace hlmpi {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw std::runtime_error(path + ": " + what); }

/// The value text after 'key': in the header dict.
std::string dict_value(const std::string& header, const std::string& key) {
  const size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) return "";
  size_t i = header.find(':', at);
  if (i == std::string::npos) return "";
  ++i;
  while (i < header.size() && header[i] == ' ') ++i;
  if (i < header.size() && header[i] == '(') return header.substr(i, header.find(')', i) - i + 1);
  size_t end = header.find(',', i);
  return header.substr(i, end == std::string::npos ? std::string::npos : end - i);
}

}  // namespace

NpyArray read_npy(const std::string& path, bool header_only) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) fail(path, "cannot open (" + std::string(std::strerror(errno)) + ")");
  struct Closer { std::FILE* f; ~Closer() { std::fclose(f); } } closer{f};
  unsigned char pre[10];
  if (std::fread(pre, 1, 10, f) != 10 || std::memcmp(pre, "\x93NUMPY", 6) != 0) fail(path, "not a .npy file");
  std::size_t hlen = pre[8] | (pre[9] << 8);
  if (pre[6] >= 2) {
    unsigned char more[2];
    if (std::fread(more, 1, 2, f) != 2) fail(path, "truncated header");
    hlen |= (std::size_t(more[0]) << 16) | (std::size_t(more[1]) << 24);
  }
  std::string header(hlen, ' ');
  if (std::fread(&header[0], 1, hlen, f) != hlen) fail(path, "truncated header");
  const std::string descr = dict_value(header, "descr");
  if (dict_value(header, "fortran_order").find("False") == std::string::npos) fail(path, "expected C order");
  NpyArray a;
  std::string shape = dict_value(header, "shape");
  std::int64_t count = 1;
  for (size_t i = 1; i < shape.size();) {
    if (shape[i] >= '0' && shape[i] <= '9') {
      size_t used = 0;
      const std::int64_t v = std::stoll(shape.substr(i), &used);
      a.shape.push_back(v);
      count *= v;
      i += used;
    } else {
      ++i;
    }
  }
  auto read_all = [&](void* dest, std::size_t bytes) {
    if (std::fread(dest, 1, bytes, f) != bytes) fail(path, "truncated data");
  };
  if (header_only) return a;
  if (descr.find("<f8") != std::string::npos) {
    a.f64.resize(size_t(count));
    read_all(a.f64.data(), size_t(count) * 8);
  } else if (descr.find("<i4") != std::string::npos) {
    a.i32.resize(size_t(count));
    read_all(a.i32.data(), size_t(count) * 4);
  } else {
    fail(path, "expected dtype <f8 or <i4; received " + descr);
  }
  return a;
}

NpyWriter::NpyWriter(const std::string& path, const std::vector<std::int64_t>& shape, bool fortran_order)
    : path_(path), tmp_(path + ".tmp") {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) dims += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1) dims += ",";
  const std::string dict = "{'descr': '<f8', 'fortran_order': " + std::string(fortran_order ? "True" : "False") +
                           ", 'shape': (" + dims + "), }";
  // Magic + version + 2-byte length + header, padded with spaces and '\n' to a multiple of 64.
  std::string header = dict;
  const size_t total = 10 + header.size() + 1;
  header.append((total + 63) / 64 * 64 - total, ' ');
  header.push_back('\n');
  file_ = std::fopen(tmp_.c_str(), "wb");
  if (file_ == nullptr) fail(tmp_, "cannot create (" + std::string(std::strerror(errno)) + ")");
  const unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<unsigned char>(header.size() & 0xff),
                                 static_cast<unsigned char>(header.size() >> 8)};
  if (std::fwrite(pre, 1, 10, file_) != 10 || std::fwrite(header.data(), 1, header.size(), file_) != header.size())
    fail(tmp_, "write failed");
}

NpyWriter::~NpyWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::remove(tmp_.c_str());
  }
}

void NpyWriter::write(const double* data, std::int64_t count) {
  if (std::fwrite(data, 8, size_t(count), file_) != size_t(count)) fail(tmp_, "write failed (disk full?)");
}

void NpyWriter::close() {
  const bool ok = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok || std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    std::remove(tmp_.c_str());
    fail(path_, "could not be written");
  }
}

void write_text_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) fail(tmp, "cannot create");
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    fail(path, "could not be written");
  }
}

}  // namespace hlmpi
