// Embedding: lookups against Keras 3 (tests/fixtures/rnn.npz), the mask of mask_zero, weight
// shape / name / default initializer, gradients (scatter-add into the table) and errors.
#include <gtest/gtest.h>

#include <keras/keras.hpp>
#include <keras/layers/embedding.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "harness/check_op.hpp"
#include "harness/expect_error.hpp"

namespace ops = keras::ops;
namespace layers = keras::layers;
using keras::DType;
using keras::Shape;
using keras::Tensor;
using keras::testing::all_close;

namespace {
const std::map<std::string, Tensor>& fixtures() {
  static const auto f = keras::npy::load_npz(keras::testing::fixture("rnn.npz"));
  return f;
}
Tensor fx(const std::string& key) { return fixtures().at(key); }
}  // namespace

TEST(EmbeddingLayer, LookupMatchesKeras) {
  for (const std::string name : {"emb", "embm"}) {
    layers::Embedding emb({.input_dim = 10, .output_dim = 4, .mask_zero = name == "embm"});
    const Tensor ids = fx(name + "_x");
    emb(ids);
    emb->set_weights({fx(name + "_w0")});
    const Tensor y = emb(ids);
    EXPECT_TRUE(all_close(y, fx(name + "_y0"), 0, 0));
    EXPECT_EQ(y.shape(), Shape({2, 3, 4}));
    EXPECT_EQ(emb->count_params(), 40);  // Keras: 10 * 4
    EXPECT_EQ(fx(name + "_params").item<int64_t>(), 40);
    // Float ids are cast to int32, as Keras does.
    EXPECT_TRUE(all_close(emb(ops::cast(ids, DType::float32)), y, 0, 0));
  }
}

TEST(EmbeddingLayer, MaskZero) {
  layers::Embedding emb({.input_dim = 10, .output_dim = 4, .mask_zero = true});
  const Tensor ids = fx("embm_x");
  const Tensor y = emb(ids);
  const Tensor m = keras::get_keras_mask(y);
  ASSERT_TRUE(m.defined());
  EXPECT_EQ(m.shape(), Shape({2, 3}));
  auto want = fx("embm_mask").to_vector<uint8_t>();
  auto got = m.to_vector<bool>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i] != 0) << i;
  EXPECT_TRUE(emb->supports_masking());
  layers::Embedding plain(10, 4);
  EXPECT_FALSE(keras::get_keras_mask(plain(ids)).defined());
  EXPECT_FALSE(plain->supports_masking());
}

TEST(EmbeddingLayer, WeightAndInitializer) {
  layers::Embedding emb(50, 8);
  emb(Tensor(std::vector<int32_t>{1, 2}, Shape{2}));
  ASSERT_EQ(emb->weights().size(), 1u);
  EXPECT_EQ(emb->weights()[0].name(), "embeddings");
  EXPECT_EQ(emb->weights()[0].shape(), Shape({50, 8}));
  // "uniform": RandomUniform(-0.05, 0.05).
  for (float v : emb->embeddings().value().to_vector<float>()) {
    EXPECT_GE(v, -0.05f);
    EXPECT_LE(v, 0.05f);
  }
  EXPECT_EQ(emb->compute_output_shape({-1, 7}), Shape({-1, 7, 8}));
  auto c = emb->get_config();
  EXPECT_EQ(c["input_dim"], 50);
  EXPECT_EQ(c["output_dim"], 8);
  EXPECT_EQ(c["mask_zero"], false);
}

TEST(EmbeddingLayer, GradientScattersIntoTable) {
  layers::Embedding emb({.input_dim = 4, .output_dim = 2, .dtype = DType::float64});
  const Tensor ids(std::vector<int32_t>{1, 3, 1, 0, 1, 2}, Shape{2, 3});
  emb(ids);
  keras::GradientTape tape;
  const Tensor w = keras::testing::uniform({2, 3, 2}, 0.5, 1.5, 9);
  Tensor loss = ops::sum(ops::multiply(emb(ids), w));
  auto g = tape.gradient(loss, emb->trainable_weights())[0].to_vector<double>();
  auto wv = w.to_vector<double>();
  std::vector<double> want(8, 0.0);
  const int id[6] = {1, 3, 1, 0, 1, 2};
  for (int i = 0; i < 6; ++i)
    for (int k = 0; k < 2; ++k) want[id[i] * 2 + k] += wv[i * 2 + k];
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(g[i], want[i], 1e-12) << i;
}

TEST(EmbeddingLayer, Errors) {
  expect_error<keras::ValueError>([] { layers::Embedding(0, 4); },
                                  "`input_dim` must be a positive integer. Received: input_dim=0");
  expect_error<keras::ValueError>([] { layers::Embedding(4, -1); },
                                  "`output_dim` must be a positive integer. Received: output_dim=-1");
}
