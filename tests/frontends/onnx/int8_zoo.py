"""Quantized ONNX models for the INT8 tests and bench/int8_sizes.py, made here from nothing:

- float models: torchvision resnet18 / mobilenet_v2 (seeded random weights, BatchNorm statistics randomised, 64x64
  input), and two small nets built here in the shape of a detector (two feature maps, box / score heads, concat,
  sigmoid) and of a text recogniser (convolutions, then a sequence of columns through dense layers); all exported
  with torch's TorchScript exporter (dynamo=False);
- their quantized forms made by onnxruntime.quantization: static QDQ per channel and per tensor, static
  QOperator (QLinearConv, QLinearAdd, ...), and dynamic quantization (DynamicQuantizeLinear, ConvInteger,
  MatMulInteger), calibrated on seeded random inputs.

Everything is cached under ${IRFORGE_TEST_CACHE:-~/.cache/irforge/test-models}/int8/, keyed by the model, the
quantization recipe and the torch / onnxruntime versions, and rebuilt when absent.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

SEED = 0
RECIPE = 1                  # bump when the models or the quantization settings change
CALIBRATION_SAMPLES = 16
FORMATS = ("qdq_per_channel", "qdq_per_tensor", "qoperator", "dynamic")


def cache_dir() -> Path:
    root = os.environ.get("IRFORGE_TEST_CACHE") or os.path.expanduser("~/.cache/irforge/test-models")
    path = Path(root) / "int8"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _versions() -> str:
    import onnxruntime
    import torch
    return f"torch{torch.__version__}-ort{onnxruntime.__version__}".replace("+", "_")


# -- float models -------------------------------------------------------------------------------------------------
def _detector():
    """Two feature maps (strides 4 and 8), each with box and score heads; boxes and scores concatenated over
    the anchors of both maps, scores through a sigmoid."""
    import torch
    from torch import nn

    def block(cin, cout, stride):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

    class Detector(nn.Module):
        def __init__(self, anchors=3, classes=5):
            super().__init__()
            self.stem = nn.Sequential(block(3, 16, 2), block(16, 24, 2))
            self.dw = nn.Sequential(nn.Conv2d(24, 24, 3, 1, 1, groups=24), nn.ReLU(), nn.Conv2d(24, 32, 1))
            self.down = block(32, 48, 2)
            self.classes = classes
            self.box = nn.ModuleList([nn.Conv2d(c, anchors * 4, 3, 1, 1) for c in (32, 48)])
            self.score = nn.ModuleList([nn.Conv2d(c, anchors * classes, 3, 1, 1) for c in (32, 48)])

        def forward(self, x):
            f1 = self.dw(self.stem(x)) + self.stem(x)[:, :1].repeat(1, 32, 1, 1) * 0.5
            f2 = self.down(f1)
            boxes, scores = [], []
            for f, box, score in zip((f1, f2), self.box, self.score):
                boxes.append(box(f).permute(0, 2, 3, 1).reshape(1, -1, 4))
                scores.append(score(f).permute(0, 2, 3, 1).reshape(1, -1, self.classes))
            return torch.cat(boxes, 1), torch.sigmoid(torch.cat(scores, 1))

    return Detector(), (1, 3, 64, 64), ["boxes", "scores"]


def _recognizer():
    """A text-line recogniser: convolutions shrink the height to 1, the 16 columns become a sequence, two dense
    layers (LeakyReLU between) give per-column class scores."""
    import torch
    from torch import nn

    class Recognizer(nn.Module):
        def __init__(self, classes=20):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 16, 3, 1, 1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, 1, 1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(32, 48, 3, 1, 1), nn.BatchNorm2d(48), nn.ReLU(), nn.AvgPool2d((4, 1)))
            self.dense = nn.Sequential(nn.Linear(48, 64), nn.LeakyReLU(0.1), nn.Linear(64, classes))

        def forward(self, x):
            f = self.features(x)                       # [1, 48, 1, W/4]
            seq = f.squeeze(2).permute(0, 2, 1)        # [1, W/4, 48]
            return self.dense(seq)

    return Recognizer(), (1, 1, 16, 64), ["logits"]


def _torchvision(name: str):
    def build():
        import torchvision
        return getattr(torchvision.models, name)(weights=None).eval(), (1, 3, 64, 64), ["logits"]
    return build


FLOAT_MODELS: dict[str, Callable] = {
    "resnet18": _torchvision("resnet18"),
    "mobilenet_v2": _torchvision("mobilenet_v2"),
    "detector": _detector,
    "recognizer": _recognizer,
}
HEAVY = {"resnet18", "mobilenet_v2"}


def _randomize(model) -> None:
    """BatchNorm statistics and affine parameters random (else BN is an identity at inference)."""
    import torch
    generator = torch.Generator().manual_seed(SEED)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            c = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(c, generator=generator) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=generator) + 0.5)
                m.weight.copy_(torch.rand(c, generator=generator) + 0.5)
                m.bias.copy_(torch.randn(c, generator=generator) * 0.1)


def _atomic(path: Path, write: Callable[[str], None]) -> Path:
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)   # a concurrent run never reads half a file
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def float_model(name: str) -> Path:
    path = cache_dir() / f"{name}-fp32-seed{SEED}-r{RECIPE}-{_versions()}.onnx"
    if path.exists():
        return path
    import torch
    torch.manual_seed(SEED)
    model, shape, outputs = FLOAT_MODELS[name]()
    model = model.eval()
    _randomize(model)
    example = torch.randn(shape, generator=torch.Generator().manual_seed(SEED))

    def export(tmp: str) -> None:
        with torch.no_grad():
            torch.onnx.export(model, (example,), tmp, dynamo=False, opset_version=17, input_names=["input"],
                              output_names=outputs, do_constant_folding=True)
    return _atomic(path, export)


def input_shape(name: str) -> tuple[int, ...]:
    import onnx
    model = onnx.load(str(float_model(name)), load_external_data=False)
    return tuple(d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim)


def inputs(name: str, seed: int) -> np.ndarray:
    return np.random.default_rng(1000 + seed).standard_normal(input_shape(name)).astype(np.float32)


# -- quantized forms ----------------------------------------------------------------------------------------------
# QOperator: the ops onnxruntime turns into QLinear* ops that irforge translates (and the data movement between).
QOPERATOR_TYPES = ["Conv", "MatMul", "Gemm", "Add", "Mul", "Sigmoid", "LeakyRelu", "AveragePool",
                   "GlobalAveragePool", "Concat", "MaxPool", "Relu", "Reshape", "Transpose", "Squeeze", "Flatten"]


def quantized_model(name: str, fmt: str) -> Path:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    path = cache_dir() / f"{name}-{fmt}-seed{SEED}-r{RECIPE}-{_versions()}.onnx"
    if path.exists():
        return path
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic,
                                          quantize_static)
    source = str(float_model(name))

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.samples = iter([{"input": inputs(name, 100 + i)} for i in range(CALIBRATION_SAMPLES)])

        def get_next(self):
            return next(self.samples, None)

    def quantize(tmp: str) -> None:
        if fmt == "dynamic":
            quantize_dynamic(source, tmp, weight_type=QuantType.QUInt8 if name == "recognizer" else QuantType.QInt8)
        elif fmt == "qoperator":
            quantize_static(source, tmp, Reader(), quant_format=QuantFormat.QOperator, per_channel=True,
                            op_types_to_quantize=QOPERATOR_TYPES)
        else:
            quantize_static(source, tmp, Reader(), quant_format=QuantFormat.QDQ,
                            per_channel=fmt == "qdq_per_channel")
    import logging
    level = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)   # onnxruntime's advice to pre-process the model
    try:
        return _atomic(path, quantize)
    finally:
        logging.getLogger().setLevel(level)
