#!/usr/bin/env python3
"""Builds and trains small models with Python Keras 3 and saves what the C++ interop tests read.

Run by a developer (not by CI) from the repository root:
    KERAS_BACKEND=jax .venv/bin/python tests/interop/make_fixtures.py
Writes tests/fixtures/interop/<name>.keras, <name>.weights.h5, <name>_x*.npy (probe inputs),
<name>_pred*.npy (Keras' predictions for them) and <name>_train_x*.npy / <name>_train_y*.npy (a
small training set the C++ side trains one more epoch on). Keras version and backend used are
recorded in tests/fixtures/interop/README.txt.

Models: a Sequential MLP; a CNN with BatchNormalization and Dropout; a functional model with two
inputs and two outputs; an LSTM over an Embedding with mask_zero.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "interop")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20261129)
keras.utils.set_random_seed(7)


def save(name, model, probes, train_x, train_y):
    model.save(os.path.join(OUT, f"{name}.keras"))
    model.save_weights(os.path.join(OUT, f"{name}.weights.h5"))
    preds = model.predict(probes if len(probes) > 1 else probes[0], verbose=0)
    if not isinstance(preds, (list, tuple)):
        preds = [preds]
    for i, x in enumerate(probes):
        np.save(os.path.join(OUT, f"{name}_x{i}.npy"), x)
    for i, p in enumerate(preds):
        np.save(os.path.join(OUT, f"{name}_pred{i}.npy"), np.asarray(p))
    for i, x in enumerate(train_x):
        np.save(os.path.join(OUT, f"{name}_train_x{i}.npy"), x)
    for i, y in enumerate(train_y):
        np.save(os.path.join(OUT, f"{name}_train_y{i}.npy"), y)


# ---- Sequential MLP ------------------------------------------------------------------------------
x = rng.normal(size=(64, 8)).astype("float32")
y = (x[:, :3] @ rng.normal(size=(3, 3))).argmax(axis=1).astype("int32")
mlp = keras.Sequential(
    [
        keras.Input((8,)),
        keras.layers.Dense(16, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-4)),
        keras.layers.Dense(3, activation="softmax"),
    ],
    name="mlp",
)
mlp.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
mlp.fit(x, y, epochs=3, batch_size=16, verbose=0)
save("mlp", mlp, [rng.normal(size=(5, 8)).astype("float32")], [x], [y])

# ---- CNN with BatchNormalization and Dropout --------------------------------------------------------
x = rng.normal(size=(32, 8, 8, 1)).astype("float32")
y = (x.mean(axis=(1, 2, 3)) > 0).astype("int32")
cnn = keras.Sequential(
    [
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.MaxPooling2D(),
        keras.layers.Dropout(0.25),
        keras.layers.Flatten(),
        keras.layers.Dense(2),
    ],
    name="cnn",
)
cnn.compile(
    optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
cnn.fit(x, y, epochs=2, batch_size=8, verbose=0)
save("cnn", cnn, [rng.normal(size=(4, 8, 8, 1)).astype("float32")], [x], [y])

# ---- functional: two inputs, two outputs ------------------------------------------------------------
xa = rng.normal(size=(48, 4)).astype("float32")
xb = rng.normal(size=(48, 3)).astype("float32")
price = (xa.sum(axis=1, keepdims=True) + xb[:, :1]).astype("float32")
cls = (xa[:, 0] > xb[:, 0]).astype("int32")
a = keras.Input((4,), name="a")
b = keras.Input((3,), name="b")
h = keras.layers.Concatenate()([keras.layers.Dense(6, activation="tanh")(a), b])
h = keras.layers.Dense(8, activation="relu")(h)
out_price = keras.layers.Dense(1, name="price")(h)
out_cls = keras.layers.Dense(2, activation="softmax", name="cls")(h)
fn = keras.Model([a, b], [out_price, out_cls], name="two_in_two_out")
fn.compile(
    optimizer=keras.optimizers.RMSprop(1e-2),
    loss={"price": "mse", "cls": "sparse_categorical_crossentropy"},
    loss_weights={"price": 1.0, "cls": 0.5},
    metrics={"cls": ["accuracy"]},
)
fn.fit([xa, xb], [price, cls], epochs=3, batch_size=16, verbose=0)
save(
    "functional",
    fn,
    [rng.normal(size=(5, 4)).astype("float32"), rng.normal(size=(5, 3)).astype("float32")],
    [xa, xb],
    [price, cls],
)

# ---- LSTM over an Embedding with mask_zero ----------------------------------------------------------
seq = rng.integers(1, 20, size=(40, 7)).astype("int32")
for i in range(40):
    seq[i, rng.integers(3, 8):] = 0  # padding
label = (seq[:, 0] > 10).astype("float32")
lstm = keras.Sequential(
    [
        keras.Input((7,), dtype="int32"),
        keras.layers.Embedding(20, 5, mask_zero=True),
        keras.layers.LSTM(6),
        keras.layers.Dense(1, activation="sigmoid"),
    ],
    name="lstm",
)
lstm.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
lstm.fit(seq, label, epochs=2, batch_size=8, verbose=0)
probe = rng.integers(1, 20, size=(4, 7)).astype("int32")
probe[0, 4:] = 0
probe[2, 2:] = 0
save("lstm", lstm, [probe], [seq], [label])

with open(os.path.join(OUT, "README.txt"), "w") as f:
    f.write(
        "Made by tests/interop/make_fixtures.py with Keras "
        + keras.__version__
        + " ("
        + keras.backend.backend()
        + " backend, numpy "
        + np.__version__
        + ").\n"
    )
print("wrote", sorted(os.listdir(OUT)))

# ---- legacy .h5 full-model files --------------------------------------------------------------------
# Keras 3's own legacy writer (model.save("x.h5")).
mlp.save(os.path.join(OUT, "mlp_legacy.h5"))
cnn.save(os.path.join(OUT, "cnn_legacy.h5"))

# A tf.keras 2.x file: Keras 2's config schema (batch_input_shape, dtype strings, envelopes without
# module), weight datasets named "<layer>/<weight>:0", a Keras 2 training_config. Written with h5py
# from the trained MLP's weights, in the layout FORMATS.md section 2.7 describes.
import json  # noqa: E402

import h5py  # noqa: E402


def keras2_dense(layer, first):
    c = {
        "name": layer.name,
        "trainable": True,
        "dtype": "float32",
        "units": layer.units,
        "activation": keras.activations.serialize(layer.activation),
        "use_bias": True,
        "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
        "bias_initializer": {"class_name": "Zeros", "config": {}},
        "kernel_regularizer": None,
        "bias_regularizer": None,
        "activity_regularizer": None,
        "kernel_constraint": None,
        "bias_constraint": None,
    }
    if first:
        c["batch_input_shape"] = [None, 8]
    return {"class_name": "Dense", "config": c}


dense_layers = [l for l in mlp.layers if isinstance(l, keras.layers.Dense)]
keras2_config = {
    "class_name": "Sequential",
    "config": {
        "name": "sequential",
        "layers": [
            {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 8], "dtype": "float32", "sparse": False, "ragged": False, "name": "dense_input"}}
        ]
        + [keras2_dense(l, i == 0) for i, l in enumerate(dense_layers)],
    },
}
training_config = {
    "loss": "sparse_categorical_crossentropy",
    "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "accuracy", "dtype": "float32", "fn": "sparse_categorical_accuracy"}}]],
    "weighted_metrics": None,
    "loss_weights": None,
    "optimizer_config": {
        "class_name": "Adam",
        "config": {"name": "Adam", "learning_rate": 0.01, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False},
    },
}
with h5py.File(os.path.join(OUT, "mlp_tfkeras2.h5"), "w") as f:
    f.attrs["keras_version"] = "2.15.0"
    f.attrs["backend"] = "tensorflow"
    f.attrs["model_config"] = json.dumps(keras2_config).encode()
    f.attrs["training_config"] = json.dumps(training_config).encode()
    mw = f.create_group("model_weights")
    mw.attrs["layer_names"] = np.array([l.name.encode() for l in dense_layers])
    mw.attrs["backend"] = b"tensorflow"
    mw.attrs["keras_version"] = b"2.15.0"
    for l in dense_layers:
        g = mw.create_group(l.name)
        names = [f"{l.name}/kernel:0".encode(), f"{l.name}/bias:0".encode()]
        g.attrs["weight_names"] = np.array(names)
        g[names[0].decode()] = l.kernel.numpy()
        g[names[1].decode()] = l.bias.numpy()
print("wrote legacy files")
