// The .keras archive: models Python Keras 3 saved (tests/interop/make_fixtures.py) load and
// predict what Keras predicted; C++ round trips are bit for bit; damaged files give clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/check_op.hpp"
#include "harness/expect_error.hpp"
#include "harness/temp_dir.hpp"
#include "keras/keras.hpp"
#include "keras/saving.hpp"
#include "saving/h5/h5.hpp"
#include "saving/zip.hpp"

using namespace keras;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string interop(const std::string& name) { return keras::testing::fixture("interop/" + name); }

// Largest |a - b| / (|b| + 1e-6) over the elements (float64 arithmetic).
double max_rel_error(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const Tensor x = ops::cast(a, DType::float64).contiguous();
  const Tensor y = ops::cast(b, DType::float64).contiguous();
  const double* p = x.data<double>();
  const double* q = y.data<double>();
  double worst = 0;
  for (int64_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(p[i] - q[i]) / (std::fabs(q[i]) + 1e-6));
  return worst;
}

bool bit_equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  const Tensor x = a.contiguous(), y = b.contiguous();
  return std::memcmp(x.raw_data(), y.raw_data(), static_cast<size_t>(x.size()) * dtype_size(x.dtype())) == 0;
}

struct InteropCase {
  std::string name;
  int inputs;
  int outputs;
};

std::vector<Tensor> load_all(const std::string& prefix, int n) {
  std::vector<Tensor> out;
  for (int i = 0; i < n; ++i) out.push_back(npy::load(interop(prefix + std::to_string(i) + ".npy")));
  return out;
}

std::vector<Tensor> predict_all(Model& model, const std::vector<Tensor>& xs) {
  if (xs.size() == 1 && (!model.is_functional() || model.output_names().size() == 1))
    return {model.predict(xs[0], {.verbose = 0})};
  Tensors out = model.predict(Tensors(xs), {.verbose = 0});
  return std::vector<Tensor>(out.begin(), out.end());
}

class KerasFixture : public ::testing::TestWithParam<InteropCase> {};

}  // namespace

TEST_P(KerasFixture, LoadsAndPredictsAsKeras) {
  const InteropCase c = GetParam();
  Handle<Model> model = models::load_model(interop(c.name + ".keras"));
  const auto xs = load_all(c.name + "_x", c.inputs);
  const auto want = load_all(c.name + "_pred", c.outputs);
  const auto got = predict_all(*model, xs);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_LT(max_rel_error(got[i], want[i]), 1e-5) << c.name << " output " << i;
  EXPECT_TRUE(model->compiled());
}

TEST_P(KerasFixture, ArchitectureFromJsonAndKerasWeightsFile) {
  const InteropCase c = GetParam();
  Handle<Model> saved = models::load_model(interop(c.name + ".keras"), {.compile = false});
  EXPECT_FALSE(saved->compiled());
  Handle<Model> rebuilt = models::model_from_json(saved->to_json());
  rebuilt->load_weights(interop(c.name + ".weights.h5"));
  const auto xs = load_all(c.name + "_x", c.inputs);
  const auto want = load_all(c.name + "_pred", c.outputs);
  const auto got = predict_all(*rebuilt, xs);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_LT(max_rel_error(got[i], want[i]), 1e-5) << c.name << " output " << i;
}

TEST_P(KerasFixture, ContinuesTrainingOneEpoch) {
  const InteropCase c = GetParam();
  Handle<Model> model = models::load_model(interop(c.name + ".keras"));
  ASSERT_TRUE(model->compiled());
  const int64_t iterations = model->optimizer().iterations();
  EXPECT_GT(iterations, 0) << "the optimizer state (iterations) was restored from the file";
  const auto xs = load_all(c.name + "_train_x", c.inputs);
  const auto ys = load_all(c.name + "_train_y", c.outputs);
  History h = xs.size() == 1 && ys.size() == 1
                  ? model->fit(xs[0], ys[0], {.batch_size = 16, .epochs = 1, .verbose = 0})
                  : model->fit(Tensors(xs), Tensors(ys), {.batch_size = 16, .epochs = 1, .verbose = 0});
  ASSERT_EQ(h.history.at("loss").size(), 1u);
  EXPECT_TRUE(std::isfinite(h.history.at("loss")[0]));
  EXPECT_EQ(model->optimizer().iterations(), iterations + (xs[0].shape()[0] + 15) / 16);
}

TEST_P(KerasFixture, SavedAgainRoundTripsBitForBit) {
  const InteropCase c = GetParam();
  TempDir dir;
  Handle<Model> model = models::load_model(interop(c.name + ".keras"));
  model->save(dir.file("again.keras"));
  Handle<Model> again = models::load_model(dir.file("again.keras"));
  const auto xs = load_all(c.name + "_x", c.inputs);
  const auto a = predict_all(*model, xs);
  const auto b = predict_all(*again, xs);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(bit_equal(a[i], b[i])) << c.name << " output " << i;
  // The config is Keras' own, key for key, except for the metadata we add.
  const saving::zip::Reader zin(read_file(interop(c.name + ".keras")), "keras");
  const saving::zip::Reader zout(read_file(dir.file("again.keras")), "ours");
  json kc = json::parse(zin.read("config.json", 1 << 24));
  json oc = json::parse(zout.read("config.json", 1 << 24));
  EXPECT_EQ(oc["class_name"], kc["class_name"]);
  EXPECT_EQ(oc["config"]["layers"].size(), kc["config"]["layers"].size());
}

INSTANTIATE_TEST_SUITE_P(Interop, KerasFixture,
                         ::testing::Values(InteropCase{"mlp", 1, 1}, InteropCase{"cnn", 1, 1},
                                           InteropCase{"functional", 2, 2}, InteropCase{"lstm", 1, 1}),
                         [](const auto& info) { return info.param.name; });

// ---- C++ round trips ----------------------------------------------------------------------------------

namespace {

Handle<Sequential> make_mlp() {
  utils::set_random_seed(3);
  return Handle<Sequential>(std::vector<LayerHandle>{layers::Input({6}), layers::Dense(8, "relu"), layers::Dense(6)},
                            std::string("mlp"));
}

Tensor probe(const Shape& s, double scale = 1.0) {
  return ops::multiply(keras::testing::uniform(s, -1.0, 1.0, 11, DType::float32), ops::full({}, scale));
}

}  // namespace

TEST(KerasArchive, SequentialRoundTripIsBitExactAndKeepsConfig) {
  TempDir dir;
  Handle<Sequential> m = make_mlp();
  m->compile({.optimizer = optimizers::Adam({.learning_rate = 1e-3}),
              .loss = "sparse_categorical_crossentropy",
              .metrics = {"accuracy"}});
  const Tensor x = probe({5, 6});
  m->save(dir.file("m.keras"));
  Handle<Model> back = models::load_model(dir.file("m.keras"));
  EXPECT_EQ(back->class_name(), "Sequential");
  EXPECT_EQ(back->name(), "mlp");
  EXPECT_TRUE(bit_equal(m->predict(x, {.verbose = 0}), back->predict(x, {.verbose = 0})));
  EXPECT_EQ(back->get_config(), m->get_config());
  EXPECT_EQ(back->get_compile_config(), m->get_compile_config());
  // Keras' archive layout: three stored members, JSON as Python writes it.
  const saving::zip::Reader z(read_file(dir.file("m.keras")), "m.keras");
  EXPECT_EQ(z.names(), (std::vector<std::string>{"metadata.json", "config.json", "model.weights.h5"}));
  const json meta = json::parse(z.read("metadata.json", 4096));
  EXPECT_EQ(meta["keras_version"], "3.15.1");
  EXPECT_TRUE(meta["date_saved"].is_string());
  const std::string config_text = z.read("config.json", 1 << 20);
  // Python's json.dumps separators (keys are written sorted).
  EXPECT_EQ(config_text.rfind("{\"build_config\": {\"input_shape\": [null, 6]}, \"class_name\": \"Sequential\", ", 0),
            0u)
      << config_text.substr(0, 120);
  const json config = json::parse(config_text);
  EXPECT_EQ(config["compile_config"]["optimizer"]["config"]["learning_rate"].get<double>(), static_cast<double>(1e-3f));
  EXPECT_EQ(config["build_config"], json({{"input_shape", {nullptr, 6}}}));
}

TEST(KerasArchive, TrainingResumesBitForBitAfterSaveAndLoad) {
  // Two epochs in one go equal one epoch, save, load, one more epoch: weights and Adam's moments
  // and iteration count all travel in the archive.
  const Tensor x = probe({40, 6}, 2.0);
  const Tensor y = ops::cast(ops::argmax(x, 1), DType::int32);
  CompileOptions co{.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}};
  FitOptions fo{.batch_size = 8, .epochs = 1, .verbose = 0, .shuffle = false};

  Handle<Sequential> a = make_mlp();
  a->compile(co);
  FitOptions two = fo;
  two.epochs = 2;
  History ha = a->fit(x, y, two);

  TempDir dir;
  Handle<Sequential> b = make_mlp();
  b->compile(co);
  b->fit(x, y, fo);
  b->save(dir.file("half.keras"));
  Handle<Model> c = models::load_model(dir.file("half.keras"));
  EXPECT_EQ(c->optimizer().iterations(), 5);
  History hc = c->fit(x, y, fo);
  const auto wa = a->get_weights();
  const auto wc = c->get_weights();
  ASSERT_EQ(wa.size(), wc.size());
  for (size_t i = 0; i < wa.size(); ++i) EXPECT_TRUE(bit_equal(wa[i], wc[i])) << "weight " << i;
  EXPECT_EQ(ha.history.at("loss")[1], hc.history.at("loss")[0]);
  EXPECT_EQ(c->optimizer().iterations(), 10);
}

TEST(KerasArchive, FunctionalRoundTripWithSharedLayerAndNestedModel) {
  TempDir dir;
  utils::set_random_seed(5);
  Tensor a = Input({4}, {.name = "a"});
  Tensor b = Input({4}, {.name = "b"});
  layers::Dense shared(3, "tanh");
  Tensor inner_in = Input({3});
  Handle<Model> inner_h(Tensors(inner_in), Tensors(layers::Dense(2)(inner_in)), ModelOptions{.name = "inner"});
  Tensor sa = shared(a), sb = shared(b);
  Tensor merged = layers::Add()({sa, sb});
  Tensor out1 = inner_h(merged);
  Tensor out2 = layers::Dense(layers::DenseOptions{.units = 1, .name = "score"})(layers::Concatenate()({sa, sb}));
  Model m({a, b}, {out1, out2}, {.name = "net"});
  m.save(dir.file("f.keras"));
  Handle<Model> back = models::load_model(dir.file("f.keras"));
  EXPECT_EQ(back->class_name(), "Functional");
  EXPECT_EQ(back->count_params(), m.count_params());
  const Tensor xa = probe({3, 4}), xb = probe({3, 4}, -0.5);
  Tensors p = m.predict(Tensors{xa, xb}, {.verbose = 0});
  Tensors q = back->predict(Tensors{xa, xb}, {.verbose = 0});
  ASSERT_EQ(p.size(), q.size());
  for (size_t i = 0; i < p.size(); ++i) EXPECT_TRUE(bit_equal(p[i], q[i]));
  EXPECT_EQ(back->get_config(), m.get_config());
  // The shared Dense has two nodes in this model; Keras numbers them 0 and 1.
  const json c = m.get_config();
  for (const json& l : c["layers"])
    if (l["name"] == shared->name()) {
      EXPECT_EQ(l["inbound_nodes"].size(), 2u);
    }
}

TEST(KerasArchive, ToJsonAndModelFromJsonRebuildTheArchitecture) {
  Handle<Sequential> m = make_mlp();
  const std::string text = m->to_json();
  const json j = json::parse(text);
  EXPECT_EQ(j["class_name"], "Sequential");
  EXPECT_FALSE(j.contains("compile_config"));
  Handle<Model> back = models::model_from_json(text);
  EXPECT_EQ(back->count_params(), m->count_params());
  EXPECT_EQ(back->to_json(), text);
}

// ---- user classes ------------------------------------------------------------------------------------

namespace {

class ScaleByTwo : public Layer {
 public:
  explicit ScaleByTwo(const json& config) : Layer(saving::layer_options(config)) {
    factor_ = config.value("factor", 2.0);
  }
  explicit ScaleByTwo(double factor) : factor_(factor) {}
  std::string class_name() const override { return "ScaleByTwo"; }
  Tensor call(const Tensor& x, bool) override { return ops::multiply(x, ops::full({}, factor_, x.dtype())); }
  json get_config() const override {
    json c = Layer::get_config();
    c["factor"] = factor_;
    return c;
  }

 private:
  double factor_ = 2.0;
};

}  // namespace

KERAS_REGISTER_SERIALIZABLE(ScaleByTwo, "my_package");

TEST(KerasArchive, RegisteredUserLayerRoundTrips) {
  TempDir dir;
  Sequential m({layers::Input({3}), Handle<ScaleByTwo>(3.0), layers::Dense(2)});
  const json env = saving::serialize_keras_object(*m.layers()[0]);
  EXPECT_EQ(env["registered_name"], "my_package>ScaleByTwo");
  EXPECT_TRUE(env["module"].is_null());
  m.save(dir.file("u.keras"));
  Handle<Model> back = models::load_model(dir.file("u.keras"));
  const Tensor x = probe({2, 3});
  EXPECT_TRUE(bit_equal(m.predict(x, {.verbose = 0}), back->predict(x, {.verbose = 0})));
}

TEST(KerasArchive, UnregisteredAndLambdaLayersAreRefused) {
  json config = json::parse(make_mlp()->to_json());
  json custom = config["config"]["layers"][1];
  custom["class_name"] = "MyLayer";
  custom["module"] = "__main__";
  custom["registered_name"] = "Custom>MyLayer";
  config["config"]["layers"][1] = custom;
  expect_error<ValueError>([&] { models::model_from_config(config); },
                           "KERAS_REGISTER_SERIALIZABLE(MyLayer, \"Custom\")");
  custom["class_name"] = "Lambda";
  custom["module"] = "keras.layers";
  custom["registered_name"] = nullptr;
  config["config"]["layers"][1] = custom;
  expect_error<ValueError>([&] { models::model_from_config(config); }, "never runs code from a file");
  config["config"]["layers"][1] = {{"class_name", "__lambda__"}, {"config", {{"code", "YQ=="}}}};
  expect_error<ValueError>([&] { models::model_from_config(config); }, "never runs code from a file");
}

// ---- damaged files ------------------------------------------------------------------------------------

namespace {

// Rewrites an archive with one member replaced (or removed when `content` is null).
void rewrite(const std::string& from, const std::string& to, const std::string& member,
             const std::optional<std::string>& content, const std::string& rename = "") {
  const saving::zip::Reader z(read_file(from), from);
  std::vector<std::string> keep;
  for (const auto& n : z.names()) keep.push_back(n == member && content ? *content : z.read(n, 1 << 26));
  std::vector<saving::zip::Member> members;
  for (size_t i = 0; i < z.names().size(); ++i) {
    if (z.names()[i] == member && !content && rename.empty()) continue;
    std::string name = z.names()[i] == member && !rename.empty() ? rename : z.names()[i];
    members.push_back({.name = name, .fragments = {{keep[i].data(), keep[i].size()}}});
  }
  saving::zip::write_atomic(to, members);
}

}  // namespace

TEST(KerasArchive, DamagedArchivesGiveClearErrors) {
  TempDir dir;
  Handle<Sequential> m = make_mlp();
  m->compile({.optimizer = "adam", .loss = "mse"});
  const std::string good = dir.file("good.keras");
  m->save(good);
  const std::string bytes = read_file(good);

  // Truncated at several points.
  for (size_t cut : {size_t{0}, size_t{10}, bytes.size() / 3, bytes.size() / 2, bytes.size() - 30}) {
    std::ofstream(dir.file("cut.keras"), std::ios::binary) << bytes.substr(0, cut);
    try {
      models::load_model(dir.file("cut.keras"));
      ADD_FAILURE() << "truncated at " << cut << " loaded";
    } catch (const Error&) {
    }
  }
  // Wrong member names.
  rewrite(good, dir.file("noweights.keras"), "model.weights.h5", std::nullopt);
  expect_error<ValueError>([&] { models::load_model(dir.file("noweights.keras")); },
                           "Expected a model.weights.h5 or model.weights.npz file.");
  rewrite(good, dir.file("renamed.keras"), "config.json", std::nullopt, "configuration.json");
  expect_error<ValueError>([&] { models::load_model(dir.file("renamed.keras")); }, "has no config.json");
  // JSON that is not JSON, and a config with missing fields.
  rewrite(good, dir.file("badjson.keras"), "config.json", std::string("{\"module\": \"keras\", "));
  expect_error<ValueError>([&] { models::load_model(dir.file("badjson.keras")); }, "not valid JSON");
  json config = json::parse(saving::zip::Reader(bytes, "g").read("config.json", 1 << 20));
  json no_units = config;
  no_units["config"]["layers"][1]["config"].erase("units");
  rewrite(good, dir.file("nounits.keras"), "config.json", no_units.dump());
  expect_error<ValueError>([&] { models::load_model(dir.file("nounits.keras")); }, "`units` is missing");
  json bad_type = config;
  bad_type["config"]["layers"][1]["config"]["units"] = "eight";
  rewrite(good, dir.file("badtype.keras"), "config.json", bad_type.dump());
  expect_error<ValueError>([&] { models::load_model(dir.file("badtype.keras")); }, "`units` must be an integer");
  json no_class = config;
  no_class.erase("class_name");
  rewrite(good, dir.file("noclass.keras"), "config.json", no_class.dump());
  expect_error<ValueError>([&] { models::load_model(dir.file("noclass.keras")); }, "`class_name` is missing");
  // Deep nesting is refused before any recursive walk.
  rewrite(good, dir.file("deep.keras"), "config.json", std::string(100000, '[') + std::string(100000, ']'));
  expect_error<ValueError>([&] { models::load_model(dir.file("deep.keras")); }, "nested more than");
  // Weights of another shape (a Dense with more units).
  json wider = config;
  wider["config"]["layers"][1]["config"]["units"] = 9;
  rewrite(good, dir.file("wider.keras"), "config.json", wider.dump());
  expect_error<ValueError>([&] { models::load_model(dir.file("wider.keras")); }, "has shape (6, 9)");
  // A weights member that is not HDF5.
  rewrite(good, dir.file("notweights.keras"), "model.weights.h5", std::string(512, 'x'));
  expect_error<Error>([&] { models::load_model(dir.file("notweights.keras")); }, "model.weights.h5");
  // Not a zip at all, and the wrong suffix.
  std::ofstream(dir.file("text.keras")) << "hello";
  expect_error<ValueError>([&] { models::load_model(dir.file("text.keras")); }, "not a .keras archive");
  expect_error<ValueError>([&] { m->save(dir.file("m.txt")); }, "`.keras` extension");
  expect_error<NotFoundError>([&] { models::load_model(dir.file("missing.keras")); }, "no such model file");
}

TEST(KerasArchive, SaveIsAtomicAndHonoursOverwrite) {
  TempDir dir;
  Handle<Sequential> m = make_mlp();
  const std::string path = dir.file("m.keras");
  m->save(path);
  const std::string before = read_file(path);
  expect_error<Error>([&] { m->save(path, {.overwrite = false}); }, "the file exists");
  EXPECT_EQ(read_file(path), before);
  for (const auto& e : fs::directory_iterator(dir.path))
    EXPECT_EQ(e.path().filename(), "m.keras") << "no temporary file is left behind";
}

// ---- the reverse direction ------------------------------------------------------------------------------

// When KERAS_MODELS_OUT names a directory: models of the fixture kinds, trained one epoch in C++ and
// saved as .keras, with probe inputs and the C++ predictions (.npy), for
// tests/interop/check_cpp_models.py to load with Python Keras (scripts/check-keras-model-interop).
TEST(KerasArchive, InteropOutputForKeras) {
  const char* out = std::getenv("KERAS_MODELS_OUT");
  if (out == nullptr || *out == '\0') GTEST_SKIP() << "KERAS_MODELS_OUT not set";
  const std::string dir = out;
  fs::create_directories(dir);
  utils::set_random_seed(17);
  auto write = [&](const std::string& name, Model& model, const std::vector<Tensor>& probes) {
    model.save(dir + "/" + name + ".keras");
    const auto preds = predict_all(model, probes);
    for (size_t i = 0; i < probes.size(); ++i)
      npy::save(dir + "/" + name + "_x" + std::to_string(i) + ".npy", probes[i]);
    for (size_t i = 0; i < preds.size(); ++i)
      npy::save(dir + "/" + name + "_pred" + std::to_string(i) + ".npy", preds[i]);
  };
  {
    Sequential mlp({layers::Input({8}), layers::Dense(16, "relu"), layers::Dense(3, "softmax")}, "mlp");
    mlp.compile({.optimizer = "adam", .loss = "sparse_categorical_crossentropy", .metrics = {"accuracy"}});
    const Tensor x = probe({32, 8});
    mlp.fit(x, ops::cast(ops::argmax(ops::slice(x, {0, 0}, {32, 3}), 1), DType::int32), {.epochs = 1, .verbose = 0});
    write("mlp", mlp, {probe({5, 8}, 0.7)});
  }
  {
    Sequential cnn({layers::Input({8, 8, 1}),
                    layers::Conv2D({.filters = 4, .kernel_size = 3, .padding = "same", .activation = "relu"}),
                    layers::BatchNormalization(), layers::MaxPooling2D(), layers::Dropout(0.25), layers::Flatten(),
                    layers::Dense(2)},
                   "cnn");
    cnn.compile({.optimizer = optimizers::SGD({.learning_rate = 0.05, .momentum = 0.9}),
                 .loss = losses::SparseCategoricalCrossentropy({.from_logits = true}),
                 .metrics = {"accuracy"}});
    const Tensor x = probe({16, 8, 8, 1});
    cnn.fit(x, ops::cast(ops::greater(ops::mean(x, Axes({1, 2, 3})), ops::full({}, 0.0)), DType::int32),
            {.batch_size = 8, .epochs = 1, .verbose = 0});
    write("cnn", cnn, {probe({4, 8, 8, 1}, 0.9)});
  }
  {
    Tensor a = Input({4}, {.name = "a"});
    Tensor b = Input({3}, {.name = "b"});
    Tensor h = layers::Concatenate()({layers::Dense(6, "tanh")(a), b});
    h = layers::Dense(8, "relu")(h);
    Model fn({a, b},
             {layers::Dense(layers::DenseOptions{.units = 1, .name = "price"})(h),
              layers::Dense(layers::DenseOptions{.units = 2, .activation = "softmax", .name = "cls"})(h)},
             {.name = "two_in_two_out"});
    fn.compile({.optimizer = "rmsprop",
                .loss = {{"price", "mse"}, {"cls", "sparse_categorical_crossentropy"}},
                .loss_weights = {{"price", 1.0}, {"cls", 0.5}}});
    const Tensor xa = probe({24, 4}), xb = probe({24, 3}, 0.5);
    fn.fit(Tensors{xa, xb},
           Tensors{ops::sum(xa, Axes(1), true),
                   ops::cast(ops::greater(ops::slice(xa, {0, 0}, {24, 1}), ops::full({}, 0.0)), DType::int32)},
           {.batch_size = 8, .epochs = 1, .verbose = 0});
    write("functional", fn, {probe({5, 4}, 0.3), probe({5, 3}, 0.8)});
  }
  {
    Sequential lstm({layers::Input({7}, {.dtype = DType::int32}),
                     layers::Embedding({.input_dim = 20, .output_dim = 5, .mask_zero = true}), layers::LSTM(6),
                     layers::Dense(1, "sigmoid")},
                    "lstm");
    lstm.compile({.optimizer = "adam", .loss = "binary_crossentropy"});
    std::vector<int32_t> ids;
    for (int i = 0; i < 16 * 7; ++i) ids.push_back((i * 7 + 3) % 20 * ((i % 7) < 3 + i / 7 % 4 ? 1 : 0));
    const Tensor seq = Tensor::from_bytes(ids.data(), DType::int32, Shape{16, 7});
    lstm.fit(seq,
             ops::cast(ops::greater(ops::slice(ops::cast(seq, DType::float32), {0, 0}, {16, 1}), ops::full({}, 9.0)),
                       DType::float32),
             {.batch_size = 8, .epochs = 1, .verbose = 0});
    std::vector<int32_t> pids{3, 5, 7, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 19, 0, 0, 0, 0, 0, 0, 8, 8, 8, 8, 8, 0, 0};
    write("lstm", lstm, {Tensor::from_bytes(pids.data(), DType::int32, Shape{4, 7})});
  }
}

// ---- legacy .h5 full-model files ----------------------------------------------------------------------

TEST(LegacyH5, KerasLegacyWriterFilesLoadAndPredictAsKeras) {
  for (const std::string name : {"mlp", "cnn"}) {
    Handle<Model> model = models::load_model(interop(name + "_legacy.h5"));
    const Tensor x = npy::load(interop(name + "_x0.npy"));
    EXPECT_LT(max_rel_error(model->predict(x, {.verbose = 0}), npy::load(interop(name + "_pred0.npy"))), 1e-5) << name;
    EXPECT_TRUE(model->compiled()) << name;
  }
}

TEST(LegacyH5, TfKeras2FileLoadsCompilesAndTrains) {
  // Keras 2's config schema, "<layer>/kernel:0" dataset names, a Keras 2 training_config.
  Handle<Model> model = models::load_model(interop("mlp_tfkeras2.h5"));
  EXPECT_EQ(model->class_name(), "Sequential");
  const Tensor x = npy::load(interop("mlp_x0.npy"));
  EXPECT_LT(max_rel_error(model->predict(x, {.verbose = 0}), npy::load(interop("mlp_pred0.npy"))), 1e-5);
  ASSERT_TRUE(model->compiled());
  EXPECT_EQ(model->optimizer().class_name(), "Adam");
  EXPECT_NEAR(model->optimizer().learning_rate(), 0.01, 1e-9);
  History h = model->fit(npy::load(interop("mlp_train_x0.npy")), npy::load(interop("mlp_train_y0.npy")),
                         {.batch_size = 16, .epochs = 1, .verbose = 0});
  EXPECT_TRUE(std::isfinite(h.history.at("loss")[0]));
}

TEST(LegacyH5, WeightsOnlyAndDamagedFilesGiveClearErrors) {
  expect_error<ValueError>([&] { models::load_model(interop("mlp.weights.h5")); }, "holds no architecture");
  TempDir dir;
  const std::string bytes = read_file(interop("mlp_tfkeras2.h5"));
  std::ofstream(dir.file("cut.h5"), std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  expect_error<Error>([&] { models::load_model(dir.file("cut.h5")); }, "cut.h5");
  // A file whose model_config is absent (a tf.keras weights file).
  h5::Writer w;
  w.create_group("dense");
  w.save(dir.file("weights_only.h5"));
  expect_error<ValueError>([&] { models::load_model(dir.file("weights_only.h5")); }, "No model config found");
}

// ---- a registered subclassed model --------------------------------------------------------------------

namespace {

class TwoTower : public Model {
 public:
  explicit TwoTower(const json& config) : Model(ModelOptions{.name = config.value("name", std::string())}) {
    units_ = config.value("units", 4);
    make();
  }
  explicit TwoTower(int64_t units) : units_(units) { make(); }
  std::string class_name() const override { return "TwoTower"; }
  Tensor call(const Tensor& x, bool training) override { return ops::add(left_(x, training), right_(x, training)); }
  json get_config() const override {
    json c = Model::get_config();
    c["units"] = units_;
    return c;
  }

 private:
  void make() {
    left_ = track("left", layers::Dense(units_, "relu"));
    right_ = track("right", layers::Dense(units_));
  }
  int64_t units_ = 4;
  layers::Dense left_{1};
  layers::Dense right_{1};
};

}  // namespace

KERAS_REGISTER_SERIALIZABLE(TwoTower, "my_package");

TEST(KerasArchive, RegisteredSubclassedModelRoundTripsWithItsWeightsAndOptimizer) {
  TempDir dir;
  utils::set_random_seed(9);
  Handle<TwoTower> m(int64_t{5});
  m->compile({.optimizer = "adam", .loss = "mse"});
  const Tensor x = probe({12, 3});
  m->fit(x, probe({12, 5}, 0.5), {.batch_size = 4, .epochs = 1, .verbose = 0});
  m->save(dir.file("tower.keras"));
  const json config =
      json::parse(saving::zip::Reader(read_file(dir.file("tower.keras")), "t").read("config.json", 1 << 20));
  EXPECT_EQ(config["registered_name"], "my_package>TwoTower");
  EXPECT_EQ(config["build_config"]["input_shape"], json({nullptr, 3}));
  Handle<Model> back = models::load_model(dir.file("tower.keras"));
  EXPECT_EQ(back->class_name(), "TwoTower");
  EXPECT_TRUE(bit_equal(m->predict(x, {.verbose = 0}), back->predict(x, {.verbose = 0})));
  EXPECT_EQ(back->optimizer().iterations(), 3);
}

TEST(KerasArchive, FunctionalConfigInAnyLayerOrderAndCyclesRefused) {
  const saving::zip::Reader z(read_file(interop("functional.keras")), "functional.keras");
  json config = json::parse(z.read("config.json", 1 << 24));
  config.erase("compile_config");
  Handle<Model> keras_order = models::model_from_config(config);
  // Reversed: every layer listed after the layers that read from it.
  json& list = config["config"]["layers"];
  std::reverse(list.begin(), list.end());
  Handle<Model> reversed = models::model_from_config(config);
  EXPECT_EQ(reversed->count_params(), keras_order->count_params());
  EXPECT_EQ(reversed->get_config()["layers"].size(), keras_order->get_config()["layers"].size());
  // A node that reads its own output.
  for (json& l : list)
    if (l["class_name"] == "Concatenate")
      l["inbound_nodes"][0]["args"][0][0]["config"]["keras_history"] = {l["name"], 0, 0};
  expect_error<ValueError>([&] { models::model_from_config(config); }, "disconnected or cyclic");
}
