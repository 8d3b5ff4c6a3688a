"""The Op base class and TensorInfo: what every operation declares (attributes, inference, numpy evaluation)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

from irforge.errors import NotEvaluable

from .element_type import ElementType
from .shape import PartialShape

# Values up to this many elements ride along with inference (shape arithmetic such as ShapeOf -> Gather -> Concat
# -> Reshape is then known while translating); bigger ones are left to the fold_constants pass.
KNOWN_VALUE_LIMIT = 4096


@dataclass(frozen=True, slots=True, eq=False)
class TensorInfo:
    """What inference knows about a tensor: element type, partial shape, and its value when small and known."""

    element_type: ElementType
    shape: PartialShape
    value: np.ndarray | None = None

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


def infer_with_values(op: Op, inputs: list[TensorInfo]) -> list[TensorInfo]:
    """op.infer, plus the output values when every input value is known and the outputs are small."""
    infos = op.infer(*inputs)
    if not op.FOLDABLE or not inputs or any(i.value is None for i in inputs):
        return infos
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
