"""Quantized weights stored as integers: FakeQuantize(constant float weights) -> Const i8/u8 (i4/u4 for at most
16 levels, i16/u16 for at most 65536) -> Convert -> Subtract (zero point, left out when it is 0) -> Multiply
(scale, left out when it is 1). The legacy Model Optimizer's "compressed IR": up to 4x smaller than the f32
weights under a FakeQuantize that --disable_weights_compression keeps.

The subgraph is written as OpenVINO writes it for an ONNX QDQ model, with no rt_info marks: the CPU plugin finds
Const(integer) -> Convert -> [Subtract] -> Multiply by its structure and runs the consumer (Convolution, MatMul)
in INT8. (A `decompression` mark on that Convert, as fp16 compression writes, makes the plugin compute in f32.)
Because nothing marks it, the passes recognise it by structure too: dequantization_nodes() tells fold_constants
what not to fold back into f32 and compress_to_fp16 what to leave alone.

For each FakeQuantize on a constant, the stored integers are the grid indices the FakeQuantize computes (spec
rounding), shifted into the signed type when that makes the zero point 0. The scale is
(out_high - out_low) / (levels - 1) and the zero point -out_low / scale, per the broadcast shape of the output
limits; a zero point that is not a whole number stays a float. The result is checked against the FakeQuantize's
own output (within a thousandth of a step, or the limits' float resolution) before anything is replaced.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Constant, Graph, Node

STORAGE = ((16, 4), (256, 8), (65536, 16))          # at most this many levels -> this many bits
INTEGER_TYPES = {(4, True): ElementType.i4, (4, False): ElementType.u4, (8, True): ElementType.i8,
                 (8, False): ElementType.u8, (16, True): ElementType.i16, (16, False): ElementType.u16}
STORED_TYPES = frozenset(INTEGER_TYPES.values())
WHOLE = 1e-3                # a zero point this close to an integer (in steps) is that integer
TOLERANCE = 1e-3            # the stored form may differ from the FakeQuantize output by this share of a step


@dataclass(frozen=True)
class Compressed:
    """Integer weights and how to read them back: (stored - zero_point) * scale."""

    stored: np.ndarray
    element_type: ElementType
    zero_point: np.ndarray | None     # None: zero; an integer array of the stored type, or float
    scale: np.ndarray | None          # None: one

    def dequantized(self, dtype) -> np.ndarray:
        """What the runtime computes: Convert, Subtract, Multiply, in the weights' float type."""
        y = self.stored.astype(dtype)
        if self.zero_point is not None:
            y = y - self.zero_point.astype(dtype)
        if self.scale is not None:
            y = y * self.scale.astype(dtype)
        return y


def compress(weights: np.ndarray, limits: list[np.ndarray], fq: ops.FakeQuantize) -> Compressed | None:
    """The integer form of FakeQuantize(weights, *limits), or None when it has none (too many levels, an output
    range of zero width that is not 0, a result that differs)."""
    bits = next((b for most, b in STORAGE if fq.levels <= most), None)
    if bits is None:
        return None
    dtype = weights.dtype
    in_low, in_high, out_low, out_high = (np.asarray(v, dtype) for v in limits)
    index = fq.grid_index(weights, in_low, in_high).astype(np.int64)
    low, high = (np.asarray(v, np.float64) for v in np.broadcast_arrays(out_low, out_high))
    scale = (high - low) / (fq.levels - 1)
    flat = scale == 0
    if np.any(flat & (low != 0)):
        return None
    with np.errstate(all="ignore"):
        zero_point = np.where(flat, 0.0, -low / np.where(flat, 1.0, scale))  # in grid-index units
    expected = fq.evaluate(weights, *(np.asarray(v, dtype) for v in limits))[0]
    candidate = _choose(index, zero_point, bits, dtype)
    candidate = Compressed(candidate.stored, candidate.element_type, candidate.zero_point,
                           None if np.all(scale == 1) else scale.astype(dtype))
    # A thousandth of a step, or (with many levels) the float resolution of the limits, whichever is larger:
    # the FakeQuantize's own f32 arithmetic is no more exact than that.
    resolution = 8 * np.finfo(dtype).eps * np.maximum(np.abs(low), np.abs(high))
    allowed = np.maximum(TOLERANCE * np.abs(scale), resolution) + np.finfo(dtype).tiny
    if np.all(np.abs(candidate.dequantized(dtype).astype(np.float64) - expected) <= allowed):
        return candidate
    return None


def _choose(index: np.ndarray, zero_point: np.ndarray, bits: int, dtype) -> Compressed:
    """Stored integers and zero point (scale left out): with a whole zero point, index - zero_point itself when it
    fits the signed (else unsigned) type, so there is no Subtract (symmetric weights, ONNX int8 weights);
    otherwise the indices as unsigned integers with the zero point, an integer of that type where it fits."""
    signed, unsigned = INTEGER_TYPES[(bits, True)], INTEGER_TYPES[(bits, False)]
    whole = bool(np.all(np.abs(zero_point - np.round(zero_point)) <= WHOLE))
    if whole:
        z = np.round(zero_point).astype(np.int64)
        centred = index - z
        for et in (signed, unsigned):
            lo, hi = _bounds(et)
            if centred.min(initial=0) >= lo and centred.max(initial=0) <= hi:
                return Compressed(centred.astype(et.numpy), et, None, None)
        for et, offset in ((unsigned, 0), (signed, -(1 << (bits - 1)))):
            lo, hi = _bounds(et)
            if np.all((z + offset >= lo) & (z + offset <= hi)):
                return Compressed((index + offset).astype(et.numpy), et, (z + offset).astype(et.numpy), None)
    return Compressed(index.astype(unsigned.numpy), unsigned, zero_point.astype(dtype), None)


def _bounds(et: ElementType) -> tuple[int, int]:
    bits = et.bits
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if et.is_signed else (0, (1 << bits) - 1)


def compress_quantized_weights(graph: Graph) -> int:
    """Replace every FakeQuantize of a constant float tensor with constant limits by its integer form. Returns
    the number of FakeQuantize nodes replaced."""
    replaced = 0
    for node in graph.nodes_of(ops.FakeQuantize):
        data = node.inputs[0]
        if not isinstance(data.node.op, Constant) or not data.element_type.is_float or not node.outputs[0].uses:
            continue
        if not all(isinstance(x.node.op, Constant) for x in node.inputs[1:]):
            continue
        weights = np.asarray(data.node.op.array())
        if weights.dtype != data.element_type.numpy:
            continue  # bf16 (held widened): left as it is
        fq = node.op
        assert isinstance(fq, ops.FakeQuantize)
        compressed = compress(weights, [x.node.op.array() for x in node.inputs[1:]], fq)  # type: ignore[attr-defined]
        if compressed is None:
            continue
        graph.replace_uses(node.outputs[0], _build(graph, node, compressed, data.element_type))
        replaced += 1
    return replaced


def _build(graph: Graph, fq: Node, c: Compressed, float_type: ElementType):
    """Const(integers) -> Convert -> [Subtract] -> [Multiply], named after the weights and the FakeQuantize."""
    name = fq.inputs[0].node.name
    stored = graph.add(Constant(c.element_type, c.stored.shape, c.stored), name=f"{name}/quantized", origin=fq.origin)
    y = graph.out(ops.Convert(float_type), stored.outputs[0], name=f"{name}/to_{float_type.value}",
                  origin=fq.origin)
    if c.zero_point is not None:
        if c.zero_point.dtype.kind == "f":
            zp = graph.constant(c.zero_point.astype(float_type.numpy), float_type, name=f"{name}/zero_point")
        else:
            zp_int = graph.add(Constant(c.element_type, c.zero_point.shape, c.zero_point), name=f"{name}/zero_point")
            zp = graph.out(ops.Convert(float_type), zp_int.outputs[0], name=f"{name}/zero_point/to_{float_type.value}")
        y = graph.out(ops.Subtract(), y, zp, name=f"{name}/subtract_zero_point", origin=fq.origin)
    if c.scale is not None:
        y = graph.out(ops.Multiply(), y, graph.constant(c.scale, float_type, name=f"{name}/scale"),
                      name=f"{name}/multiply_scale", origin=fq.origin)
    if y.node is not stored:
        y.node.name = fq.name  # the last node is what the FakeQuantize was (its name, its tensor names)
    return y


# -- recognising the subgraph ------------------------------------------------------------------------------------
def dequantization_nodes(graph: Graph) -> set[int]:
    """ids of the nodes of every Const(integer) -> Convert(float) -> [Subtract zero point] -> [Multiply scale]
    chain, the zero point and scale constants (and the zero point's Convert) included: what compress_quantized
    _weights writes and OpenVINO runs in low precision. Folding them would store f32 weights again."""
    marked: set[int] = set()
    for convert in graph.nodes_of(ops.Convert):
        source = convert.inputs[0].node
        if not isinstance(source.op, Constant) or source.op.element_type not in STORED_TYPES \
                or not convert.op.destination_type.is_float:  # type: ignore[attr-defined]
            continue
        chain = _chain_after(convert)
        if chain is None:
            continue
        marked |= {id(source), id(convert), *chain}
    return marked


def _chain_after(convert: Node) -> set[int] | None:
    """The Subtract / Multiply after a weights Convert, with their constant operands; None when the Convert
    feeds something else (a Convert of integer constants used as plain values)."""
    uses = convert.outputs[0].uses
    if len(uses) != 1:
        return None
    node = uses[0].node
    found: set[int] = set()
    if isinstance(node.op, ops.Subtract) and uses[0].index == 0:
        zp = node.inputs[1].node
        if isinstance(zp.op, ops.Convert) and isinstance(zp.inputs[0].node.op, Constant):
            found |= {id(zp), id(zp.inputs[0].node)}
        elif isinstance(zp.op, Constant):
            found.add(id(zp))
        else:
            return None
        found.add(id(node))
        if len(node.outputs[0].uses) != 1:
            return found
        use = node.outputs[0].uses[0]
        node = use.node
        if not isinstance(node.op, ops.Multiply):
            return found
    if isinstance(node.op, ops.Multiply):
        other = node.inputs[1 - _index_of(node, found, convert)].node
        if isinstance(other.op, Constant):
            return found | {id(node), id(other)}
        return found or None
    return found or None


def _index_of(multiply: Node, found: set[int], convert: Node) -> int:
    """Which input of the Multiply carries the weights (the Subtract's output, or the Convert's)."""
    for i, x in enumerate(multiply.inputs):
        if id(x.node) in found or x.node is convert:
            return i
    return 0


def quantization_constants(graph: Graph) -> set[int]:
    """ids of the constants that hold quantization: every input of a FakeQuantize (weights under it, limits),
    and the integers, zero points and scales of the dequantization chains."""
    ids = {id(x.node) for fq in graph.nodes_of(ops.FakeQuantize) for x in fq.inputs
           if isinstance(x.node.op, Constant)}
    return ids | {i for i in dequantization_nodes(graph)}


@dataclass(frozen=True)
class QuantizationSummary:
    """What the conversion summary reports: FakeQuantize nodes, integer weight tensors, bytes saved by storing
    them as integers instead of floats."""

    fake_quantize: int
    compressed: int
    bytes_saved: int
    storage: tuple[str, ...]   # the integer types used, e.g. ("i8",)

    def __str__(self) -> str:
        if not self.fake_quantize and not self.compressed:
            return ""
        text = f"{self.fake_quantize} FakeQuantize"
        if self.compressed:
            text += (f", {self.compressed} weights stored as {'/'.join(self.storage)} "
                     f"({_size(self.bytes_saved)} less than as floats)")
        return text


def summarize(graph: Graph) -> QuantizationSummary:
    live = graph.topological()
    fake_quantize = sum(1 for n in live if isinstance(n.op, ops.FakeQuantize))
    chains = dequantization_nodes(graph)
    compressed, saved, storage = 0, 0, set()
    for node in live:
        if id(node) in chains and isinstance(node.op, Constant) and node.outputs[0].uses \
                and isinstance(node.outputs[0].uses[0].node.op, ops.Convert) and node.op.element_type in STORED_TYPES:
            convert = node.outputs[0].uses[0].node
            if any(isinstance(u.node.op, ops.Subtract) and u.index == 1 for u in convert.outputs[0].uses):
                continue  # a zero point, not weights
            count = int(np.prod(node.op.shape, dtype=np.int64))
            float_bytes = count * convert.op.destination_type.bits // 8  # type: ignore[attr-defined]
            saved += float_bytes - node.op.nbytes
            compressed += 1
            storage.add(node.op.element_type.value)
    return QuantizationSummary(fake_quantize, compressed, saved, tuple(sorted(storage)))


def _size(nbytes: int) -> str:
    return f"{nbytes / 1e6:.1f} MB" if nbytes >= 100_000 else f"{nbytes / 1e3:.1f} kB"
