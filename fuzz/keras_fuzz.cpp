// libFuzzer target for keras::models::load_model's reader: .keras archives (ZIP, config.json,
// model.weights.h5) and legacy Keras 2 .h5 model files, from memory. Built by `make fuzz`
// (CMake option KERAS_FUZZ); seeds: fuzz/corpus/keras_fuzz/ (small archives keras.cpp and Python
// Keras wrote).
//
// Any input must either load or raise a keras::Error: a crash, leak, hang, sanitizer report or an
// allocation beyond what the input holds is a bug. A model that loads must also predict.
#include <cstddef>
#include <cstdint>
#include <string>

#include "keras/error.hpp"
#include "keras/keras.hpp"
#include "saving/legacy_h5.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    keras::Handle<keras::Model> model = keras::saving::detail::load_model_from_bytes(
        std::string(reinterpret_cast<const char*>(data), size), "fuzz.keras", {});
    (void)model->to_json();
    if (model->is_functional() && model->inputs().size() == 1) {
      keras::Shape s = model->inputs()[0].shape();
      bool small = s.rank() <= 4;
      int64_t n = 1;
      for (int i = 1; i < s.rank(); ++i) {
        if (s[i] < 0 || s[i] > 64) small = false;
        n *= std::max<int64_t>(s[i], 1);
      }
      if (small && n <= 4096) {
        s[0] = 1;
        (void)model->predict(keras::ops::zeros(s, model->inputs()[0].dtype()), {.verbose = 0});
      }
    }
  } catch (const keras::Error&) {
  }
  return 0;
}
