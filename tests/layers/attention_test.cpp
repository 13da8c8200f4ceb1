// Attention and MultiHeadAttention: outputs and attention scores against Keras 3 / JAX fixtures
// (tests/fixtures/attention.npz, written by gen_attention_fixtures.py) with the weights set from
// the fixture, parameter counts and weight shapes against Keras, finite-difference gradients
// (float64) of inputs and weights, use inside a Functional model, weights files, and Keras' errors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <keras/keras.hpp>
#include <keras/layers/attention.hpp>
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
  static const auto f = keras::npy::load_npz(keras::testing::fixture("attention.npz"));
  return f;
}

bool has(const std::string& key) { return fixtures().count(key) > 0; }

Tensor fx(const std::string& key) {
  auto it = fixtures().find(key);
  if (it == fixtures().end()) throw keras::NotFoundError("attention.npz has no array " + key);
  return it->second;
}

// A fresh copy of a float32 fixture (so a keras mask set on it does not stick to the shared one).
Tensor fresh(const Tensor& x) { return Tensor(x.to_vector<float>(), x.shape()); }

// The keras mask Masking(0.0) would attach: time steps that are not all zeros.
void attach_mask(const Tensor& x) { keras::set_keras_mask(x, ops::any(ops::not_equal(x, ops::zeros_like(x)), {-1})); }

// The inputs of a case: query, value (the query for self-attention), key when given; masked cases
// carry keras masks; the explicit attention_mask fourth (with value as the key when none).
std::vector<Tensor> case_inputs(const std::string& name, bool masked) {
  Tensor q = fresh(fx(name + "_q"));
  Tensor v = has(name + "_v") ? fresh(fx(name + "_v")) : q;
  std::vector<Tensor> in{q, v};
  if (has(name + "_k")) in.push_back(fresh(fx(name + "_k")));
  if (masked)
    for (const auto& t : in) attach_mask(t);
  if (has(name + "_am")) {
    if (in.size() == 2) in.push_back(v);
    in.push_back(fx(name + "_am"));
  }
  return in;
}

std::vector<Tensor> case_weights(const std::string& name) {
  std::vector<Tensor> ws;
  for (int i = 0; has(name + "_w" + std::to_string(i)); ++i) ws.push_back(fx(name + "_w" + std::to_string(i)));
  return ws;
}

// Runs a fixture case: output without scores (when Keras could compute it), and output + scores.
void expect_case(const std::string& name, const std::function<keras::LayerHandle(bool)>& make, bool masked = false) {
  SCOPED_TRACE(name);
  const auto ws = case_weights(name);
  if (has(name + "_y")) {
    keras::LayerHandle layer = make(false);
    auto in = case_inputs(name, masked);
    Tensor y = layer(in);
    EXPECT_EQ(layer->count_params(), fx(name + "_params").item<int64_t>());
    layer->set_weights(ws);
    y = layer(in);
    EXPECT_TRUE(all_close(y, fx(name + "_y"), 1e-4, 1e-5));
  }
  keras::LayerHandle layer = make(true);
  auto in = case_inputs(name, masked);
  layer(in);
  EXPECT_EQ(layer->count_params(), fx(name + "_params").item<int64_t>());
  layer->set_weights(ws);
  keras::Tensors out = layer(in);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(all_close(out[0], fx(name + "_ys"), 1e-4, 1e-5));
  EXPECT_TRUE(all_close(out[1], fx(name + "_s"), 1e-4, 1e-6));
  EXPECT_EQ(out[1].shape(), fx(name + "_s").shape());
  if (has(name + "_ymask")) {
    Tensor m = keras::get_keras_mask(out[0]);
    ASSERT_TRUE(m.defined());
    EXPECT_EQ(ops::cast(m, DType::int32).to_vector<int32_t>(),
              ops::cast(fx(name + "_ymask"), DType::int32).to_vector<int32_t>());
    EXPECT_FALSE(keras::get_keras_mask(out[1]).defined());
  } else {
    EXPECT_FALSE(keras::get_keras_mask(out[0]).defined());
  }
}

std::function<keras::LayerHandle(bool)> attention(layers::AttentionOptions o) {
  return [o](bool scores) {
    auto c = o;
    c.return_attention_scores = scores;
    return keras::LayerHandle(layers::Attention(c));
  };
}

std::function<keras::LayerHandle(bool)> mha(layers::MultiHeadAttentionOptions o) {
  return [o](bool scores) {
    auto c = o;
    c.return_attention_scores = scores;
    return keras::LayerHandle(layers::MultiHeadAttention(c));
  };
}

// d/dw of sum(f() * weighting) by the tape against central differences, for every trainable weight.
::testing::AssertionResult check_weight_gradients(keras::LayerHandle layer, const std::function<Tensor()>& f) {
  return keras::testing::check_weight_gradients(f, layer->trainable_weights());
}

void set_weights_f64(keras::LayerHandle layer) {
  std::vector<Tensor> ws;
  uint64_t seed = 3;
  for (auto& v : layer->weights()) ws.push_back(keras::testing::uniform(v.shape(), -0.8, 0.8, seed++));
  layer->set_weights(ws);
}

Tensor bool_tensor(const std::vector<int>& values, const Shape& shape) {
  return ops::cast(Tensor(values, shape), DType::bool_);
}

}  // namespace

// ---- Attention ----------------------------------------------------------------------------------------

TEST(Attention, MatchesKerasForEachScoreModeKeyAndMask) {
  expect_case("att_dot", attention({}));
  expect_case("att_key_scale", attention({.use_scale = true}));
  expect_case("att_concat", attention({.use_scale = true, .score_mode = "concat"}));
  expect_case("att_concat_noscale", attention({.score_mode = "concat"}));
  expect_case("att_causal", attention({.use_causal_mask = true}));
  // Query and value keras masks: masked query steps give zeros; the output keeps the query's mask.
  expect_case("att_masks", attention({}), true);
  expect_case("att_masks_causal", attention({.use_causal_mask = true}), true);
}

TEST(Attention, WeightsNamesAndConfig) {
  layers::Attention a({.use_scale = true, .score_mode = "concat"});
  Tensor q = keras::testing::uniform({2, 3, 4}, -1, 1, 1, DType::float32);
  Tensor y = a({q, q});
  EXPECT_EQ(y.shape(), Shape({2, 3, 4}));
  ASSERT_EQ(a->weights().size(), 2u);
  EXPECT_EQ(a->weights()[0].name(), "scale");
  EXPECT_EQ(a->weights()[1].name(), "concat_score_weight");
  EXPECT_EQ(a->weights()[0].shape(), Shape({}));
  EXPECT_EQ(a->count_params(), 2);
  EXPECT_EQ(a->name().rfind("attention", 0), 0u);
  const nlohmann::json c = a->get_config();
  EXPECT_EQ(c.at("use_scale"), true);
  EXPECT_EQ(c.at("score_mode"), "concat");
  EXPECT_EQ(c.at("dropout"), 0.0);
  EXPECT_TRUE(c.at("seed").is_null());
  EXPECT_FALSE(c.contains("use_causal_mask"));
  // Value of another width than query and key: output (batch, Tq, value dim).
  layers::Attention b;
  Tensor v = keras::testing::uniform({2, 5, 6}, -1, 1, 2, DType::float32);
  Tensor k = keras::testing::uniform({2, 5, 4}, -1, 1, 3, DType::float32);
  EXPECT_EQ(b({q, v, k})[0].shape(), Shape({2, 3, 6}));
  EXPECT_EQ(b->count_params(), 0);
}

TEST(Attention, DropoutActsOnlyInTraining) {
  layers::Attention a({.dropout = 0.5, .seed = 1, .return_attention_scores = true});
  Tensor q = keras::testing::uniform({2, 4, 3}, -1, 1, 1, DType::float32);
  Tensor v = keras::testing::uniform({2, 6, 3}, -1, 1, 2, DType::float32);
  auto inf = a({q, v}, false);
  auto tr = a({q, v}, true);
  // The returned scores are the weights before dropout; inference output = scores . value.
  EXPECT_TRUE(all_close(tr[1], inf[1], 1e-6, 1e-7));
  EXPECT_TRUE(all_close(inf[0], ops::matmul(inf[1], v), 1e-5, 1e-6));
  EXPECT_FALSE(all_close(tr[0], inf[0], 1e-3, 1e-3));
  EXPECT_EQ(a->own_seed_generators().size(), 1u);
}

TEST(Attention, GradientsOfInputsAndWeights) {
  for (std::string mode : {"dot", "concat"}) {
    SCOPED_TRACE(mode);
    layers::Attention a({.use_scale = true, .score_mode = mode, .use_causal_mask = true, .dtype = DType::float64});
    Tensor q = keras::testing::uniform({2, 3, 4}, -1, 1, 1);
    Tensor v = keras::testing::uniform({2, 3, 5}, -1, 1, 2);
    Tensor k = keras::testing::uniform({2, 3, 4}, -1, 1, 3);
    a({q, v, k});
    set_weights_f64(a);
    EXPECT_TRUE(keras::testing::check_gradients(
        [&](const keras::testing::inputs& x) {
          return Tensor(a({x[0], x[1], x[2]}));
        },
        {q, v, k}, {.eps = 1e-6, .atol = 1e-6, .rtol = 1e-4}));
    EXPECT_TRUE(check_weight_gradients(a, [&] { return Tensor(a({q, v, k})); }));
  }
  // With a value mask (masked scores get no gradient; masked query rows are zero).
  layers::Attention a({.dtype = DType::float64});
  Tensor q = keras::testing::uniform({2, 3, 4}, -1, 1, 4);
  Tensor v = keras::testing::uniform({2, 5, 4}, -1, 1, 5);
  EXPECT_TRUE(keras::testing::check_gradients(
      [&](const keras::testing::inputs& x) {
        keras::set_keras_mask(x[0], bool_tensor({1, 1, 0, 1, 0, 1}, {2, 3}));
        keras::set_keras_mask(x[1], bool_tensor({1, 0, 1, 1, 0, 1, 1, 1, 1, 0}, {2, 5}));
        return Tensor(a({x[0], x[1]}));
      },
      {q, v}, {.eps = 1e-6, .atol = 1e-6, .rtol = 1e-4}));
}

TEST(Attention, ErrorsInKerasWording) {
  expect_error<keras::ValueError>([] { layers::Attention({.score_mode = "add"}); },
                                  "Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. "
                                  "Received: score_mode=add");
  Tensor x = ops::ones({2, 3, 4});
  expect_error<keras::ValueError>([&] { layers::Attention()(x); },
                                  "Attention layer must be called on a list of inputs, namely [query, value] or "
                                  "[query, value, key]");
  expect_error<keras::ValueError>(
      [&] {
        layers::Attention()({x, x, x, x});
      },
      "Attention layer accepts inputs list of length 2 or 3, namely [query, value] or "
      "[query, value, key]. Received length: 4.");
}

// ---- MultiHeadAttention -------------------------------------------------------------------------------

TEST(MultiHeadAttention, MatchesKerasOutputsAndScores) {
  expect_case("mha_self", mha({.num_heads = 2, .key_dim = 3}));
  expect_case("mha_cross", mha({.num_heads = 2, .key_dim = 3}));
  expect_case("mha_vdim", mha({.num_heads = 2, .key_dim = 3, .value_dim = 4}));
  expect_case("mha_outshape", mha({.num_heads = 3, .key_dim = 2, .output_shape = {2, 3}}));
  expect_case("mha_nobias", mha({.num_heads = 2, .key_dim = 4, .use_bias = false}));
}

TEST(MultiHeadAttention, MatchesKerasWithCausalAndExplicitMasks) {
  expect_case("mha_causal", mha({.num_heads = 2, .key_dim = 3, .use_causal_mask = true}));
  // The attention_mask as the 4th input ({query, value, value, mask}).
  expect_case("mha_attn_mask", mha({.num_heads = 2, .key_dim = 3}));
  expect_case("mha_attn_mask_causal", mha({.num_heads = 2, .key_dim = 3, .use_causal_mask = true}));
}

TEST(MultiHeadAttention, MatchesKerasWithQueryValueAndKeyMasks) {
  // A fully masked query row: Keras' fused path (no scores) averages every value, its
  // scores path gives zero weights; both reproduced (the _y and _ys fixtures differ there).
  expect_case("mha_masks", mha({.num_heads = 2, .key_dim = 3}), true);
  expect_case("mha_masks_key", mha({.num_heads = 2, .key_dim = 3}), true);
}

TEST(MultiHeadAttention, ParameterCountsAndWeightShapesAsKeras) {
  struct Case {
    std::string key;
    layers::MultiHeadAttentionOptions o;
    Shape q, v;
    int64_t expected;
  };
  // Keras 3.15: 25024, 1792, 284 (also in the fixture).
  const std::vector<Case> cases = {
      {"p_mha_8_16", {.num_heads = 8, .key_dim = 16}, {1, 10, 64}, {1, 12, 32}, 25024},
      {"p_mha_4_8_v6_nobias",
       {.num_heads = 4, .key_dim = 8, .value_dim = 6, .use_bias = false},
       {1, 5, 20},
       {1, 7, 12},
       1792},
      {"p_mha_2_3_out", {.num_heads = 2, .key_dim = 3, .output_shape = {4, 5}}, {1, 3, 7}, {1, 3, 7}, 284},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key);
    layers::MultiHeadAttention m(c.o);
    m({ops::zeros(c.q), ops::zeros(c.v)});
    EXPECT_EQ(m->count_params(), c.expected);
    EXPECT_EQ(m->count_params(), fx(c.key).item<int64_t>());
    std::vector<int64_t> sizes;
    for (const auto& w : m->weights()) sizes.push_back(w.shape().numel());
    EXPECT_EQ(sizes, fx(c.key + "_shapes").to_vector<int64_t>());
  }
  layers::MultiHeadAttention m({.num_heads = 2, .key_dim = 3, .name = "mha"});
  m({ops::zeros({1, 4, 5}), ops::zeros({1, 6, 7})});
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  for (const auto& w : m->weights()) {
    names.push_back(w.name());
    shapes.push_back(w.shape());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"kernel", "bias", "kernel", "bias", "kernel", "bias", "kernel", "bias"}));
  EXPECT_EQ(shapes, (std::vector<Shape>{{5, 2, 3}, {2, 3}, {7, 2, 3}, {2, 3}, {7, 2, 3}, {2, 3}, {2, 3, 5}, {5}}));
  EXPECT_EQ(m->count_params(), 167);  // Keras: MultiHeadAttention(2, 3) on (4, 5) and (6, 7)
  EXPECT_EQ(m->tracked_names(), (std::vector<std::string>{"query_dense", "key_dense", "value_dense", "_softmax",
                                                          "_dropout_layer", "output_dense"}));
  EXPECT_EQ(m->query_dense()->name(), "query");
  EXPECT_EQ(m->key_dense()->name(), "key");
  EXPECT_EQ(m->value_dense()->name(), "value");
  EXPECT_EQ(m->output_dense()->name(), "attention_output");
  EXPECT_EQ(m->query_dense()->class_name(), "EinsumDense");
  const nlohmann::json c = m->get_config();
  EXPECT_EQ(c.at("num_heads"), 2);
  EXPECT_EQ(c.at("key_dim"), 3);
  EXPECT_EQ(c.at("value_dim"), 3);
  EXPECT_EQ(c.at("use_bias"), true);
  EXPECT_TRUE(c.at("output_shape").is_null());
  EXPECT_EQ(c.at("attention_axes"), nlohmann::json::array({1}));  // built: the default axes, as Keras writes them
  EXPECT_EQ(m->query_dense()->get_config().at("equation"), "abc,cde->abde");
  EXPECT_EQ(m->output_dense()->get_config().at("equation"), "abcd,cde->abe");
}

TEST(MultiHeadAttention, OutputMaskIsTheQueryMask) {
  layers::MultiHeadAttention m(2, 3);
  Tensor q = keras::testing::uniform({2, 4, 5}, -1, 1, 1, DType::float32);
  Tensor v = keras::testing::uniform({2, 6, 5}, -1, 1, 2, DType::float32);
  const Tensor qm = bool_tensor({1, 1, 0, 0, 1, 1, 1, 0}, {2, 4});
  keras::set_keras_mask(q, qm);
  Tensor y = m({q, v});
  EXPECT_EQ(y.shape(), Shape({2, 4, 5}));
  ASSERT_TRUE(keras::get_keras_mask(y).defined());
  EXPECT_EQ(ops::cast(keras::get_keras_mask(y), DType::int32).to_vector<int32_t>(),
            (std::vector<int32_t>{1, 1, 0, 0, 1, 1, 1, 0}));
  EXPECT_TRUE(keras::get_keras_mask(q).defined());  // the input's mask is left in place
}

TEST(MultiHeadAttention, GradientsOfInputsAndWeights) {
  layers::MultiHeadAttention m({.num_heads = 2, .key_dim = 3, .value_dim = 2, .dtype = DType::float64});
  Tensor q = keras::testing::uniform({2, 3, 4}, -1, 1, 1);
  Tensor v = keras::testing::uniform({2, 4, 5}, -1, 1, 2);
  Tensor k = keras::testing::uniform({2, 4, 3}, -1, 1, 3);
  m({q, v, k});
  set_weights_f64(m);
  EXPECT_TRUE(keras::testing::check_gradients(
      [&](const keras::testing::inputs& x) {
        return Tensor(m({x[0], x[1], x[2]}));
      },
      {q, v, k}, {.eps = 1e-6, .atol = 1e-6, .rtol = 1e-4}));
  EXPECT_TRUE(check_weight_gradients(m, [&] { return Tensor(m({q, v, k})); }));
  // Causal and explicit masks, scores returned (the masked-softmax path).
  layers::MultiHeadAttention c({.num_heads = 2,
                                .key_dim = 2,
                                .use_causal_mask = true,
                                .return_attention_scores = true,
                                .dtype = DType::float64});
  Tensor x = keras::testing::uniform({2, 4, 3}, -1, 1, 4);
  const Tensor am = bool_tensor({1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 0, 0, 1,  //
                                 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1},
                                {2, 4, 4});
  c({x, x, x, am});
  set_weights_f64(c);
  EXPECT_TRUE(keras::testing::check_gradients(
      [&](const keras::testing::inputs& xs) {
        auto out = c({xs[0], xs[0], xs[0], am});
        return ops::add(ops::sum(out[0]), ops::sum(ops::multiply(out[1], out[1])));
      },
      {x}, {.eps = 1e-6, .atol = 1e-6, .rtol = 1e-4}));
  EXPECT_TRUE(check_weight_gradients(c, [&] { return Tensor(c({x, x, x, am})[0]); }));
}

TEST(MultiHeadAttention, InAFunctionalModelBuildsAndFits) {
  keras::utils::set_random_seed(5);
  Tensor in = keras::Input({6, 8});
  Tensor h = layers::MultiHeadAttention({.num_heads = 2, .key_dim = 4})({in, in});
  EXPECT_EQ(h.shape(), Shape({-1, 6, 8}));
  Tensor pooled = layers::GlobalAveragePooling1D()(h);
  Tensor out = layers::Dense(1)(pooled);
  keras::Model model(in, out);
  // MultiHeadAttention: 3 * (8*2*4 + 2*4) + (2*4*8 + 8) = 288 (Keras: 288); Dense: 9.
  EXPECT_EQ(model.count_params(), 297);
  model.compile({.optimizer = "adam", .loss = "mse"});
  Tensor x = keras::testing::uniform({32, 6, 8}, -1, 1, 7, DType::float32);
  Tensor y = keras::testing::uniform({32, 1}, -1, 1, 8, DType::float32);
  auto hist = model.fit(x, y, {.batch_size = 8, .epochs = 1, .verbose = 0});
  ASSERT_EQ(hist.history.at("loss").size(), 1u);
  EXPECT_TRUE(std::isfinite(hist.history.at("loss")[0]));
  EXPECT_EQ(model.predict(x, {.verbose = 0}).shape(), Shape({32, 1}));

  // The weights file round trip: a twin model loads the same values.
  const auto path = (std::filesystem::temp_directory_path() / "attention_test_mha.weights.h5").string();
  model.save_weights(path, {.overwrite = true});
  Tensor in2 = keras::Input({6, 8});
  Tensor h2 = layers::MultiHeadAttention({.num_heads = 2, .key_dim = 4})({in2, in2});
  keras::Model twin(in2, layers::Dense(1)(layers::GlobalAveragePooling1D()(h2)));
  twin.load_weights(path);
  EXPECT_TRUE(all_close(twin.predict(x, {.verbose = 0}), model.predict(x, {.verbose = 0}), 1e-6, 1e-6));
  std::filesystem::remove(path);
}

TEST(MultiHeadAttention, ErrorsInKerasWording) {
  expect_error<keras::ValueError>([] { layers::MultiHeadAttention(0, 4); },
                                  "Received an invalid value for argument `num_heads`, expected a positive integer. "
                                  "Received: num_heads=0");
  expect_error<keras::ValueError>([] { layers::MultiHeadAttention(2, -1); },
                                  "Received an invalid value for argument `key_dim`, expected a positive integer. "
                                  "Received: key_dim=-1");
  expect_error<keras::ValueError>([] { layers::MultiHeadAttention({.num_heads = 2, .key_dim = 2, .value_dim = 0}); },
                                  "Received an invalid value for argument `value_dim`, expected a positive integer or "
                                  "`None`. Received: value_dim=0");
  Tensor q = ops::ones({2, 4, 5}), v = ops::ones({2, 6, 5}), k = ops::ones({2, 5, 5});
  expect_error<keras::ValueError>(
      [&] {
        layers::MultiHeadAttention(2, 3)({q, v, k});
      },
      "All dimensions of `value` and `key`, except the last one, must be equal. "
      "Received: value_shape=(2, 6, 5) and key_shape=(2, 5, 5)");
  expect_error<keras::ValueError>([&] { layers::MultiHeadAttention(2, 3)(q); },
                                  "MultiHeadAttention layer must be called on a list of inputs");
  expect_error<keras::NotImplementedError>(
      [&] {
        layers::MultiHeadAttention({.num_heads = 2, .key_dim = 3, .attention_axes = {2}})({q, v});
      },
      "only the default attention_axes");
  expect_error<keras::NotImplementedError>(
      [&] {
        layers::MultiHeadAttention(2, 3)({ops::ones({2, 3, 4, 5}), ops::ones({2, 3, 4, 5})});
      },
      "only inputs of rank 3");
  // attention_axes = (1,) or (-2,): the default, accepted.
  EXPECT_NO_THROW(layers::MultiHeadAttention({.num_heads = 2, .key_dim = 3, .attention_axes = {-2}})({q, v}));
}
