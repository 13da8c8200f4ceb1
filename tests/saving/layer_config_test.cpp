// Built-in layers' configs against Keras 3.15.1 (tests/fixtures/layer_configs.json, written by
// gen_layer_config_fixtures.py): every Keras envelope deserializes, the layer's get_config()
// gives Keras' config back exactly, the build_config builds the same weights, and bad configs
// fail with errors that name the layer and the key.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/expect_error.hpp"
#include "keras/keras.hpp"

using nlohmann::json;

namespace {

const json& fixture() {
  static const json cases = [] {
    std::ifstream in(std::string(KERAS_TEST_FIXTURES) + "/layer_configs.json");
    if (!in) throw std::runtime_error("cannot open tests/fixtures/layer_configs.json");
    return json::parse(in);
  }();
  return cases;
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const json& c : fixture()) names.push_back(c.at("case").get<std::string>());
  return names;
}

const json& find_case(const std::string& name) {
  for (const json& c : fixture())
    if (c.at("case") == name) return c;
  throw std::runtime_error("no fixture case " + name);
}

// The differences as a JSON patch (path, op, the value keras.cpp gives), then both sides.
std::string describe_diff(const json& keras_value, const json& ours) {
  std::string out = "differences (JSON patch from Keras' value to keras.cpp's):\n";
  for (const json& op : json::diff(keras_value, ours)) out += "  " + op.dump() + "\n";
  out += "Keras:     " + keras_value.dump() + "\nkeras.cpp: " + ours.dump();
  return out;
}

std::vector<json> weight_shapes(const keras::Layer& layer) {
  std::vector<json> out;
  for (const keras::Variable& v : layer.weights()) {
    json s = json::array();
    for (int64_t d : v.shape()) s.push_back(d);
    out.push_back(s);
  }
  return out;
}

class LayerConfigTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { keras::utils::clear_session(); }
};

// The Keras envelope deserializes, and get_config() gives back exactly Keras' config.
TEST_P(LayerConfigTest, ConfigMatchesKeras) {
  const json& c = find_case(GetParam());
  const json& envelope = c.at("envelope");
  keras::LayerHandle layer = keras::saving::deserialize_layer(envelope);
  EXPECT_EQ(layer->class_name(), envelope.at("class_name").get<std::string>());
  const json ours = keras::saving::serialize_keras_object(*layer);
  EXPECT_TRUE(ours.at("config") == envelope.at("config")) << describe_diff(envelope.at("config"), ours.at("config"));
  EXPECT_EQ(ours.at("module"), envelope.at("module"));
  EXPECT_EQ(ours.at("registered_name"), envelope.at("registered_name"));
}

// The build_config builds the layer with Keras' weights (count and shapes), and the envelope
// written again carries the same build_config.
TEST_P(LayerConfigTest, BuildConfigMakesKerasWeights) {
  const json& c = find_case(GetParam());
  const json& envelope = c.at("envelope");
  keras::LayerHandle layer = keras::saving::deserialize_layer(envelope);
  if (!envelope.contains("build_config")) {
    EXPECT_FALSE(layer->built() && !layer->weights().empty()) << "an unbuilt Keras layer came back with weights";
    GTEST_SKIP() << "unbuilt in Keras";
  }
  EXPECT_TRUE(layer->built()) << "build_config " << envelope.at("build_config").dump() << " did not build the layer";
  std::vector<json> expected;
  for (const json& s : c.at("weights")) expected.push_back(s);
  EXPECT_EQ(weight_shapes(*layer), expected);
  const json ours = keras::saving::serialize_keras_object(*layer);
  ASSERT_TRUE(ours.contains("build_config")) << ours.dump();
  EXPECT_EQ(ours.at("build_config"), envelope.at("build_config"));
}

// Written and read again, a layer gives the same envelope (keras.cpp's own round trip).
TEST_P(LayerConfigTest, RoundTrip) {
  const json& envelope = find_case(GetParam()).at("envelope");
  keras::LayerHandle layer = keras::saving::deserialize_layer(envelope);
  const json once = keras::saving::serialize_keras_object(*layer);
  keras::utils::clear_session();
  keras::LayerHandle again = keras::saving::deserialize_layer(once);
  const json twice = keras::saving::serialize_keras_object(*again);
  EXPECT_TRUE(once == twice) << describe_diff(once, twice);
}

INSTANTIATE_TEST_SUITE_P(Keras, LayerConfigTest, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// Layers made in C++ give the config Keras gives for the same arguments.
TEST(LayerConfig, CppLayersMatchKeras) {
  namespace L = keras::layers;
  auto check = [](const keras::LayerHandle& layer, const std::string& name) {
    SCOPED_TRACE(name);
    const json& keras_config = find_case(name).at("envelope").at("config");
    const json ours = layer->get_config();
    EXPECT_TRUE(ours == keras_config) << describe_diff(keras_config, ours);
  };
  keras::utils::clear_session();
  {
    L::Dense d(3);
    d->maybe_build(keras::Shape{-1, 4});
    check(d, "Dense_default");
  }
  keras::utils::clear_session();
  check(L::Dense({.units = 5,
                  .activation = "relu",
                  .use_bias = false,
                  .kernel_initializer = keras::initializers::HeNormal({.seed = 3}),
                  .bias_initializer = keras::initializers::RandomNormal({.mean = 0.1, .stddev = 0.2, .seed = 5}),
                  .kernel_regularizer = keras::regularizers::L1L2({.l1 = 0.01, .l2 = 0.02}),
                  .bias_regularizer = keras::regularizers::L2({.l2 = 0.03}),
                  .activity_regularizer = keras::regularizers::L1({.l1 = 0.04}),
                  .kernel_constraint = keras::constraints::MaxNorm({.max_value = 2.0, .axis = 0}),
                  .bias_constraint = keras::constraints::NonNeg(),
                  .name = "hidden",
                  .trainable = false}),
        "Dense_args");
  keras::utils::clear_session();
  check(L::Conv2D({.filters = 8, .kernel_size = {3, 2}}), "Conv2D_unbuilt");
  keras::utils::clear_session();
  check(L::MaxPooling2D({.pool_size = {3, 2},
                         .strides = keras::ops::IntTuple{1, 2},
                         .padding = "same",
                         .data_format = "channels_first"}),
        "MaxPooling2D_args");
  keras::utils::clear_session();
  check(L::LSTM({.units = 3, .return_sequences = true}), "LSTM_unbuilt");
  keras::utils::clear_session();
  check(L::BatchNormalization(), "BatchNormalization_unbuilt");
  keras::utils::clear_session();
  check(L::Reshape({-1, 4}), "Reshape_args");
  keras::utils::clear_session();
  check(L::Embedding(10, 4), "Embedding_default");
}

// ---- errors and tolerance ------------------------------------------------------------------------

json dense_envelope(json config) {
  return {{"module", "keras.layers"}, {"class_name", "Dense"}, {"config", config}, {"registered_name", nullptr}};
}

TEST(LayerConfig, MissingRequiredKeyNamesLayerAndKey) {
  try {
    keras::saving::deserialize_layer(dense_envelope({{"name", "head"}, {"activation", "relu"}}));
    FAIL() << "no error";
  } catch (const keras::Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'head'"), std::string::npos) << m;
    EXPECT_NE(m.find("Dense"), std::string::npos) << m;
    EXPECT_NE(m.find("`units`"), std::string::npos) << m;
  }
}

TEST(LayerConfig, WrongTypeNamesLayerAndKey) {
  try {
    keras::saving::deserialize_layer(dense_envelope({{"name", "head"}, {"units", "x"}}));
    FAIL() << "no error";
  } catch (const keras::Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'head'"), std::string::npos) << m;
    EXPECT_NE(m.find("Dense"), std::string::npos) << m;
    EXPECT_NE(m.find("`units`"), std::string::npos) << m;
    EXPECT_NE(m.find("integer"), std::string::npos) << m;
  }
  expect_error<keras::Error>(
      [] {
        keras::saving::deserialize_layer({{"module", "keras.layers"},
                                          {"class_name", "Conv2D"},
                                          {"config", {{"name", "c"}, {"filters", 4}, {"kernel_size", {3, 3, 3}}}},
                                          {"registered_name", nullptr}});
      },
      "`kernel_size`");
  expect_error<keras::Error>(
      [] {
        keras::saving::deserialize_layer({{"module", "keras.layers"},
                                          {"class_name", "Dropout"},
                                          {"config", {{"name", "d"}, {"rate", 0.5}, {"seed", -1}}},
                                          {"registered_name", nullptr}});
      },
      "`seed`");
}

TEST(LayerConfig, ConstructorErrorsNameTheLayer) {
  // Conv2D refuses filters that the groups do not divide; the message says which layer.
  expect_error<keras::ValueError>(
      [] {
        keras::saving::deserialize_layer(
            {{"module", "keras.layers"},
             {"class_name", "Conv2D"},
             {"config", {{"name", "stem"}, {"filters", 3}, {"kernel_size", 3}, {"groups", 2}}},
             {"registered_name", nullptr}});
      },
      "Layer 'stem' (Conv2D)");
}

TEST(LayerConfig, LambdaIsRefused) {
  const json lambda = {
      {"module", "keras.layers"},
      {"class_name", "Lambda"},
      {"config",
       {{"name", "lambda"},
        {"function", {{"class_name", "__lambda__"}, {"config", {{"code", "4wEAAAAAAAAA"}, {"defaults", nullptr}}}}}}},
      {"registered_name", nullptr}};
  expect_error<keras::ValueError>([&] { keras::saving::deserialize_layer(lambda); }, "never runs code");
  expect_error<keras::ValueError>([&] { keras::saving::deserialize_layer(lambda); }, "KERAS_REGISTER_SERIALIZABLE");
  for (const char* cls : {"TFSMLayer", "TorchModuleWrapper"}) {
    json other = lambda;
    other["class_name"] = cls;
    expect_error<keras::ValueError>([&] { keras::saving::deserialize_layer(other); }, "never runs code");
  }
}

TEST(LayerConfig, MissingKeysTakeDefaultsAndUnknownKeysAreIgnored) {
  keras::utils::clear_session();
  // Keras 2's Dense: no quantization_config, a batch_input_shape, and a key keras.cpp does not know.
  keras::LayerHandle d = keras::saving::deserialize_layer(
      dense_envelope({{"name", "dense"}, {"units", 3}, {"batch_input_shape", {nullptr, 4}}, {"future_key", 1}}));
  json expected = find_case("Dense_unbuilt").at("envelope").at("config");
  const json ours = d->get_config();
  EXPECT_TRUE(ours == expected) << describe_diff(expected, ours);

  // InputLayer in its Keras 2 form.
  keras::LayerHandle in = keras::saving::deserialize_layer(
      {{"class_name", "InputLayer"},
       {"config", {{"batch_input_shape", {nullptr, 7}}, {"dtype", "float32"}, {"sparse", false}, {"name", "x"}}}});
  EXPECT_EQ(in->get_config().at("batch_shape"), json({nullptr, 7}));
  EXPECT_EQ(in->get_config().at("name"), "x");
}

TEST(LayerConfig, NestedLayersAreChecked) {
  // Bidirectional needs a recurrent layer.
  json bi = find_case("Bidirectional_unbuilt").at("envelope");
  bi["config"]["layer"] = find_case("Dense_unbuilt").at("envelope");
  expect_error<keras::Error>([&] { keras::saving::deserialize_layer(bi); }, "`layer`");
  // A wrapped layer's own errors surface.
  json td = find_case("TimeDistributed_unbuilt").at("envelope");
  td["config"]["layer"]["config"].erase("filters");
  expect_error<keras::Error>([&] { keras::saving::deserialize_layer(td); }, "`filters`");
}

}  // namespace
