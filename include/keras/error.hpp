#pragma once
/// Errors raised by keras.cpp, mirroring the Python exception types Keras raises.
#include <stdexcept>
#include <string>

namespace keras {

/// Base of every error keras.cpp throws. Catch this to catch them all.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
/// An argument has the right type but an unacceptable value (a shape, an axis).
class ValueError : public Error {
 public:
  using Error::Error;
};
/// An argument has the wrong type (a dtype the op does not accept).
class TypeError : public Error {
 public:
  using Error::Error;
};
/// An index is out of range.
class IndexError : public Error {
 public:
  using Error::Error;
};
/// A file, key or name does not exist.
class NotFoundError : public Error {
 public:
  using Error::Error;
};
/// An operation is used in a state that does not allow it.
class RuntimeError : public Error {
 public:
  using Error::Error;
};
/// A feature that is designed in but not built (for example the CUDA device).
class NotImplementedError : public Error {
 public:
  using Error::Error;
};

}  // namespace keras
