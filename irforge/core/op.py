"""The Op base class and TensorInfo: what every operation declares (attributes, inference, numpy evaluation)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

from irforge.errors import NotEvaluable

from .element_type import ElementType
from .shape import Dim, Interval, PartialShape

# Values up to this many elements ride along with inference (shape arithmetic such as ShapeOf -> Gather -> Concat
# -> Reshape is then known while translating); bigger ones are left to the fold_constants pass.
KNOWN_VALUE_LIMIT = 4096
# Partial values (below) are kept for integer tensors of at most this many elements: shape vectors.
PARTIAL_VALUE_LIMIT = 64


@dataclass(frozen=True, slots=True, eq=False)
class TensorInfo:
    """What inference knows about a tensor: element type, partial shape, and its value when small and known.

    `partial` is what is known of a small integer tensor's value when not all of it is: its elements in order,
    each an int or an Interval bounding it. ShapeOf of a [?, 16, 64] tensor is (?, 16, 64), and the ops that only
    move such elements (Gather, Concat, Slice, Squeeze...) keep them, so a Reshape or Interpolate fed a shape
    computed from a dynamic one still knows its static dims (as OpenVINO's bound and value propagation does)."""

    element_type: ElementType
    shape: PartialShape
    value: np.ndarray | None = None
    partial: tuple[Dim, ...] | None = None

    @staticmethod
    def of(array: np.ndarray, element_type: ElementType | None = None) -> TensorInfo:
        et = element_type or ElementType.from_numpy(array.dtype)
        small = array.size <= KNOWN_VALUE_LIMIT
        return TensorInfo(et, PartialShape(array.shape), array if small else None)

    @property
    def rank(self) -> int | None:
        return self.shape.rank

    def __repr__(self) -> str:
        known = "" if self.value is None else f" = {self.value.tolist()!r}"[:60]
        return f"<{self.element_type.value}[{self.shape}]{known}>"


@dataclass(frozen=True)
class Op:
    """An operation of an OpenVINO opset. Subclasses are frozen dataclasses whose fields are the IR attributes,
    spelled as the IR spells them, so one generic writer and reader serialise every op."""

    TYPE: ClassVar[str] = ""
    # True for ops whose numpy evaluation only moves elements (or does interval-safe arithmetic on them): they
    # may evaluate on partial values, as object arrays of ints and Intervals (see infer_with_values).
    MOVES_PARTIAL_VALUES: ClassVar[bool] = False
    VERSION: ClassVar[str] = "opset1"   # the opset where this op version first appeared (what the IR's `version` says)
    FOLDABLE: ClassVar[bool] = True      # False for ops with state or side effects (never constant-folded)

    def infer(self, *inputs: TensorInfo) -> list[TensorInfo]:
        """Output element types and partial shapes from the inputs'. Pure: never mutates anything."""
        raise NotImplementedError(f"{self.TYPE} has no shape inference")

    def evaluate(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """numpy evaluation: the reference runtime and constant folding both call this."""
        raise NotEvaluable(f"{self.TYPE} has no numpy evaluation")

    def ir_version(self) -> str:
        """The opset tag to write; an op whose attribute values need a newer op version overrides this."""
        return self.VERSION

    def attributes(self) -> dict[str, Any]:
        """The IR attributes by their IR names: the dataclass fields not marked `ir=False`; a field whose IR name
        is not a Python identifier (AvgPool's `exclude-pad`) gives it as metadata `ir_name`."""
        return {f.metadata.get("ir_name", f.name): getattr(self, f.name)
                for f in fields(self) if f.metadata.get("ir", True)}

    @property
    def type_name(self) -> str:
        return self.TYPE


def partial_value(info: TensorInfo) -> tuple[Dim, ...] | None:
    """The elements of a small integer tensor, each an int where known and an Interval where not; None when
    neither the value nor a partial value is known."""
    if info.value is not None:
        array = np.asarray(info.value)
        if array.dtype.kind in "iu" and array.size <= PARTIAL_VALUE_LIMIT:
            return tuple(int(v) for v in array.reshape(-1))
        return None
    return info.partial


def infer_with_values(op: Op, inputs: list[TensorInfo]) -> list[TensorInfo]:
    """op.infer, plus the output values when every input value is known and the outputs are small; or, for ops
    that move partial values, the output partial values (and the full value when no unknown element is left)."""
    infos = op.infer(*inputs)
    if not op.FOLDABLE or not inputs:
        return infos
    if any(i.value is None for i in inputs):
        return _with_partial_values(op, inputs, infos) if op.MOVES_PARTIAL_VALUES else infos
    if any(not i.shape.is_static or int(np.prod(i.shape.to_static())) > KNOWN_VALUE_LIMIT for i in infos):
        return infos
    try:
        values = op.evaluate(*[i.value for i in inputs])  # type: ignore[misc]
    except NotEvaluable:
        return infos
    out = []
    for info, value in zip(infos, values):
        value = np.asarray(value, dtype=info.element_type.numpy)
        out.append(TensorInfo(info.element_type, PartialShape(value.shape), value))
    return out


def _with_partial_values(op: Op, inputs: list[TensorInfo], infos: list[TensorInfo]) -> list[TensorInfo]:
    """Evaluate `op` on object arrays whose unknown elements are Intervals. An op that would compute with an
    unknown element fails (Interval has no arithmetic), and the outputs then keep no partial value."""
    if not any(i.partial is not None for i in inputs):
        return infos
    args = []
    for i in inputs:
        if i.value is not None:
            args.append(i.value)
        elif i.partial is not None and i.shape.is_static and int(np.prod(i.shape.to_static())) == len(i.partial):
            elements = np.empty(len(i.partial), dtype=object)
            elements[:] = list(i.partial)
            args.append(elements.reshape(i.shape.to_static()))
        else:
            return infos
    try:
        values = op.evaluate(*args)  # type: ignore[misc]
    except Exception:  # noqa: BLE001 - any failure only means "nothing known"
        return infos
    out = []
    for info, value in zip(infos, values):
        value = np.asarray(value)
        elements = [v.item() if isinstance(v, np.generic) else v for v in value.reshape(-1)]
        if (not info.element_type.is_integral or value.size > PARTIAL_VALUE_LIMIT
                or not all(isinstance(v, (int, Interval)) for v in elements)
                or not info.shape.compatible(PartialShape(value.shape))):
            out.append(info)
        elif all(isinstance(v, int) for v in elements):
            out.append(TensorInfo(info.element_type, PartialShape(value.shape),
                                  np.asarray(elements, dtype=info.element_type.numpy).reshape(value.shape)))
        else:
            out.append(TensorInfo(info.element_type, PartialShape(value.shape), None, tuple(elements)))
    return out
