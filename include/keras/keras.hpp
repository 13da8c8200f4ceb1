#pragma once
/// keras.cpp: Keras for C++. Include this one header.
#include "keras/config.hpp"
#include "keras/device.hpp"
#include "keras/dtype.hpp"
#include "keras/error.hpp"
#include "keras/gradient_tape.hpp"
#include "keras/graph.hpp"
#include "keras/npy.hpp"
#include "keras/ops.hpp"
#include "keras/random.hpp"
#include "keras/shape.hpp"
#include "keras/tensor.hpp"
#include "keras/variable.hpp"
