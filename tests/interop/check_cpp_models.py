#!/usr/bin/env python3
"""Loads .keras files written by keras.cpp with Python Keras 3 (safe_mode=True) and checks that
Keras predicts what keras.cpp predicted, that the compile arguments came back, and that Keras can
train the model further.

Usage: KERAS_BACKEND=jax check_cpp_models.py DIR
DIR holds <name>.keras, <name>_x<i>.npy and <name>_pred<i>.npy for the models mlp, cnn,
functional and lstm (written by the C++ test KerasArchive.InteropOutputForKeras).
Exit status 0 when all match, 1 on a mismatch, 77 when keras is not installed.
"""
import glob
import os
import sys

try:
    import numpy as np
    import keras
except ImportError:
    print("SKIP: keras not installed (pip install keras jax into .venv)")
    sys.exit(77)

d = sys.argv[1]
ok = True
names = ["mlp", "cnn", "functional", "lstm"]
for name in names:
    path = os.path.join(d, name + ".keras")
    model = keras.saving.load_model(path, safe_mode=True)
    xs = [np.load(p) for p in sorted(glob.glob(os.path.join(d, name + "_x*.npy")))]
    want = [np.load(p) for p in sorted(glob.glob(os.path.join(d, name + "_pred*.npy")))]
    got = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    if not isinstance(got, (list, tuple)):
        got = [got]
    for i, (g, w) in enumerate(zip(got, want)):
        if g.shape != w.shape or not np.allclose(g, w, rtol=1e-5, atol=1e-6):
            print(f"MISMATCH: {name} output {i}: max abs diff {np.max(np.abs(g - w)) if g.shape == w.shape else g.shape}")
            ok = False
    if model.optimizer is None or int(model.optimizer.iterations.numpy()) == 0:
        print(f"MISMATCH: {name}: the optimizer state did not load")
        ok = False
    # Keras trains the loaded model one more step.
    if name in ("mlp", "cnn"):
        ys = [np.zeros((len(xs[0]),), dtype="int32")]
    if name == "functional":
        ys = [np.zeros((len(xs[0]), 1), dtype="float32"), np.zeros((len(xs[0]),), dtype="int32")]
    if name == "lstm":
        ys = [np.zeros((len(xs[0]), 1), dtype="float32")]
    model.fit(xs if len(xs) > 1 else xs[0], ys if len(ys) > 1 else ys[0], epochs=1, verbose=0)
    print(f"{name}: Keras {keras.__version__} loaded it (safe_mode=True), {len(got)} output(s) match")
if ok:
    print("OK: Python Keras reads the .keras files keras.cpp wrote")
sys.exit(0 if ok else 1)
