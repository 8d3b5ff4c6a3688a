"""ONNX frontend: the `onnx` package parses, irforge translates (table.py lists every op)."""
from __future__ import annotations

from irforge.core.graph import Graph
from irforge.errors import InputError
from irforge.extensions import extension_table
from irforge.frontends.base import overrides_from_options, progress_reporter
from irforge.options import ConversionOptions

from .loader import OnnxFrontend
from .table import OP_TABLE


def accepts(options: ConversionOptions) -> bool:
    path = options.input_model or ""
    if path.lower().endswith(".onnx"):
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        return False
    # A ModelProto starts with ir_version (field 1, varint: 0x08) and usually names its producer next.
    return head[:1] == b"\x08" and (b"pytorch" in head or b"onnx" in head or b"tf2onnx" in head
                                     or b"skl2onnx" in head or b"backend-test" in head)


def load(options: ConversionOptions) -> Graph:
    if not options.input_model:
        raise InputError("no --input_model given")
    extra = extension_table(options.extensions, "onnx")     # an extension's translator serves every opset
    frontend = OnnxFrontend({**OP_TABLE, **{op: {1: fn} for op, fn in extra.items()}} if extra else None)
    model, weight_slices = frontend.read(options.input_model)
    return frontend.convert(model, overrides_from_options(options), options.input_model,
                            weight_slices=weight_slices, progress=progress_reporter(options))
