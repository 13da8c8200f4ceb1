#pragma once
/// keras::random: seeded, counter-based (Philox-4x32-10) random tensors.
///
/// Example:
///   keras::utils::set_random_seed(42);             // reproducible everywhere
///   auto w = keras::random::normal({784, 256}, {.stddev = 0.05});
///   keras::random::SeedGenerator gen(1337);
///   auto u = keras::random::uniform({4}, {.seed = gen});
///
/// Element i of a draw depends only on (key, counter, i), never on the
/// number of threads.
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "keras/tensor.hpp"

namespace keras::random {

/// A stream of seeds: each draw advances its state, so two draws differ but
/// the sequence is reproducible from the initial seed.
class SeedGenerator {
 public:
  /// Seeded from the global generator (set_random_seed) when seed is none.
  explicit SeedGenerator(std::optional<uint64_t> seed = std::nullopt);
  /// The next (key, counter) pair, advancing the state.
  std::pair<uint64_t, uint64_t> next();
  uint64_t initial_seed() const { return seed_; }
  /// The number of draws so far (saved with checkpoints to resume streams).
  uint64_t state() const { return *counter_; }
  void set_state(uint64_t counter) { *counter_ = counter; }

 private:
  uint64_t seed_ = 0;
  std::shared_ptr<uint64_t> counter_ = std::make_shared<uint64_t>(0);
};

/// The seed argument of random functions: an integer (stateless: the same
/// integer gives the same numbers), a SeedGenerator (advanced by each draw),
/// or none (the global generator).
class Seed {
 public:
  Seed() = default;
  Seed(int seed) : int_(static_cast<uint64_t>(seed)) {}  // NOLINT
  Seed(uint64_t seed) : int_(seed) {}                    // NOLINT
  Seed(SeedGenerator& gen) : gen_(&gen) {}               // NOLINT
  /// The (key, counter) to draw with.
  std::pair<uint64_t, uint64_t> resolve() const;

 private:
  std::optional<uint64_t> int_;
  SeedGenerator* gen_ = nullptr;
};

struct NormalOptions {
  double mean = 0.0;
  double stddev = 1.0;
  DType dtype = DType::float32;
  Seed seed{};
};
struct UniformOptions {
  double minval = 0.0;
  double maxval = 1.0;
  DType dtype = DType::float32;
  Seed seed{};
};

Tensor normal(const Shape& shape, NormalOptions options = {});
Tensor uniform(const Shape& shape, UniformOptions options = {});
/// Normal values redrawn until within two standard deviations of the mean.
Tensor truncated_normal(const Shape& shape, NormalOptions options = {});
/// Integers in [minval, maxval).
Tensor randint(const Shape& shape, int64_t minval, int64_t maxval, DType dtype = DType::int32, Seed seed = {});
/// Keras' dropout: zeroes each element with probability `rate` and scales
/// the others by 1 / (1 - rate). noise_shape broadcasts the mask.
Tensor dropout(const Tensor& x, double rate, std::optional<Shape> noise_shape = std::nullopt, Seed seed = {});
/// The keep mask dropout uses (bool, true = keep), drawn with probability 1 - rate.
Tensor dropout_mask(const Shape& shape, double rate, Seed seed = {});
/// x with its slices along axis in a random order.
Tensor shuffle(const Tensor& x, int64_t axis = 0, Seed seed = {});
/// A random permutation of 0..n-1 (int32).
Tensor permutation(int64_t n, Seed seed = {});

/// The global generator's (seed, draws so far): what a checkpoint saves to resume a run exactly.
std::pair<uint64_t, uint64_t> global_generator_state();
/// Puts the global generator back in a state global_generator_state() returned.
void set_global_generator_state(uint64_t seed, uint64_t draws);

}  // namespace keras::random

namespace keras::utils {
/// Seeds every source of randomness in keras.cpp (the global SeedGenerator).
void set_random_seed(uint64_t seed);
}  // namespace keras::utils
