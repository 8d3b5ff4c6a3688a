"""CaffeNet -> Graph. Blobs are wired by name in layer order (an in-place layer rebinds its blob name), every
unsupported layer type is reported in one error before anything is translated, and every produced blob that no
later layer reads becomes a model output (as the legacy Model Optimizer and Caffe's own net outputs do)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Graph, Origin, Output
from irforge.core.shape import PartialShape
from irforge.errors import ConversionError, InputError, OptionError, UnsupportedOps
from irforge.frontends.base import InputOverrides, make_input
from irforge.options import ConversionOptions

from .context import LayerContext
from .mean_file import read_mean_image
from .message import Message
from .net import CaffeLayer, CaffeNet
from .table import LAYERS, Translator, layer_key

log = logging.getLogger("irforge")


@dataclass
class Binding:
    """A blob name bound to a tensor; `consumed` once a later layer reads that tensor under that name."""

    name: str
    output: Output
    consumed: bool = False


class Converter:
    def __init__(self, net: CaffeNet, overrides: InputOverrides, options: ConversionOptions | None = None,
                 table: dict[str, Translator] | None = None):
        self.net = net
        self.overrides = overrides
        self.options = options or ConversionOptions()
        self.table = LAYERS if table is None else table
        self.weights_given = net.model_path is not None
        name = Path(net.model_path or net.proto_path).stem
        for suffix in (".caffemodel", ".prototxt"):
            name = name[: -len(suffix)] if name.endswith(suffix) else name
        self.graph = Graph(name or net.name or "model")
        self.bindings: dict[str, Binding] = {}
        self.produced: list[Binding] = []
        self.input_count = 0

    # -- checks before translating ---------------------------------------------------------------------------------
    def check_supported(self) -> None:
        missing = [(layer_key(layer), layer.name) for layer in self.net.layers if layer_key(layer) not in self.table]
        if missing:
            raise UnsupportedOps("Caffe", missing)

    # -- inputs ----------------------------------------------------------------------------------------------------
    def add_input(self, name: str, shape: tuple[int, ...] | None, layer_name: str) -> Output:
        """A model input (an Input layer's top, or an old top-level `input:`) with the user's overrides."""
        override = self.overrides.lookup(name, self.input_count, aliases=[layer_name] if layer_name != name else [])
        self.input_count += 1
        partial = PartialShape(shape) if shape is not None else PartialShape(None)
        x = make_input(self.graph, name, ElementType.f32, partial, override, Origin("caffe", layer_name, "Input",
                                                                                     self.net.proto_path))
        if x.shape.rank is None:
            raise ConversionError("the prototxt gives no shape for this input: give one with --input_shape or "
                                  "--input name[shape]", node=name, op_type="Input")
        return x

    def subtract_mean(self) -> None:
        """--mean_file: the mean image (cropped to the input) is subtracted right after the one input.

        The preprocessing pass later puts --reverse_input_channels and --scale(_values) between the input and this
        Subtract; the legacy order is reverse, subtract the mean, divide by the scale. So the mean is divided by
        the scale here: x / s - mean / s = (x - mean) / s, and the mean stays in the model's channel order."""
        if self.options.mean_values:
            raise OptionError("--mean_file", self.options.mean_file, "either --mean_file or --mean_values",
                              reason="Both --mean_file and mean_values are specified. Specify either mean file or "
                                     "mean values")
        if self.input_count != 1 or len(self.graph.parameters) != 1:
            raise ConversionError(f"--mean_file applies to a net with one input; this one has {self.input_count} "
                                  "(use --mean_values name[...] instead)")
        x = self.graph.parameters[0].outputs[0]
        name = self.graph.parameters[0].name
        if not x.shape.is_static or x.shape.rank != 4:
            raise ConversionError(f"--mean_file needs a static 4-D input [N,C,H,W], got [{x.shape}]", node=name)
        mean = read_mean_image(self.options.mean_file, x.shape.to_static(), self.options.mean_file_offsets)
        mean = mean / self.input_scale(x.shape[1])
        users = list(x.uses)
        const = self.graph.constant(mean[np.newaxis].astype(np.float32), name=f"{name}/mean_file")
        subtracted = self.graph.out(ops.Subtract(), x, const, name=f"{name}/mean_file/subtract")
        for use in users:
            self.graph.set_input(use.node, use.index, subtracted)

    def input_scale(self, channels: int) -> np.ndarray:
        """The divisor --scale / --scale_values give the one input, shaped [C, 1, 1] (1 when none)."""
        if self.options.scale is not None:
            return np.full((1, 1, 1), self.options.scale, np.float32)
        if not self.options.scale_values:
            return np.ones((1, 1, 1), np.float32)
        values = np.asarray(self.options.scale_values[0].values, np.float32)
        if values.size not in (1, channels):
            return np.ones((1, 1, 1), np.float32)   # the preprocessing pass reports the mismatch
        return values.reshape(-1, 1, 1)

    def bind(self, name: str, output: Output) -> None:
        binding = Binding(name, output)
        self.bindings[name] = binding
        self.produced.append(binding)

    # -- translation -----------------------------------------------------------------------------------------------
    def run(self) -> Graph:
        self.check_supported()
        for net_input in self.net.inputs:
            self.bind(net_input.name, self.add_input(net_input.name, net_input.shape, net_input.layer))
        for layer in self.net.layers:
            self.translate(layer)
        outputs = [b for b in self.produced if not b.consumed]
        if not outputs:
            raise ConversionError("the net has no output: every blob is read by a later layer")
        for binding in outputs:
            binding.output.names.add(binding.name)
            self.graph.result(binding.output, name=binding.name)
        if self.input_count == 0:
            raise InputError("the prototxt declares no input (no Input layer and no top-level `input:`)",
                             path=self.net.proto_path)
        if self.options.mean_file:
            self.subtract_mean()
        return self.graph

    def translate(self, layer: CaffeLayer) -> None:
        unknown = unknown_fields(layer.message)
        if unknown:
            log.warning("layer '%s' (%s): %s not known to irforge's caffe.proto and ignored (a fork's field, or a "
                        "typo Caffe itself would reject)", layer.name, layer.type, ", ".join(unknown))
        inputs = []
        for bottom in layer.bottoms:
            binding = self.bindings.get(bottom)
            if binding is None:
                raise ConversionError(f"bottom '{bottom}' is produced by no earlier layer or input "
                                      f"({layer.where} of the prototxt)", node=layer.name, op_type=layer.type)
            binding.consumed = True
            inputs.append(binding.output)
        ctx = LayerContext(self.graph, layer, inputs, self)
        outputs = self.table[layer_key(layer)](ctx)
        if len(outputs) < len(layer.tops):
            raise ctx.error(f"has {len(layer.tops)} tops; irforge's translation gives {len(outputs)}")
        for top in layer.tops:   # the name follows the newest value (Caffe's in-place semantics)
            if top in self.bindings:
                self.bindings[top].output.names.discard(top)
        ctx.finish(outputs, layer.tops)
        for top, out in zip(layer.tops, outputs):
            self.bind(top, out)


def unknown_fields(message: Message, prefix: str = "") -> list[str]:
    """Dotted paths of the fields the schema does not know, in this message and the known messages inside it."""
    found = [prefix + name for name in message.unknown]
    for name, values in message.values.items():
        for value in values:
            if isinstance(value, Message) and value.type is not None:
                found += unknown_fields(value, f"{prefix}{name}.")
    return found
