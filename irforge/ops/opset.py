"""OPSET: every op class irforge knows, listed explicitly; lookup by (IR type, opset) for the IR reader."""
from __future__ import annotations

import re

from . import activation, convolution, elementwise, indexing, matmul, normalization, pooling, recurrent, reduction, shape_ops
from . import control_flow, detection, interpolate, logic, misc, movement, nms, quantization, roi, scatter, signal, state
from . import ctc, space_batch, yolo
from .base import Constant, Op, Parameter, Result

OPSET: tuple[type[Op], ...] = (
    Parameter, Constant, Result,
    *elementwise.OPS,
    *activation.OPS,
    *convolution.OPS,
    *pooling.OPS,
    *matmul.OPS,
    *normalization.OPS,
    *reduction.OPS,
    *shape_ops.OPS,
    *indexing.OPS,
    *logic.OPS,
    *scatter.OPS,
    *interpolate.OPS,
    *control_flow.OPS,
    *quantization.OPS,
    *recurrent.OPS,
    *nms.OPS,
    *signal.OPS,
    *misc.OPS,
    *state.OPS,
    *space_batch.OPS,
    *ctc.OPS,
    *detection.OPS,
    *roi.OPS,
    *movement.OPS,
    *yolo.OPS,
)

# The IR reader's aliases (OpenVINO reads these type names as the same op).
ALIASES = {"constant": "const", "relu": "relu", "prelu": "prelu", "softmax": "softmax"}


def opset_number(version: str) -> int:
    m = re.fullmatch(r"opset(\d+)", version)
    return int(m.group(1)) if m else 0


def find_op(type_name: str, version: str, opset: tuple[type[Op], ...] = OPSET) -> type[Op] | None:
    """The class OpenVINO would build for `type_name` tagged `version`: the newest op version the opset holds.

    Type names match case-insensitively, as in the OpenVINO reader. A tag older than every version we have
    (e.g. Softmax tagged opset1 when we implement Softmax-8) falls back to our oldest version of that type.
    """
    key = type_name.lower()
    key = ALIASES.get(key, key)
    candidates = [c for c in opset if c.TYPE.lower() == key]
    if not candidates:
        return None
    wanted = opset_number(version) or 10 ** 6
    fitting = [c for c in candidates if opset_number(c.VERSION) <= wanted]
    pool = fitting or candidates
    return max(pool, key=lambda c: opset_number(c.VERSION)) if fitting else min(pool, key=lambda c: opset_number(c.VERSION))
