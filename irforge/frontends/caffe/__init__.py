"""Caffe frontend: deploy.prototxt (text) + .caffemodel (weights), read by irforge's own protobuf schema without
Caffe, caffe_pb2 or protoc; weights stay in the .caffemodel until the IR writer copies them.

Which files: `--input_model X.caffemodel --input_proto deploy.prototxt`; without --input_proto, X.prototxt next to
the .caffemodel (as the legacy Model Optimizer). `--input_proto` alone (or a .prototxt as --input_model) converts
the topology only: every weight is a constant 0, except multiplicative ones (Scale, BatchNorm variance, Normalize,
PReLU slopes) which are 1 (0.25 for PReLU), so the IR runs and its shapes can be checked.
"""
from __future__ import annotations

import logging
import os

from irforge.core.graph import Graph
from irforge.errors import InputError
from irforge.extensions import extension_table
from irforge.frontends.base import overrides_from_options
from irforge.options import ConversionOptions

from .converter import Converter
from .table import LAYERS
from .net import read_net

log = logging.getLogger("irforge")


def accepts(options: ConversionOptions) -> bool:
    model = (options.input_model or "").lower()
    if model.endswith((".caffemodel", ".prototxt")):
        return True
    return not options.input_model and bool(options.input_proto)


def model_files(options: ConversionOptions) -> tuple[str, str | None]:
    """(prototxt, caffemodel or None) from --input_model / --input_proto."""
    model, proto = options.input_model, options.input_proto
    if model and model.lower().endswith(".prototxt") and not proto:
        model, proto = None, model
    if model and not os.path.isfile(model):
        raise InputError("the model file does not exist", path=model)
    if model and not proto:
        candidate = os.path.splitext(model)[0] + ".prototxt"
        if not os.path.isfile(candidate):
            raise InputError(f"no deploy prototxt: give it with --input_proto (irforge looked for {candidate})",
                             path=model)
        proto = candidate
    if not proto:
        raise InputError("no Caffe model given: use --input_model X.caffemodel [--input_proto deploy.prototxt]")
    if not os.path.isfile(proto):
        raise InputError("the prototxt does not exist", path=proto)
    return proto, model


def load(options: ConversionOptions) -> Graph:
    proto, model = model_files(options)
    if options.disable_omitting_optional or options.enable_flattening_nested_params:
        # In the legacy mo these shaped the IR attributes of custom layers (CustomLayersMapping, fallback);
        # irforge converts no custom layer (they are reported as unsupported), so there is nothing to shape.
        log.info("--disable_omitting_optional / --enable_flattening_nested_params only change custom layers' "
                 "attributes; this net is converted with irforge's own layers, so they have no effect")
    if model is None:
        log.warning("no .caffemodel given: converting the topology of %s with placeholder weights (0, or 1 for "
                    "scales)", proto)
    net = read_net(proto, model)
    extra = extension_table(options.extensions, "caffe")
    return Converter(net, overrides_from_options(options), options, {**LAYERS, **extra} if extra else None).run()
