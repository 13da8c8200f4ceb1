// keras::utils::split_dataset for in-memory arrays, after split_dataset and
// _rescale_dataset_split_sizes in keras/src/utils/dataset_utils.py.
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>
#include <string>

#include "data/tensor_util.hpp"
#include "keras/error.hpp"
#include "keras/random.hpp"
#include "keras/utils/dataset_utils.hpp"

namespace keras::utils {
namespace {

// Python's repr of a size: an integral value prints without a fraction, as the int Keras would get.
std::string repr(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  std::ostringstream ss;
  ss << v;
  return ss.str();
}

bool is_fraction(double v) { return v > 0 && v < 1; }

// A size must be a fraction in (0, 1) or a whole count in [1, total).
bool valid_size(double v, int64_t total) {
  return is_fraction(v) || (v == std::floor(v) && v >= 1 && v < static_cast<double>(total));
}

// _rescale_dataset_split_sizes: the sizes as row counts.
std::pair<int64_t, int64_t> rescale_split_sizes(std::optional<double> left, std::optional<double> right,
                                                int64_t total) {
  if (left && right && *left == 0 && *right == 0)
    throw ValueError("Both `left_size` and `right_size` are zero. At least one of the split sizes must be non-zero.");
  if (left && !valid_size(*left, total))
    throw ValueError("`left_size` should be either a positive integer smaller than " + std::to_string(total) +
                     ", or a float within the range `[0, 1]`. Received: left_size=" + repr(*left));
  if (right && !valid_size(*right, total))
    throw ValueError("`right_size` should be either a positive integer and smaller than " + std::to_string(total) +
                     " or a float within the range `[0, 1]`. Received: right_size=" + repr(*right));
  if (left && right && is_fraction(*left) && is_fraction(*right) && *left + *right > 1)
    throw ValueError("The sum of `left_size` and `right_size` is greater than 1. It must be less than or equal to 1.");
  // Python's round() rounds half to even, as nearbyint does in the default rounding mode.
  auto count = [total](double v) {
    return is_fraction(v) ? static_cast<int64_t>(std::nearbyint(v * static_cast<double>(total)))
                          : static_cast<int64_t>(v);
  };
  int64_t l = left ? count(*left) : 0;
  int64_t r = right ? count(*right) : 0;
  if (!left) l = total - r;
  if (!right) r = total - l;
  if (l + r > total)
    throw ValueError("The sum of `left_size` and `right_size` should be smaller than the " + std::to_string(total) +
                     ". Received: left_size + right_size = " + std::to_string(l + r) +
                     "and total_length = " + std::to_string(total));
  for (auto [split, side] : {std::pair{l, "left"}, std::pair{r, "right"}})
    if (split == 0)
      throw ValueError("With `dataset` of length=" + std::to_string(total) + ", `left_size`=" + std::to_string(l) +
                       " and `right_size`=" + std::to_string(r) + ".Resulting " + side +
                       " side dataset split will be empty. Adjust any of the aforementioned parameters");
  return {l, r};
}

}  // namespace

std::pair<data::Dataset, data::Dataset> split_dataset(const std::vector<Tensor>& arrays,
                                                      std::optional<double> left_size, std::optional<double> right_size,
                                                      bool shuffle, std::optional<uint64_t> seed) {
  if (!left_size && !right_size)
    throw ValueError(
        "At least one of the `left_size` or `right_size` must be specified. Received: left_size=None and "
        "right_size=None");
  if (arrays.empty()) throw ValueError("Received an empty list dataset. Please provide a non-empty list of arrays.");
  std::vector<Tensor> contiguous;
  for (size_t i = 0; i < arrays.size(); ++i) {
    data::detail::check_concrete(arrays[i], "split_dataset: array " + std::to_string(i));
    if (arrays[i].ndim() == 0)
      throw ValueError("split_dataset: array " + std::to_string(i) +
                       " is a scalar (shape ()); every array needs a leading axis of samples");
    if (arrays[i].shape()[0] != arrays[0].shape()[0])
      throw ValueError("Received a list of NumPy arrays with different lengths.Mismatch found at index " +
                       std::to_string(i) + ", Expected shape=" + arrays[0].shape().str() + " Received shape=" +
                       arrays[i].shape().str() + ".Please provide a list of NumPy arrays of the same length.");
    contiguous.push_back(arrays[i].contiguous());
  }
  const int64_t total = arrays[0].shape()[0];
  if (total == 0)
    throw ValueError(
        "Received an empty dataset. Argument `dataset` must be a non-empty list/tuple of `numpy.ndarray` objects "
        "or `tf.data.Dataset` objects.");

  std::vector<int64_t> order(static_cast<size_t>(total));
  std::iota(order.begin(), order.end(), int64_t{0});
  if (shuffle) {
    // Fisher-Yates with a 64-bit Mersenne Twister (fully specified, so a seed gives the same split
    // everywhere); without a seed, one is drawn from the global generator.
    std::mt19937_64 rng(seed ? *seed : random::SeedGenerator().initial_seed());
    for (int64_t i = total - 1; i > 0; --i) {
      const auto j = static_cast<int64_t>((static_cast<unsigned __int128>(rng()) * static_cast<uint64_t>(i + 1)) >> 64);
      std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
    }
  }
  const auto [l, r] = rescale_split_sizes(left_size, right_size, total);

  auto take = [&](int64_t begin, int64_t count) {
    std::vector<Tensor> parts;
    for (const Tensor& a : contiguous) parts.push_back(data::detail::gather_rows(a, order.data() + begin, count));
    return data::Dataset::from_tensor_slices(std::move(parts));
  };
  return {take(0, l), take(total - r, r)};
}

}  // namespace keras::utils
