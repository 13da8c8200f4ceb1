#!/usr/bin/env python3
"""Reads keras.cpp TensorBoard event files with TensorBoard's own loader and checks the values.

Usage: read_events_with_tensorboard.py PATH [EXPECTED_JSON]

PATH is an event file (its run is named ".") or a log directory (every directory below it that
holds a *tfevents* file is a run named by its relative path, as TensorBoard names runs).
The files are loaded with TensorBoard's plugin_event_multiplexer, the same code path the
TensorBoard server uses (legacy simple_value summaries are migrated to tensors, orphaned points
are purged after a SessionLog START). Every scalar is printed as "run<TAB>tag<TAB>step<TAB>value".

EXPECTED_JSON, if given, is {"scalars": [{"run", "tag", "step", "value"}, ...],
"texts": [{"run", "tag", "step", "plugin", "value"}, ...]}; the scalars read must be exactly those
(values compared as float32), and each listed text tensor must be present. Exit status: 0 on a match,
1 on a mismatch, 2 on bad usage, 77 when the tensorboard package is not installed.
"""
import json
import math
import os
import struct
import sys

try:
    from tensorboard.backend.event_processing import plugin_event_accumulator, plugin_event_multiplexer
    from tensorboard.util import tensor_util
except ImportError:
    print("SKIP: tensorboard not installed (pip install tensorboard into .venv)")
    sys.exit(77)

SIZE_GUIDANCE = {"scalars": 0}  # keep every scalar point (TensorBoard samples 1000 per tag by default)


def load(path):
    """Returns {run: accumulator}, each reloaded."""
    if os.path.isfile(path):
        accs = {".": plugin_event_accumulator.EventAccumulator(path, tensor_size_guidance=SIZE_GUIDANCE)}
    else:
        mux = plugin_event_multiplexer.EventMultiplexer(tensor_size_guidance=SIZE_GUIDANCE)
        mux.AddRunsFromDirectory(path)
        accs = {run: mux.GetAccumulator(run) for run in mux.Runs()}
    for acc in accs.values():
        acc.Reload()
    return dict(sorted(accs.items()))


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    runs = load(argv[1])
    if not runs:
        print(f"error: no event files under {argv[1]}")
        return 1

    scalars, texts = [], []
    for run, acc in runs.items():
        scalar_tags = acc.PluginTagToContent("scalars") if "scalars" in acc.ActivePlugins() else {}
        for tag in sorted(scalar_tags):
            meta = acc.SummaryMetadata(tag)
            for ev in acc.Tensors(tag):
                arr = tensor_util.make_ndarray(ev.tensor_proto)
                if arr.ndim != 0:
                    print(f"error: {run}/{tag} step {ev.step}: scalar has shape {arr.shape}")
                    return 1
                scalars.append((run, tag, ev.step, float(arr.item()), meta.data_class))
        for plugin in sorted(acc.ActivePlugins()):
            if plugin == "scalars":
                continue
            for tag in sorted(acc.PluginTagToContent(plugin)):
                for ev in acc.Tensors(tag):
                    arr = tensor_util.make_ndarray(ev.tensor_proto)
                    # TensorBoard migrates graph_keras_model values to a blob sequence of shape [1].
                    if arr.dtype.kind in "SO" and arr.size == 1:
                        value = arr.reshape(()).item()
                        value = value.decode("utf-8") if isinstance(value, bytes) else value
                        texts.append((run, tag, ev.step, plugin, value))

    for run, tag, step, value, data_class in scalars:
        print(f"{run}\t{tag}\t{step}\t{value!r}\tdata_class={data_class}")
    for run, tag, step, plugin, value in texts:
        print(f"{run}\t{tag}\t{step}\tplugin={plugin}\t{value!r}")

    if len(argv) < 3:
        return 0
    with open(argv[2]) as f:
        expected = json.load(f)

    def f32(x):
        return struct.unpack("<f", struct.pack("<f", x))[0]

    errors = []
    got = {(r, t, s): v for r, t, s, v, _ in scalars}
    if len(got) != len(scalars):
        errors.append("duplicate (run, tag, step) points")
    want = {(e["run"], e["tag"], int(e["step"])): float(e["value"]) for e in expected.get("scalars", [])}
    for key in sorted(set(got) | set(want)):
        if key not in got:
            errors.append(f"missing scalar {key}")
        elif key not in want:
            errors.append(f"unexpected scalar {key} = {got[key]!r}")
        elif not (got[key] == f32(want[key]) or (math.isnan(got[key]) and math.isnan(want[key]))):
            errors.append(f"scalar {key}: got {got[key]!r}, expected {f32(want[key])!r}")
    bad_class = [(r, t, s) for r, t, s, _, dc in scalars if dc != 1]
    if bad_class:
        errors.append(f"scalars without data_class SCALAR: {bad_class[:5]}")
    for e in expected.get("texts", []):
        key = (e["run"], e["tag"], int(e["step"]), e["plugin"], e["value"])
        if key not in texts:
            errors.append(f"missing text tensor {key}")

    if errors:
        for e in errors:
            print("MISMATCH:", e)
        return 1
    print(f"OK: {len(scalars)} scalars in {len(runs)} run(s) match {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
