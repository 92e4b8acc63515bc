// Helpers for runtimes whose models take one table of numbers: rows of F features.
// The built-in XGBoost and libsvm runtimes use them; so can a host application's runtime.
#ifndef MODELREPO_TABULAR_H_
#define MODELREPO_TABULAR_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "modelrepo/status.h"
#include "modelrepo/tensor.h"

namespace modelrepo {

// A row-major [rows, cols] matrix of T, viewing the tensor's bytes when no conversion is needed
// and owning a converted copy otherwise. Valid while the tensor it was made from lives.
template <class T>
class FeatureMatrix {
 public:
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  const T* data() const { return data_; }
  const T* row(int64_t i) const { return data_ + i * cols_; }

 private:
  friend Status ToFeatureMatrix(const Tensor&, int64_t, std::string_view, FeatureMatrix<float>*);
  friend Status ToFeatureMatrix(const Tensor&, int64_t, std::string_view, FeatureMatrix<double>*);
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  const T* data_ = nullptr;
  std::vector<T> storage_;
};

// Reads `input` as a table: shape [N, F], or [F] for one row. Any numeric datatype is converted
// (BOOL to 0/1, FP16 widened, integers cast); BYTES is refused. `features` is the model's feature
// count, or -1 to accept any. Errors are InvalidArgument and name `model` and both counts.
Status ToFeatureMatrix(const Tensor& input, int64_t features, std::string_view model,
                       FeatureMatrix<float>* out);
Status ToFeatureMatrix(const Tensor& input, int64_t features, std::string_view model,
                       FeatureMatrix<double>* out);

// The one input tensor of a tabular model: exactly one, or InvalidArgument naming the model.
StatusOr<const Tensor*> SingleInput(const std::vector<Tensor>& inputs, std::string_view model);

// IEEE 754 half <-> float.
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);

}  // namespace modelrepo

#endif  // MODELREPO_TABULAR_H_
