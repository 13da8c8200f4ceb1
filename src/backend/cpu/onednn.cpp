#include "backend/cpu/onednn.hpp"

namespace keras::backend::cpu {

const dnnl::engine& engine() {
  static const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream& stream() {
  static thread_local dnnl::stream s(engine());
  return s;
}

}  // namespace keras::backend::cpu
