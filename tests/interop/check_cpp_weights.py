#!/usr/bin/env python3
"""Loads a .weights.h5 file written by keras.cpp into the same model built with Python Keras 3 and
checks that Keras predicts what keras.cpp predicted and restores the optimizer state.

Usage: KERAS_BACKEND=jax check_cpp_weights.py DIR
DIR holds mlp.weights.h5, x_probe.npy, y_pred.npy and iterations.npy (written by the C++ test
WeightsFile.InteropOutputForKeras). The model is the one of tests/saving/weights_file_test.cpp:
Input(4) -> Dense(3, relu) -> Dense(2), compiled with Adam(0.01) and MSE.
Exit status 0 on a match, 1 on a mismatch, 77 when keras is not installed.
"""
import os
import sys

try:
    import numpy as np
    import keras
except ImportError:
    print("SKIP: keras not installed (pip install keras jax into .venv)")
    sys.exit(77)

d = sys.argv[1]
model = keras.Sequential(
    [keras.Input((4,)), keras.layers.Dense(3, activation="relu", name="hidden"), keras.layers.Dense(2, name="out")],
    name="mlp",
)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
model.optimizer.build(model.trainable_variables)
model.load_weights(os.path.join(d, "mlp.weights.h5"))
x = np.load(os.path.join(d, "x_probe.npy"))
want = np.load(os.path.join(d, "y_pred.npy"))
got = model.predict(x, verbose=0)
ok = True
if not np.allclose(got, want, rtol=1e-5, atol=1e-6):
    print("MISMATCH: predictions", got, "expected", want)
    ok = False
iterations = int(np.load(os.path.join(d, "iterations.npy")))
if int(model.optimizer.iterations.numpy()) != iterations:
    print("MISMATCH: optimizer iterations", int(model.optimizer.iterations.numpy()), "expected", iterations)
    ok = False
if ok:
    print(f"OK: Keras {keras.__version__} loads the keras.cpp weights file; predictions match "
          f"(max abs diff {float(np.max(np.abs(got - want))):.2e}), optimizer at iteration {iterations}")
sys.exit(0 if ok else 1)
