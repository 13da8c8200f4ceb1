// SimpleRNN, LSTM, GRU, Bidirectional and TimeDistributed: outputs and states against Keras 3 / JAX
// (tests/fixtures/rnn.npz, written by gen_rnn_fixtures.py) for return_sequences, go_backwards,
// return_state, initial states and masks from Embedding(mask_zero); parameter counts and weight
// shapes; float64 finite-difference gradients of inputs and weights; Keras' errors.
#include <gtest/gtest.h>

#include <cmath>
#include <keras/keras.hpp>
#include <keras/layers/embedding.hpp>
#include <keras/layers/rnn.hpp>
#include <map>
#include <nlohmann/json.hpp>

#include "harness/check_op.hpp"
#include "harness/expect_error.hpp"

namespace ops = keras::ops;
namespace layers = keras::layers;
using keras::DType;
using keras::Shape;
using keras::Tensor;
using keras::Tensors;
using keras::testing::all_close;

namespace {

const std::map<std::string, Tensor>& fixtures() {
  static const auto f = keras::npy::load_npz(keras::testing::fixture("rnn.npz"));
  return f;
}

Tensor fx(const std::string& key) {
  auto it = fixtures().find(key);
  if (it == fixtures().end()) throw keras::NotFoundError("rnn.npz has no array " + key);
  return it->second;
}

std::vector<Tensor> fx_weights(const std::string& name) {
  std::vector<Tensor> ws;
  for (size_t i = 0; fixtures().count(name + "_w" + std::to_string(i)); ++i)
    ws.push_back(fx(name + "_w" + std::to_string(i)));
  return ws;
}

constexpr double kTol = 2e-5;

// Calls `layer` on the case's input, sets Keras' weights, calls again and compares every output
// (output, then states) and the parameter count.
void expect_case(const std::string& name, keras::LayerHandle layer, std::vector<Tensor> extra = {}) {
  SCOPED_TRACE(name);
  std::vector<Tensor> in{fx(name + "_x")};
  in.insert(in.end(), extra.begin(), extra.end());
  layer(in);
  layer->set_weights(fx_weights(name));
  const std::vector<Tensor> ys = layer(in);
  size_t j = 0;
  for (; fixtures().count(name + "_y" + std::to_string(j)); ++j) {
    ASSERT_LT(j, ys.size());
    EXPECT_TRUE(all_close(ys[j], fx(name + "_y" + std::to_string(j)), kTol, kTol)) << "output " << j;
  }
  EXPECT_EQ(j, ys.size());
  EXPECT_EQ(layer->count_params(), fx(name + "_params").item<int64_t>());
}

// Embedding(10, 3, mask_zero=True) -> layer on the case's token ids.
void expect_masked_case(const std::string& name, keras::LayerHandle layer) {
  SCOPED_TRACE(name);
  layers::Embedding emb({.input_dim = 10, .output_dim = 3, .mask_zero = true});
  const Tensor ids = fx(name + "_x");
  layer(emb(ids));
  auto ws = fx_weights(name);
  emb->set_weights({ws[0]});
  layer->set_weights(std::vector<Tensor>(ws.begin() + 1, ws.end()));
  const Tensor e = emb(ids);
  ASSERT_TRUE(keras::get_keras_mask(e).defined());
  EXPECT_TRUE(all_close(layer(e), fx(name + "_y0"), kTol, kTol));
  EXPECT_EQ(emb->count_params() + layer->count_params(), fx(name + "_params").item<int64_t>());
}

// The weights' Keras paths and shapes ("lstm/lstm_cell/kernel (3, 16)") as shapes only, in order.
std::vector<std::string> fixture_shapes(const std::string& name) {
  const Tensor t = fx(name + "_shapes");
  auto bytes = t.to_vector<uint8_t>();
  std::string s(bytes.begin(), bytes.end());
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

// "<last path component> (d0, d1)" of each weight, as Keras lists them.
std::vector<std::string> keras_weight_summary(const std::string& name) {
  std::vector<std::string> out;
  for (const auto& line : fixture_shapes(name)) {
    const size_t sp = line.find(' ');
    const std::string path = line.substr(0, sp);
    out.push_back(path.substr(path.rfind('/') + 1) + " " + line.substr(sp + 1));
  }
  return out;
}

std::string py_shape(const Shape& s) {
  std::string r = "(";
  for (int i = 0; i < s.rank(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + (s.rank() == 1 ? ",)" : ")");
}

std::vector<std::string> our_weight_summary(keras::LayerHandle layer) {
  std::vector<std::string> out;
  for (const auto& v : layer->weights()) out.push_back(v.name() + " " + py_shape(v.shape()));
  return out;
}

// ---- gradients -----------------------------------------------------------------------------------------

using keras::testing::check_weight_gradients;

void set_weights_f64(keras::LayerHandle layer) {
  std::vector<Tensor> ws;
  uint64_t seed = 3;
  for (auto& v : layer->weights()) ws.push_back(keras::testing::uniform(v.shape(), -0.8, 0.8, seed++));
  layer->set_weights(ws);
}

void check_layer_gradients(keras::LayerHandle layer, bool with_mask = false) {
  const Tensor x = keras::testing::uniform({2, 4, 3}, -1.0, 1.0, 5);
  Tensor mask;
  if (with_mask) mask = ops::cast(Tensor(std::vector<float>{1, 1, 0, 1, 1, 0, 0, 0}, Shape{2, 4}), DType::bool_);
  auto call = [&](const Tensor& in) {
    Tensor xin = in;
    if (with_mask) {
      xin = ops::reshape(in, in.shape());
      keras::set_keras_mask(xin, mask);
    }
    return layer(xin, false);
  };
  call(x);
  set_weights_f64(layer);
  EXPECT_TRUE(keras::testing::check_gradients([&](const keras::testing::inputs& xs) { return call(xs[0]); }, {x},
                                              {.eps = 1e-6, .atol = 1e-6, .rtol = 1e-4}));
  EXPECT_TRUE(check_weight_gradients([&] { return call(x); }, layer->trainable_weights()));
}

}  // namespace

// ---- forward outputs against Keras ---------------------------------------------------------------------

TEST(RnnLayers, SimpleRNNMatchesKeras) {
  expect_case("simple_last", layers::SimpleRNN(4));
  expect_case("simple_seq", layers::SimpleRNN({.units = 4, .return_sequences = true}));
  expect_case("simple_back", layers::SimpleRNN({.units = 4, .return_sequences = true, .go_backwards = true}));
  expect_case("simple_state", layers::SimpleRNN({.units = 4, .return_state = true}));
  expect_case("simple_relu",
              layers::SimpleRNN({.units = 3, .activation = "relu", .use_bias = false, .return_sequences = true}));
}

TEST(RnnLayers, LSTMMatchesKeras) {
  expect_case("lstm_last", layers::LSTM(4));
  expect_case("lstm_seq", layers::LSTM({.units = 4, .return_sequences = true}));
  expect_case("lstm_back", layers::LSTM({.units = 4, .return_sequences = true, .go_backwards = true}));
  expect_case("lstm_state", layers::LSTM({.units = 4, .return_state = true}));
  expect_case("lstm_act", layers::LSTM({.units = 3,
                                        .activation = "relu",
                                        .recurrent_activation = "hard_sigmoid",
                                        .use_bias = false,
                                        .return_sequences = true}));
  expect_case("lstm_init", layers::LSTM({.units = 4, .return_state = true}), {fx("lstm_init_h0"), fx("lstm_init_c0")});
}

TEST(RnnLayers, GRUMatchesKeras) {
  for (const std::string p : {"gru", "gru_ra0"}) {
    const bool ra = p == "gru";
    expect_case(p + "_last", layers::GRU({.units = 4, .reset_after = ra}));
    expect_case(p + "_seq", layers::GRU({.units = 4, .return_sequences = true, .reset_after = ra}));
    expect_case(p + "_back",
                layers::GRU({.units = 4, .return_sequences = true, .go_backwards = true, .reset_after = ra}));
    expect_case(p + "_state", layers::GRU({.units = 4, .return_state = true, .reset_after = ra}));
  }
  expect_case("gru_init", layers::GRU({.units = 4, .return_sequences = true}), {fx("gru_init_h0")});
}

TEST(RnnLayers, MaskFromEmbeddingMatchesKeras) {
  for (const std::string p : {"simple", "lstm", "gru", "gru_ra0"}) {
    auto make = [&](bool seq, bool back) -> keras::LayerHandle {
      if (p == "simple") return layers::SimpleRNN({.units = 4, .return_sequences = seq, .go_backwards = back});
      if (p == "lstm") return layers::LSTM({.units = 4, .return_sequences = seq, .go_backwards = back});
      return layers::GRU({.units = 4, .return_sequences = seq, .go_backwards = back, .reset_after = p == "gru"});
    };
    expect_masked_case(p + "_mseq", make(true, false));
    expect_masked_case(p + "_mlast", make(false, false));
    expect_masked_case(p + "_mback", make(true, true));
  }
}

TEST(RnnLayers, MaskPropagatesOnlyWithSequences) {
  layers::Embedding emb({.input_dim = 10, .output_dim = 3, .mask_zero = true});
  const Tensor e = emb(fx("lstm_mseq_x"));
  const Tensor seq = layers::LSTM({.units = 2, .return_sequences = true})(e);
  ASSERT_TRUE(keras::get_keras_mask(seq).defined());
  EXPECT_EQ(keras::get_keras_mask(seq).to_vector<bool>(), keras::get_keras_mask(e).to_vector<bool>());
  EXPECT_FALSE(keras::get_keras_mask(layers::LSTM(2)(e)).defined());
  Tensors st = layers::LSTM({.units = 2, .return_sequences = true, .return_state = true})(Tensors{e});
  ASSERT_EQ(st.size(), 3u);
  EXPECT_TRUE(keras::get_keras_mask(st[0]).defined());
  EXPECT_FALSE(keras::get_keras_mask(st[1]).defined());
}

TEST(RnnLayers, WeightNamesShapesAndParamCounts) {
  // Keras: SimpleRNN(4) on 3 features 3*4+4*4+4 = 32; LSTM(4) 4*(3*4+4*4+4) = 128;
  // GRU(4) 3*(3*4+4*4) + 2*12 = 108; GRU(4, reset_after=False) 96.
  struct Case {
    std::string name;
    keras::LayerHandle layer;
    int64_t params;
  };
  std::vector<Case> cases{{"simple_last", layers::SimpleRNN(4), 32},
                          {"lstm_last", layers::LSTM(4), 128},
                          {"gru_last", layers::GRU(4), 108},
                          {"gru_ra0_last", layers::GRU({.units = 4, .reset_after = false}), 96}};
  for (auto& c : cases) {
    SCOPED_TRACE(c.name);
    c.layer(fx(c.name + "_x"));
    EXPECT_EQ(c.layer->count_params(), c.params);
    EXPECT_EQ(fx(c.name + "_params").item<int64_t>(), c.params);
    EXPECT_EQ(our_weight_summary(c.layer), keras_weight_summary(c.name));
    ASSERT_EQ(c.layer->sublayers().size(), 1u);
    EXPECT_EQ(c.layer->tracked_names(), std::vector<std::string>{"cell"});
  }
  layers::LSTM lstm(4);
  EXPECT_EQ(lstm->cell()->name(), "lstm_cell");
  EXPECT_EQ(layers::GRU(4)->cell()->name(), "gru_cell");
  EXPECT_EQ(layers::SimpleRNN(4)->cell()->name(), "simple_rnn_cell");
}

TEST(RnnLayers, DefaultInitializers) {
  // LSTM: unit_forget_bias puts ones in the forget gate's bias; recurrent kernel orthogonal.
  layers::LSTM lstm(3);
  lstm(ops::zeros({1, 2, 5}));
  const auto b = lstm->weights()[2].value().to_vector<float>();
  ASSERT_EQ(b.size(), 12u);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(b[i], (i >= 3 && i < 6) ? 1.0f : 0.0f) << i;
  const Tensor rk = lstm->weights()[1].value();  // (3, 12): orthogonal rows
  const Tensor gram = ops::matmul(rk, ops::transpose(rk));
  EXPECT_TRUE(all_close(gram, ops::eye(3), 1e-5, 1e-5));
  layers::LSTM plain({.units = 3, .unit_forget_bias = false});
  plain(ops::zeros({1, 2, 5}));
  for (float v : plain->weights()[2].value().to_vector<float>()) EXPECT_EQ(v, 0.0f);
}

TEST(RnnLayers, OutputShapesAndStates) {
  const Tensor x = ops::ones({2, 5, 3});
  layers::LSTM l({.units = 6, .return_sequences = true, .return_state = true});
  Tensors ys = l(Tensors{x});
  ASSERT_EQ(ys.size(), 3u);
  EXPECT_EQ(ys[0].shape(), Shape({2, 5, 6}));
  EXPECT_EQ(ys[1].shape(), Shape({2, 6}));
  EXPECT_EQ(ys[2].shape(), Shape({2, 6}));
  // The last output is state_h.
  EXPECT_TRUE(all_close(ops::reshape(ops::slice(ys[0], {0, 4, 0}, Shape{2, 1, 6}), Shape{2, 6}), ys[1], 0, 0));
  EXPECT_EQ(l->compute_output_shape_multi({Shape{-1, 7, 3}}),
            (std::vector<Shape>{Shape{-1, 7, 6}, Shape{-1, 6}, Shape{-1, 6}}));
  EXPECT_EQ(layers::GRU(5)->compute_output_shape({-1, 9, 3}), Shape({-1, 5}));
  // A layer of several outputs called with one tensor: Keras' list is needed.
  expect_error<keras::ValueError>([&] { l(x); }, "returns 3 outputs");
}

TEST(RnnLayers, FunctionalModelWithMaskAndStates) {
  auto ids = keras::layers::Input({7}, {.dtype = DType::int32});
  layers::Embedding emb({.input_dim = 10, .output_dim = 3, .mask_zero = true});
  layers::LSTM lstm({.units = 4, .return_sequences = true});
  Tensor y = lstm(emb(Tensor(ids)));
  keras::Model model(Tensor(ids), y);
  const Tensor tok = fx("lstm_mseq_x");
  model(tok);
  auto ws = fx_weights("lstm_mseq");
  model.set_weights(ws);
  EXPECT_TRUE(all_close(model(tok), fx("lstm_mseq_y0"), kTol, kTol));
}

TEST(RnnLayers, CellsAsLayers) {
  layers::LSTMCell cell({.units = 2});
  const Tensor x = keras::testing::uniform({3, 4}, -1, 1, 2, DType::float32);
  Tensors out = cell({x, ops::zeros({3, 2}), ops::zeros({3, 2})});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(all_close(out[0], out[1], 0, 0));
  EXPECT_EQ(cell->count_params(), 4 * (4 * 2 + 2 * 2 + 2));
  expect_error<keras::ValueError>([&] { cell({x, ops::zeros({3, 2})}); }, "expects its input and 2 state(s)");
}

TEST(RnnLayers, Errors) {
  expect_error<keras::ValueError>(
      [] { layers::LSTM(0); }, "Received an invalid value for argument `units`, expected a positive integer, got 0.");
  expect_error<keras::ValueError>([] { layers::GRU(-2); }, "expected a positive integer, got -2.");
  expect_error<keras::ValueError>([] { layers::SimpleRNN(0); }, "argument `units`");
  expect_error<keras::NotImplementedError>([] { layers::LSTM({.units = 2, .stateful = true}); }, "stateful");
  expect_error<keras::ValueError>([] { layers::LSTM(2)(ops::ones({2, 3})); }, "expected ndim=3, found ndim=2");
  layers::LSTM l(2);
  expect_error<keras::ValueError>([&] { l({ops::ones({2, 3, 4}), ops::ones({2, 2})}); }, "expects 2 initial state(s)");
  expect_error<keras::ValueError>(
      [&] {
        l({ops::ones({2, 3, 4}), ops::ones({2, 3}), ops::ones({2, 2})});
      },
      "initial state 0 must have shape");
  // Dropout: inference ignores it; training is not implemented.
  layers::GRU d({.units = 2, .dropout = 0.5});
  EXPECT_EQ(d(ops::ones({1, 3, 2}), false).shape(), Shape({1, 2}));
  expect_error<keras::NotImplementedError>([&] { d(ops::ones({1, 3, 2}), true); }, "dropout");
}

// ---- gradients -----------------------------------------------------------------------------------------

TEST(RnnLayers, SimpleRNNGradients) {
  check_layer_gradients(layers::SimpleRNN({.units = 3, .return_sequences = true, .dtype = DType::float64}));
  check_layer_gradients(layers::SimpleRNN({.units = 2, .go_backwards = true, .dtype = DType::float64}), true);
}

TEST(RnnLayers, LSTMGradients) {
  check_layer_gradients(layers::LSTM({.units = 3, .return_sequences = true, .dtype = DType::float64}));
  check_layer_gradients(layers::LSTM({.units = 2, .dtype = DType::float64}), true);
}

TEST(RnnLayers, GRUGradients) {
  check_layer_gradients(layers::GRU({.units = 3, .return_sequences = true, .dtype = DType::float64}));
  check_layer_gradients(layers::GRU({.units = 2, .reset_after = false, .dtype = DType::float64}), true);
}

TEST(RnnLayers, GradientsThroughInitialStates) {
  layers::LSTM l({.units = 2, .dtype = DType::float64});
  const Tensor x = keras::testing::uniform({2, 3, 3}, -1, 1, 5);
  const Tensor h0 = keras::testing::uniform({2, 2}, -1, 1, 6);
  const Tensor c0 = keras::testing::uniform({2, 2}, -1, 1, 7);
  EXPECT_TRUE(keras::testing::check_gradients(
      [&](const keras::testing::inputs& xs) {
        return Tensor(l(std::vector<Tensor>{xs[0], xs[1], xs[2]}));
      },
      {x, h0, c0}, {.eps = 1e-6, .atol = 1e-6, .rtol = 1e-4}));
}

// ---- Bidirectional -------------------------------------------------------------------------------------

TEST(BidirectionalLayer, MergeModesMatchKeras) {
  for (const std::string mode : {"concat", "sum", "mul", "ave"})
    expect_case("bidi_" + mode, layers::Bidirectional(layers::LSTM({.units = 3, .return_sequences = true}), mode));
  expect_case("bidi_last", layers::Bidirectional(layers::GRU(3)));
  expect_case("bidi_state", layers::Bidirectional(layers::SimpleRNN({.units = 3, .return_state = true})));
  expect_case(
      "bidi_custom",
      layers::Bidirectional(
          layers::LSTM({.units = 3, .return_sequences = true}),
          layers::BidirectionalOptions{
              .backward_layer = layers::GRU({.units = 2, .return_sequences = true, .go_backwards = true}).ptr()}));
}

TEST(BidirectionalLayer, MaskedMatchesKeras) {
  expect_masked_case("bidi_mseq", layers::Bidirectional(layers::LSTM({.units = 3, .return_sequences = true})));
  expect_masked_case("bidi_mlast", layers::Bidirectional(layers::LSTM(3)));
}

TEST(BidirectionalLayer, WeightsNamesAndCounts) {
  layers::LSTM inner({.units = 3, .return_sequences = true});
  layers::Bidirectional b(inner);
  b(fx("bidi_concat_x"));
  EXPECT_EQ(b->forward_layer()->name(), "forward_" + inner->name());
  EXPECT_EQ(b->backward_layer()->name(), "backward_" + inner->name());
  EXPECT_TRUE(b->backward_layer()->go_backwards());
  EXPECT_FALSE(inner->built());  // the wrapped layer is a template, as in Keras
  // Keras: 2 * 4 * (3*3 + 3*3 + 3) = 168.
  EXPECT_EQ(b->count_params(), 168);
  EXPECT_EQ(our_weight_summary(b), keras_weight_summary("bidi_concat"));
  EXPECT_EQ(b->tracked_names(), (std::vector<std::string>{"forward_layer", "backward_layer"}));
  EXPECT_EQ(b->compute_output_shape({-1, 5, 3}), Shape({-1, 5, 6}));
  // merge_mode None ("") returns both directions.
  layers::Bidirectional none(layers::GRU(2), "");
  Tensors ys = none(Tensors{ops::ones({2, 4, 3})});
  ASSERT_EQ(ys.size(), 2u);
  EXPECT_EQ(ys[1].shape(), Shape({2, 2}));
}

TEST(BidirectionalLayer, Gradients) {
  layers::Bidirectional b(layers::GRU({.units = 2, .return_sequences = true, .dtype = DType::float64}),
                          layers::BidirectionalOptions{.merge_mode = "mul", .dtype = DType::float64});
  check_layer_gradients(b);
}

TEST(BidirectionalLayer, Errors) {
  expect_error<keras::ValueError>([] { layers::Bidirectional(layers::LSTM(2), "max"); },
                                  "Invalid merge mode. Received: max. Merge mode should be one of");
  expect_error<keras::ValueError>(
      [] {
        layers::Bidirectional(layers::LSTM(2), layers::BidirectionalOptions{.backward_layer = layers::LSTM(2).ptr()});
      },
      "Forward layer and backward layer should have different `go_backwards` value. Received: "
      "forward_layer.go_backwards False, backward_layer.go_backwards=False");
  expect_error<keras::ValueError>(
      [] {
        layers::Bidirectional(
            layers::LSTM(2),
            layers::BidirectionalOptions{
                .backward_layer = layers::LSTM({.units = 2, .return_sequences = true, .go_backwards = true}).ptr()});
      },
      "expected to have the same value for attribute \"return_sequences\", got \"False\" for forward layer and "
      "\"True\" for backward layer");
}

// ---- TimeDistributed -----------------------------------------------------------------------------------

TEST(TimeDistributedLayer, DenseMatchesKeras) {
  expect_case("td_dense", layers::TimeDistributed(layers::Dense(3, "tanh")));
  expect_case("td_dense4", layers::TimeDistributed(layers::Dense(2)));
  layers::TimeDistributed td(layers::Dense(3));
  EXPECT_EQ(td->compute_output_shape({-1, 4, 5}), Shape({-1, 4, 3}));
  td(ops::ones({2, 4, 5}));
  EXPECT_EQ(td->count_params(), 18);  // Keras: 5*3 + 3
  EXPECT_EQ(our_weight_summary(td), keras_weight_summary("td_dense"));
}

TEST(TimeDistributedLayer, MaskPassesThrough) {
  const std::string name = "td_masked";
  layers::Embedding emb({.input_dim = 10, .output_dim = 3, .mask_zero = true});
  layers::TimeDistributed td(layers::Dense(4));
  layers::LSTM lstm({.units = 2, .return_sequences = true});
  const Tensor ids = fx(name + "_x");
  lstm(td(emb(ids)));
  auto ws = fx_weights(name);
  emb->set_weights({ws[0]});
  td->set_weights({ws[1], ws[2]});
  lstm->set_weights({ws[3], ws[4], ws[5]});
  const Tensor h = td(emb(ids));
  ASSERT_TRUE(keras::get_keras_mask(h).defined());
  EXPECT_TRUE(all_close(lstm(h), fx(name + "_y0"), kTol, kTol));
}

TEST(TimeDistributedLayer, GradientsAndErrors) {
  layers::TimeDistributed td(layers::Dense({.units = 2, .activation = "tanh", .dtype = DType::float64}),
                             layers::TimeDistributedOptions{.dtype = DType::float64});
  check_layer_gradients(td);
  expect_error<keras::ValueError>(
      [] {
        layers::TimeDistributed(layers::Dense(2))(ops::ones({2, 3}));
      },
      "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions");
}
