#pragma once
/// keras::utils::split_dataset: splits arrays into a left and a right Dataset (keras.utils.split_dataset).
///
/// Example:
///   // x: (1000, 4), y: (1000,)
///   auto [train, val] = keras::utils::split_dataset({x, y}, 0.8, std::nullopt, /*shuffle=*/true, 42);
///   // train.cardinality() == 800, val.cardinality() == 200; elements ((4,), ())
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "keras/data/dataset.hpp"
#include "keras/tensor.hpp"

namespace keras::utils {

/// Splits arrays of one length n (sliced along axis 0, as from_tensor_slices) into a left dataset of the
/// first left_size rows and a right dataset of the last right_size rows, after shuffling the rows when
/// shuffle is true (by seed; none draws one from the global generator, keras::utils::set_random_seed).
///
/// A size strictly between 0 and 1 is a fraction of n (rounded half to even, as Python's round), any
/// other value a count of rows, which must be a whole number in [1, n). Keras tells the two apart by
/// Python type (0.5 versus 5), so the only difference is that 1.0 is a count of 1 here where Keras rejects
/// it. A missing size is the complement of the other; rows beyond left_size + right_size belong to
/// neither. Raises keras::ValueError with Keras' messages: both sizes missing or zero, a size out of
/// range, fractions summing past 1, sizes summing past n, an empty side, no arrays, arrays of
/// different lengths or without rows.
std::pair<data::Dataset, data::Dataset> split_dataset(const std::vector<Tensor>& arrays,
                                                      std::optional<double> left_size,
                                                      std::optional<double> right_size = std::nullopt,
                                                      bool shuffle = false,
                                                      std::optional<uint64_t> seed = std::nullopt);

}  // namespace keras::utils
