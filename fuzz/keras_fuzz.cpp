// libFuzzer target for keras::models::load_model's reader: .keras archives (ZIP, config.json,
// model.weights.h5) and legacy Keras 2 .h5 model files, from memory. Built by `make fuzz`
// (CMake option KERAS_FUZZ); seeds: fuzz/corpus/keras_fuzz/ (small archives keras.cpp and Python
// Keras wrote).
//
// Any input must either load or raise a keras::Error: a crash, leak, hang, sanitizer report or an
// allocation beyond what the input holds is a bug. A model that loads must also serialize again.
// (Running a loaded model is not fuzzed: a valid file may describe a model whose activations are
// as large as its author wants.)
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
  } catch (const keras::Error&) {
  }
  return 0;
}
