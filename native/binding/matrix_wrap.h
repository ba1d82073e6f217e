// Matrix: the JS handle of a dense matrix that stays in native memory (a Hessian, a GGN, an
// eigenvector matrix). JS never receives the whole matrix unless it asks for a block; O(n²)-and-up
// operations (eigen, multiply, saveNpy) are async. dispose() frees the memory now; the finalizer
// frees it otherwise. One async operation at a time per matrix (busy guard); a disposed or busy
// matrix throws a clear Error instead of touching freed or changing memory.
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>
#include <string>
#include <utility>

#include "../core/dense_matrix.h"

namespace hlnode {

class MatrixWrap : public Napi::ObjectWrap<MatrixWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  /// A new JS Matrix owning m.
  static Napi::Object New(Napi::Env env, std::shared_ptr<hl::DenseMatrix> m);
  explicit MatrixWrap(const Napi::CallbackInfo& info);
  ~MatrixWrap() override;

  /// RAII claim on a matrix for the duration of a job; released when the job object dies.
  class Lease {
   public:
    explicit Lease(std::shared_ptr<std::atomic<bool>> busy) : busy_(std::move(busy)) {}
    Lease(Lease&&) = default;
    ~Lease() { if (busy_) busy_->store(false); }
   private:
    std::shared_ptr<std::atomic<bool>> busy_;
  };

  /// `v` as a live, idle Matrix handle claimed for a job that writes into it (a reused output),
  /// checked to be rows x cols, row-major, of `dtype`; throws naming `param` otherwise.
  static std::pair<std::shared_ptr<hl::DenseMatrix>, Lease> ClaimOutput(Napi::Env env, const Napi::Value& v,
                                                                        const std::string& param, hl::Index rows,
                                                                        hl::Index cols, hl::Dtype dtype);

 private:
  static Napi::Value JS_fromArray(const Napi::CallbackInfo& info);
  Napi::Value JS_rows(const Napi::CallbackInfo& info);
  Napi::Value JS_cols(const Napi::CallbackInfo& info);
  Napi::Value JS_dtype(const Napi::CallbackInfo& info);
  Napi::Value JS_disposed(const Napi::CallbackInfo& info);
  Napi::Value JS_block(const Napi::CallbackInfo& info);
  Napi::Value JS_eigen(const Napi::CallbackInfo& info);
  Napi::Value JS_multiply(const Napi::CallbackInfo& info);
  Napi::Value JS_saveNpy(const Napi::CallbackInfo& info);
  Napi::Value JS_dispose(const Napi::CallbackInfo& info);

  /// The matrix, or a thrown Error if disposed / busy. `claim` marks it busy for a job.
  std::shared_ptr<hl::DenseMatrix> Use(Napi::Env env, bool claim);
  void Release();

  std::shared_ptr<hl::DenseMatrix> m_;
  std::shared_ptr<std::atomic<bool>> busy_ = std::make_shared<std::atomic<bool>>(false);
  int64_t external_bytes_ = 0;
  Napi::Env env_;
};

}  // namespace hlnode
