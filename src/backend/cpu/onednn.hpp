#pragma once
// The oneDNN CPU engine, and one stream per calling thread (a CPU stream is a thin handle, and
// oneDNN does not promise that one stream may be used by several threads at once: data-parallel
// replicas run on their own threads). Shared by every oneDNN kernel.
#include <oneapi/dnnl/dnnl.hpp>

namespace keras::backend::cpu {

const dnnl::engine& engine();
dnnl::stream& stream();

}  // namespace keras::backend::cpu
