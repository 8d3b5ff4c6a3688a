"""--compress_to_fp16 / --data_type FP16: f32 weights stored as f16, each followed by a Convert back to f32 that
is marked with rt_info `decompression`, as OpenVINO's own compression writes it (docs: ir_notes.md section 6).
The runtime keeps computing in f32; only the .bin halves.

Unlike OpenVINO, which clamps values beyond +-65504 to +-65504, a constant with any finite value outside the f16
range stays f32 (never a changed or infinite weight); so does one where most non-zero values would underflow to
zero (OpenVINO's 75% rule). Integer, f16, bf16 and f64 constants are left alone, and so are f32 constants that
feed shape computations (Reshape targets, Interpolate scales, Range bounds...): their exact values matter more
than their size, and OpenVINO leaves them f32 too. Quantized weights are left alone as well: the limits of a
FakeQuantize and the weights under it, and the scales and zero points of integer weights (they define the
quantization grid; OpenVINO keeps them f32 too).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from irforge import ops
from irforge.core.element_type import ElementType
from irforge.core.graph import Constant, Graph, Node
from irforge.core.tensor import STREAMED, DeferredValue, read_values, row_blocks

from .compress_quantized_weights import quantization_constants
from .fold_constants import DEFER_BYTES

F16_MAX = float(np.finfo(np.float16).max)         # 65504
F16_TINY = float(np.finfo(np.float16).smallest_subnormal)  # ~6e-8: smaller non-zero values become 0
UNDERFLOW_LIMIT = 0.75                            # keep f32 when this share of the non-zero values would be lost
KEEP_PRECISION = "disable_fp16_compression"       # rt_info mark (OpenVINO's name) of constants to leave f32

# Inputs that hold shapes, sizes, axes or counts, by op type: whatever computes them keeps its precision.
# Op types (not classes) so ops added by other frontends need no import here.
SHAPE_INPUTS: dict[str, tuple[int, ...]] = {
    "Reshape": (1,), "Broadcast": (1, 2), "Tile": (1,), "Squeeze": (1,), "Unsqueeze": (1,),
    "Interpolate": (1, 2, 3), "Range": (0, 1, 2), "TopK": (1,), "Pad": (1, 2), "Slice": (1, 2, 3, 4),
    "StridedSlice": (1, 2, 3), "Gather": (2,), "Split": (1,), "VariadicSplit": (1, 2), "ReduceSum": (1,),
    "ReduceMean": (1,), "ReduceMax": (1,), "ReduceMin": (1,), "ReduceProd": (1,), "ReduceL1": (1,),
    "ReduceL2": (1,), "Transpose": (1,), "ConvolutionBackpropData": (2,), "GroupConvolutionBackpropData": (2,),
    "Loop": (0, 1), "OneHot": (1,), "Roll": (1, 2), "ScatterUpdate": (3,), "ScatterElementsUpdate": (3,),
    "CumSum": (1,), "MVN": (1,), "NormalizeL2": (1,), "SpaceToBatch": (1, 2, 3), "BatchToSpace": (1, 2, 3),
    "ExtractImagePatches": (), "DepthToSpace": (), "NonMaxSuppression": (2, 3, 4, 5),
}


def _shape_feeding(graph: Graph) -> set[int]:
    """ids of the nodes whose values end up in a shape-like input (walking back from every such input; a ShapeOf
    ends the walk, as it reads no values)."""
    marked: set[int] = set()
    stack: list[Node] = []
    for node in graph.nodes:
        for index in SHAPE_INPUTS.get(node.op.TYPE, ()):
            if index < len(node.inputs):
                stack.append(node.inputs[index].node)
    while stack:
        node = stack.pop()
        if id(node) in marked:
            continue
        marked.add(id(node))
        if node.op.TYPE != "ShapeOf":  # a shape depends on no value upstream
            stack.extend(x.node for x in node.inputs)
    return marked


def _compressible(const: Constant) -> bool:
    """Read a block of rows at a time (weights left in the model file stay there)."""
    if const.element_type != ElementType.f32:
        return False
    largest, nonzero, lost = 0.0, 0, 0
    for _, _, block in row_blocks(const.data, const.element_type, const.shape):
        values = np.asarray(block, dtype=np.float32)
        finite = values[np.isfinite(values)]
        if finite.size:
            largest = max(largest, float(np.abs(finite).max()))
        magnitudes = np.abs(finite[finite != 0])
        nonzero += magnitudes.size
        lost += int(np.count_nonzero(magnitudes < F16_TINY / 2))
    if largest > F16_MAX:
        return False  # would clamp (OpenVINO) or become inf: keep the exact weights
    return not (nonzero and lost >= UNDERFLOW_LIMIT * nonzero)


def _half(const: Constant) -> np.ndarray | DeferredValue:
    """The f16 values; for weights that are read or computed when written (a FileSlice, fused or folded
    weights), a DeferredValue, so that compression holds no copy of the model's weights either."""
    if isinstance(const.data, STREAMED) and const.nbytes >= DEFER_BYTES:
        return DeferredValue(partial(_to_f16, const), ElementType.f16, const.shape,
                             (ops.Convert(ElementType.f16), const))
    return _to_f16(const)


def _to_f16(const: Constant) -> np.ndarray:
    return np.asarray(read_values(const.data, const.element_type, const.shape), np.float32).astype(np.float16)


def compress_to_fp16(graph: Graph) -> int:
    """Replace each compressible f32 Constant by an f16 Constant `<name>_compressed` and a Convert `<name>` to
    f32 marked `decompression`; the Convert takes over the consumers and tensor names. Idempotent (a second run
    finds no f32 weights). Returns the number of constants compressed."""
    keep = _shape_feeding(graph) | quantization_constants(graph)  # quantized weights keep their precision
    compressed = 0
    for node in graph.nodes_of(Constant):
        op = node.op
        assert isinstance(op, Constant)
        if id(node) in keep or KEEP_PRECISION in node.rt_info or not node.outputs[0].uses or not _compressible(op):
            continue
        half = _half(op)
        name = node.name
        small = graph.add(Constant(ElementType.f16, op.shape, half), name=f"{name}_compressed")
        back = graph.add(ops.Convert(ElementType.f32), small.outputs[0], name=f"{name}/decompression")
        back.rt_info["decompression"] = ""
        graph.replace_uses(node.outputs[0], back.outputs[0])
        graph.remove(node)
        back.name = name  # OpenVINO names the Convert as the original constant
        compressed += 1
    return compressed
