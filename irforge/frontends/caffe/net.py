"""A Caffe net as irforge reads it: the prototxt's layers (V2 `layer {}` or V1 `layers {}`, filtered for the TEST
phase), the declared inputs (Input layers or the old top-level `input:` fields) and, by layer name, the weights
of the .caffemodel."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from irforge.core.tensor import FileSlice, unpack
from irforge.core.element_type import ElementType
from irforge.errors import InputError

from .caffemodel import BlobValues, read_caffemodel
from .message import Message
from .prototxt import read_prototxt
from .schema import V1_LAYER_TYPES

log = logging.getLogger("irforge")


@dataclass(frozen=True)
class Blob:
    """One weight blob: its shape (BlobShape, or the legacy num/channels/height/width) and where its f32 values
    are. A blob stored as one packed run stays in the .caffemodel (FileSlice) until the IR writer copies it."""

    shape: tuple[int, ...]
    data: FileSlice | np.ndarray    # f32 values, little-endian
    where: str

    @property
    def count(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def array(self) -> np.ndarray:
        """The values as a read-only f32 array of the blob's shape (a view of the mapped file when packed)."""
        if isinstance(self.data, FileSlice):
            return unpack(self.data.buffer(), ElementType.f32, self.shape)
        return self.data.reshape(self.shape)


def blob_from_message(m: Message, path: str, layer: str, index: int) -> Blob:
    runs: list[BlobValues] = m.list("data") or m.list("double_data")
    count = sum(r.count for r in runs)
    if m.has("shape"):
        shape = tuple(int(d) for d in m.get("shape").list("dim"))
    elif any(m.has(k) for k in ("num", "channels", "height", "width")):
        shape = tuple(int(m.get(k)) for k in ("num", "channels", "height", "width"))
    else:
        shape = (count,)
    needed = int(np.prod(shape, dtype=np.int64))
    if needed != count:
        raise InputError(f"blob {index} of layer '{layer}' holds {count} values but its shape {list(shape)} needs "
                         f"{needed}", path=path, offset=_offset(m.where))
    if len(runs) == 1 and isinstance(runs[0].source, FileSlice) and runs[0].dtype == np.dtype("<f4"):
        data: FileSlice | np.ndarray = runs[0].source
    else:  # double data, non-packed values, or several runs: gather once into an f32 array
        parts = [unpack(r.source.buffer(), ElementType.f64 if r.dtype.itemsize == 8 else ElementType.f32,
                        (r.count,)) if isinstance(r.source, FileSlice) else r.source for r in runs]
        data = np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)
    return Blob(shape, data, m.where)


def _offset(where: str) -> int | None:
    return int(where.rsplit(" ", 1)[1]) if where.startswith("byte offset") else None


@dataclass
class CaffeLayer:
    """One layer of the deploy net: what the prototxt says about it, and its weights from the .caffemodel."""

    name: str
    type: str
    bottoms: list[str]
    tops: list[str]
    message: Message                      # the LayerParameter (or V1LayerParameter) of the prototxt
    blobs: list[Blob] = field(default_factory=list)

    def param(self, name: str) -> Message:
        """A layer parameter message (convolution_param, ...): the prototxt's, or all defaults when absent."""
        return self.message.get(name)

    @property
    def where(self) -> str:
        return self.message.where


@dataclass
class NetInput:
    name: str
    shape: tuple[int, ...] | None         # None: the prototxt gives no shape
    layer: str                            # the Input layer's name (the blob name for top-level inputs)


@dataclass
class CaffeNet:
    name: str
    inputs: list[NetInput]
    layers: list[CaffeLayer]
    proto_path: str
    model_path: str | None


def layer_type(m: Message) -> str:
    kind = m.get("type")
    if m.type_name == "V1LayerParameter":
        return V1_LAYER_TYPES.get(kind, str(kind)) if isinstance(kind, str) else f"V1 type {kind}"
    return kind


@dataclass(frozen=True)
class NetState:
    """The state a deploy net runs in: phase TEST, with the level and stages the prototxt's `state` gives."""

    level: int = 0
    stages: frozenset[str] = frozenset()

    def meets(self, rule: Message) -> bool:
        """Caffe's StateMeetsRule."""
        if rule.has("phase") and rule.get("phase") != "TEST":
            return False
        if rule.has("min_level") and self.level < rule.get("min_level"):
            return False
        if rule.has("max_level") and self.level > rule.get("max_level"):
            return False
        return set(rule.list("stage")) <= self.stages and not set(rule.list("not_stage")) & self.stages

    def includes(self, layer: Message) -> bool:
        """A layer with include rules needs one that holds; one with exclude rules, none that holds."""
        includes, excludes = layer.list("include"), layer.list("exclude")
        if includes:
            return any(self.meets(r) for r in includes)
        return not any(self.meets(r) for r in excludes)


def net_inputs(net: Message, path: str) -> list[NetInput]:
    """The old top-level `input:` fields with `input_shape` or `input_dim` (4 per input)."""
    names = net.list("input")
    shapes = [tuple(int(d) for d in s.list("dim")) for s in net.list("input_shape")]
    dims = [int(d) for d in net.list("input_dim")]
    if dims:
        if len(dims) != 4 * len(names):
            raise InputError(f"the prototxt gives {len(dims)} input_dim values for {len(names)} input(s); Caffe "
                             "needs 4 per input (num, channels, height, width)", path=path)
        shapes = [tuple(dims[4 * i:4 * i + 4]) for i in range(len(names))]
    if shapes and len(shapes) != len(names):
        raise InputError(f"the prototxt gives {len(shapes)} input_shape for {len(names)} input(s)", path=path)
    return [NetInput(n, shapes[i] if shapes else None, n) for i, n in enumerate(names)]


def read_net(proto_path: str, model_path: str | None) -> CaffeNet:
    proto = read_prototxt(proto_path)
    v2, v1 = proto.list("layer"), proto.list("layers")
    if v2 and v1:
        raise InputError("the prototxt mixes `layer {}` and the old `layers {}` format; Caffe reads one of them",
                         path=proto_path)
    state = proto.get("state")
    net_state = NetState(int(state.get("level")), frozenset(state.list("stage")))
    messages = [m for m in (v2 or v1) if net_state.includes(m)]
    if not messages:
        raise InputError("the prototxt has no layers (neither `layer {}` nor `layers {}`)", path=proto_path)
    blobs = read_blobs(model_path) if model_path else {}
    layers = []
    for m in messages:
        name = m.get("name") or f"{layer_type(m)}_{len(layers)}"
        layers.append(CaffeLayer(name, layer_type(m), m.list("bottom"), m.list("top"), m, blobs.get(name, [])))
    if model_path:
        used = {layer.name for layer in layers}
        weightless = sorted(set(blobs) - used)
        if weightless:
            log.info("the .caffemodel has weights for layers the prototxt does not use: %s", ", ".join(weightless))
    inputs = net_inputs(proto, proto_path)
    return CaffeNet(proto.get("name") or "", inputs, layers, proto_path, model_path)


def read_blobs(model_path: str) -> dict[str, list[Blob]]:
    """Weights by layer name. Caffe matches prototxt and caffemodel layers by name, so do we."""
    model = read_caffemodel(model_path)
    layers = model.list("layer") or model.list("layers")
    out: dict[str, list[Blob]] = {}
    for m in layers:
        name = m.get("name")
        if m.list("blobs"):
            out[name] = [blob_from_message(b, model_path, name, i) for i, b in enumerate(m.list("blobs"))]
    return out
