#pragma once
/// NumPy .npy and .npz files (numpy/lib/format.py, version 1.0 to 3.0).
///
/// Example:
///   keras::npy::save("x.npy", x);
///   keras::Tensor y = keras::npy::load("x.npy");
///   auto arrays = keras::npy::load_npz("data.npz");   // name -> Tensor
///
/// Malformed files raise keras::ValueError naming the file and the problem;
/// sizes in a header are checked against the file before allocating.
/// Writes are atomic (temporary file, then rename). NumPy has no bfloat16:
/// bfloat16 tensors are saved as float32.
#include <map>
#include <string>

#include "keras/tensor.hpp"

namespace keras::npy {
Tensor load(const std::string& path);
void save(const std::string& path, const Tensor& x);
/// Parses .npy bytes already in memory (`what` names them in errors).
Tensor load_from_memory(const void* data, size_t size, const std::string& what = "<memory>");
std::string save_to_memory(const Tensor& x);
/// Members are "<name>.npy"; keys are returned without the suffix.
std::map<std::string, Tensor> load_npz(const std::string& path);
/// compressed = true stores members deflated (np.savez_compressed).
void save_npz(const std::string& path, const std::map<std::string, Tensor>& arrays, bool compressed = false);
}  // namespace keras::npy
