"""Which frontend converts a model: --framework when given, else detected from the model files.

Frontend packages are imported only when chosen, so converting ONNX never loads the TensorFlow reader."""
from __future__ import annotations

import importlib
import os

from irforge.core.graph import Graph
from irforge.errors import InputError, OptionError
from irforge.options import ConversionOptions

# framework -> module exposing `accepts(options) -> bool` and `load(options) -> Graph`.
FRONTENDS: dict[str, str] = {
    "onnx": "irforge.frontends.onnx",
    "tf": "irforge.frontends.tensorflow",
    "caffe": "irforge.frontends.caffe",
    "mxnet": "irforge.frontends.mxnet",
    "kaldi": "irforge.frontends.kaldi",
}


def frontend_module(framework: str):
    if framework not in FRONTENDS:
        raise OptionError("--framework", framework, f"one of {', '.join(sorted(FRONTENDS))} "
                          "(the others are not available in this build yet)")
    return importlib.import_module(FRONTENDS[framework])


def detect_framework(options: ConversionOptions) -> str:
    if options.framework:
        return options.framework
    for framework in FRONTENDS:
        if frontend_module(framework).accepts(options):
            return framework
    model = options.input_model or ""
    if model and not os.path.exists(model):
        raise InputError("the model file does not exist", path=model)
    raise OptionError("--framework", None, "one of " + ", ".join(sorted(FRONTENDS)) +
                      f": the framework of {model!r} could not be told from its name or contents")


def load(options: ConversionOptions) -> Graph:
    return frontend_module(detect_framework(options)).load(options)
