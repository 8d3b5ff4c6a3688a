"""Quantization-aware-training-style TensorFlow models for the INT8 tests and bench/int8_sizes.py, built here from
nothing (tensorflow-model-optimization is not needed): the graph its default 8-bit scheme leaves for inference.

- weights: fake-quantized with symmetric ranges [-max|w|, max|w|] and narrow_range (255 levels), per output channel
  (FakeQuantWithMinMaxVarsPerChannel; depthwise filters [H, W, C, 1] through a [H, W, 1, C] reshape) or per
  tensor (FakeQuantWithMinMaxVars), as tfmot's LastValueQuantizer leaves them;
- activations: FakeQuantWithMinMaxVars (8 bits, 256 levels) on the input and after every layer's activation,
  residual add and average pooling, and on the logits, with ranges calibrated on seeded inputs (the float
  model's minimum and maximum, where tfmot's moving averages end up);
- every range is a tf.Variable, read by the graph like the weights; biases stay float.

The FP32 model is the same graph without the fake quantization. Both are written as a frozen GraphDef and as a
SavedModel (tf.saved_model.save: variables in the checkpoint), with TensorFlow's outputs on seeded inputs, under
${IRFORGE_TEST_CACHE:-~/.cache/irforge/test-models}/tf-int8/<model>-<quantization>-r<RECIPE>-tf<version>/;
a warm cache needs no TensorFlow.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

RECIPE = 2                 # bump when the models, the quantization or the inputs change
SEED = 0
CALIBRATION_SAMPLES = 8
QUANTIZATIONS = ("per_channel", "per_tensor")
FORMATS = ("frozen", "saved_model")
SEEDS = {"cnn": 16, "resnet": 32}   # evaluation inputs per model (heavy models: more, see the tests)
HEAVY = {"resnet"}


def cache_root() -> Path:
    root = os.environ.get("IRFORGE_TEST_CACHE") or os.path.expanduser("~/.cache/irforge/test-models")
    return Path(root) / "tf-int8"


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow
    return tensorflow


# -- layer lists ------------------------------------------------------------------------------------------------
# ("conv", out_channels, kernel, stride, activation) | ("dw", kernel, stride, activation) | ("res", [layers])
# | ("maxpool", size) | ("avgpool",) global | ("dense", units)
def _cnn() -> list:
    """A small mixed net: strided stem, depthwise-separable block, a residual block, max pooling, a dense head of
    48 outputs (an embedding: more elements to judge than 10 logits)."""
    return [("conv", 16, 3, 2, "relu6"), ("dw", 3, 1, "relu6"), ("conv", 24, 1, 1, None),
            ("res", [("conv", 24, 3, 1, "relu"), ("conv", 24, 3, 1, None)]),
            ("conv", 32, 3, 2, "relu"), ("maxpool", 2), ("avgpool",), ("dense", 48)]


def _resnet() -> list:
    """ResNet-18 at half width (64x64 input): basic blocks, strided 3x3 convolutions with 1x1 projections."""
    layers: list = [("conv", 32, 7, 2, "relu"), ("maxpool", 2)]
    width = 32
    for stage, channels in enumerate((32, 64, 128, 256)):
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            layers.append(("res", [("conv", channels, 3, stride, "relu"), ("conv", channels, 3, 1, None)],
                           None if stride == 1 and width == channels else ("conv", channels, 1, stride, None)))
            width = channels
    return layers + [("avgpool",), ("dense", 10)]


MODELS: dict[str, tuple[Callable[[], list], tuple[int, ...]]] = {
    "cnn": (_cnn, (1, 32, 32, 3)),
    "resnet": (_resnet, (1, 64, 64, 3)),
}


def inputs(name: str, seed: int) -> np.ndarray:
    return np.random.default_rng(1000 + seed).standard_normal(MODELS[name][1]).astype(np.float32)


# -- the network ----------------------------------------------------------------------------------------------
def _weights(layers: list, in_channels: int, rng: np.random.Generator) -> list:
    """(kind, weights, bias) for each conv / dw / dense, in layer order: He-initialised, small biases."""
    out = []

    def walk(layers, channels):
        for layer in layers:
            kind = layer[0]
            if kind == "conv":
                _, cout, k = layer[:3]
                out.append(("conv", rng.standard_normal((k, k, channels, cout)) * np.sqrt(2 / (k * k * channels)),
                            rng.standard_normal(cout) * 0.1))
                channels = cout
            elif kind == "dw":
                k = layer[1]
                out.append(("dw", rng.standard_normal((k, k, channels, 1)) * np.sqrt(2 / (k * k)),
                            rng.standard_normal(channels) * 0.1))
            elif kind == "res":
                start = channels
                channels = walk(layer[1], channels)
                if len(layer) > 2 and layer[2] is not None:
                    walk([layer[2]], start)
            elif kind == "dense":
                out.append(("dense", rng.standard_normal((channels, layer[1])) * np.sqrt(1 / channels),
                            rng.standard_normal(layer[1]) * 0.1))
                channels = layer[1]
        return channels
    walk(layers, in_channels)
    return [(kind, w.astype(np.float32), b.astype(np.float32)) for kind, w, b in out]


class Net:
    """The forward pass over the layer list. mode: "float", "calibrate" (records each activation point's range,
    eager only) or "quantize" (fake quantization with `ranges`; weights per_channel or per_tensor)."""

    def __init__(self, layers, weights, mode: str, quantization: str = "per_channel", ranges: dict | None = None):
        t = self.t = _tf()
        self.layers, self.mode, self.quantization = layers, mode, quantization
        self.weights = [(t.Variable(w, name="kernel"), t.Variable(b, name="bias")) for _, w, b in weights]
        self.recorded: dict[str, list[float]] = {}
        self.ranges = {k: (t.Variable(np.float32(lo), name=f"{k}_min"), t.Variable(np.float32(hi), name=f"{k}_max"))
                       for k, (lo, hi) in (ranges or {}).items()}
        self.weight_ranges = [self._weight_range(w, depthwise=kind == "dw") for kind, w, _ in weights] \
            if mode == "quantize" else []

    def _weight_range(self, w: np.ndarray, depthwise: bool):
        t = self.t
        if self.quantization == "per_tensor":
            amax = np.float32(np.abs(w).max())
        else:
            axes = tuple(range(w.ndim - 2)) + ((w.ndim - 1,) if depthwise else (w.ndim - 2,))
            amax = np.abs(w).max(axis=axes).reshape(-1).astype(np.float32)
        amax = np.maximum(amax, np.float32(1e-6))
        return t.Variable(-amax, name="weights_min"), t.Variable(amax, name="weights_max")

    def act(self, name: str, x):
        """An activation quantization point."""
        t = self.t
        if self.mode == "calibrate":
            lo, hi = float(np.min(x)), float(np.max(x))
            old = self.recorded.get(name, [0.0, 0.0])      # ranges hold 0
            self.recorded[name] = [min(old[0], lo), max(old[1], hi)]
        elif self.mode == "quantize":
            lo, hi = self.ranges[name]
            x = t.quantization.fake_quant_with_min_max_vars(x, lo, hi, num_bits=8, narrow_range=False)
        return x

    def kernel(self, index: int, depthwise: bool = False):
        t = self.t
        w, _ = self.weights[index]
        if self.mode != "quantize":
            return w
        lo, hi = self.weight_ranges[index]
        if self.quantization == "per_tensor":
            return t.quantization.fake_quant_with_min_max_vars(w, lo, hi, num_bits=8, narrow_range=True)
        if depthwise:   # per channel C of [H, W, C, 1]: the op quantizes the last axis
            shape = w.shape
            moved = t.reshape(w, [shape[0], shape[1], 1, shape[2]])
            q = t.quantization.fake_quant_with_min_max_vars_per_channel(moved, lo, hi, num_bits=8, narrow_range=True)
            return t.reshape(q, shape)
        return t.quantization.fake_quant_with_min_max_vars_per_channel(w, lo, hi, num_bits=8, narrow_range=True)

    def __call__(self, x):
        self.index = 0
        return self.act("logits", self._run(self.layers, self.act("input", x), "net"))

    def _run(self, layers, x, prefix):
        t = self.t
        for position, layer in enumerate(layers):
            name, kind = f"{prefix}.{position}", layer[0]
            if kind in ("conv", "dw"):
                i = self.index
                self.index += 1
                if kind == "conv":
                    _, _, _, stride, activation = layer
                    y = t.nn.conv2d(x, self.kernel(i), stride, "SAME")
                else:
                    _, _, stride, activation = layer
                    y = t.nn.depthwise_conv2d(x, self.kernel(i, depthwise=True), [1, stride, stride, 1], "SAME")
                y = t.nn.bias_add(y, self.weights[i][1])
                y = {"relu": t.nn.relu, "relu6": t.nn.relu6, None: lambda v: v}[activation](y)
                x = self.act(name, y)
            elif kind == "res":
                skip = x
                x = self._run(layer[1], x, name + ".body")
                if len(layer) > 2 and layer[2] is not None:
                    skip = self._run([layer[2]], skip, name + ".projection")
                x = self.act(name, t.nn.relu(x + skip))
            elif kind == "maxpool":
                x = t.nn.max_pool2d(x, layer[1], layer[1], "VALID")
            elif kind == "avgpool":
                x = self.act(name, t.reduce_mean(x, axis=[1, 2]))
            elif kind == "dense":
                i = self.index
                self.index += 1
                x = t.matmul(x, self.kernel(i)) + self.weights[i][1]
        return x


# -- building and caching -------------------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    quantization: str
    directory: Path

    def model(self, kind: str, fmt: str) -> Path:
        """The model file (frozen) or directory (saved_model) of kind "qat" or "fp32"."""
        return self.directory / kind / ("model.pb" if fmt == "frozen" else "saved_model")

    def io(self) -> dict[str, np.ndarray]:
        with np.load(self.directory / "io.npz") as data:
            return dict(data)

    def feeds(self) -> list[list[np.ndarray]]:
        io = self.io()
        return [[io[f"in{s}"]] for s in range(SEEDS[self.name])]

    def outputs(self, kind: str) -> list[list[np.ndarray]]:
        """TensorFlow's outputs of the fp32 or qat model, one list per seed."""
        io = self.io()
        return [[io[f"{kind}{s}"]] for s in range(SEEDS[self.name])]


def _version() -> str:
    """TensorFlow's version, from its package metadata (a warm cache never imports TensorFlow)."""
    import importlib.metadata
    for dist in ("tensorflow-cpu", "tensorflow"):
        try:
            return importlib.metadata.version(dist).replace("+", "_")
        except importlib.metadata.PackageNotFoundError:
            continue
    return "none"


def case(name: str, quantization: str) -> Case:
    directory = cache_root() / f"{name}-{quantization}-r{RECIPE}-tf{_version()}"
    if not (directory / "io.npz").exists():
        _build(name, quantization, directory)
    return Case(name, quantization, directory)


def _signature(net: Net):
    def serve(x):
        return {"logits": net(x)}
    return serve


def _build(name: str, quantization: str, directory: Path) -> None:
    t = _tf()
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    build, shape = MODELS[name]
    layers = build()
    weights = _weights(layers, shape[-1], np.random.default_rng(SEED))
    calibration = Net(layers, weights, "calibrate")
    for i in range(CALIBRATION_SAMPLES):
        calibration(np.random.default_rng(100 + i).standard_normal(shape).astype(np.float32))
    nets = {"fp32": Net(layers, weights, "float"),
            "qat": Net(layers, weights, "quantize", quantization, calibration.recorded)}
    tmp = directory.with_name(directory.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    io = {}
    for kind, net in nets.items():
        module = t.Module()
        module.net_variables = [v for pair in (*net.weights, *net.ranges.values(), *net.weight_ranges) for v in pair]
        module.__call__ = t.function(_signature(net), input_signature=[t.TensorSpec(shape, t.float32, name="input")],
                                     autograph=False)
        concrete = module.__call__.get_concrete_function()
        (tmp / kind).mkdir(parents=True)
        t.saved_model.save(module, str(tmp / kind / "saved_model"), signatures=concrete)
        frozen = convert_variables_to_constants_v2(concrete)
        t.io.write_graph(frozen.graph.as_graph_def(), str(tmp / kind), "model.pb", as_text=False)
        for s in range(SEEDS[name]):
            x = inputs(name, s)
            io[f"in{s}"] = x
            io[f"{kind}{s}"] = concrete(t.constant(x))["logits"].numpy()
    np.savez(tmp / "io.npz", **io)
    shutil.rmtree(directory, ignore_errors=True)
    tmp.rename(directory)
