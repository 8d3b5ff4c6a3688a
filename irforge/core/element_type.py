"""Element types with their IR spellings, numpy dtypes and bit widths."""
from __future__ import annotations

from enum import Enum

import numpy as np


class ElementType(Enum):
    """Value = the IR's lowercase name (`<data element_type="f32">`)."""

    f16 = "f16"
    f32 = "f32"
    f64 = "f64"
    bf16 = "bf16"
    i4 = "i4"
    i8 = "i8"
    i16 = "i16"
    i32 = "i32"
    i64 = "i64"
    u1 = "u1"
    u4 = "u4"
    u8 = "u8"
    u16 = "u16"
    u32 = "u32"
    u64 = "u64"
    boolean = "boolean"
    string = "string"
    dynamic = "dynamic"

    @property
    def numpy(self) -> np.dtype:
        """The dtype irforge holds values of this type in (sub-byte types unpacked, one element per byte)."""
        return _NUMPY[self]

    @property
    def bits(self) -> int:
        return _BITS[self]

    @property
    def is_float(self) -> bool:
        return self in (ElementType.f16, ElementType.f32, ElementType.f64, ElementType.bf16)

    @property
    def is_integral(self) -> bool:
        return not self.is_float and self not in (ElementType.boolean, ElementType.string, ElementType.dynamic)

    @property
    def is_signed(self) -> bool:
        return self.is_float or self.value.startswith("i")

    @property
    def port_precision(self) -> str:
        """The spelling the OpenVINO serializer writes in a port's `precision`."""
        return _PRECISION[self]

    @staticmethod
    def from_numpy(dtype: np.dtype | type) -> ElementType:
        dtype = np.dtype(dtype)
        if dtype.kind in "US" or dtype == object:
            return ElementType.string
        try:
            return _FROM_NUMPY[dtype]
        except KeyError:
            raise ValueError(f"no IR element type for numpy dtype {dtype}") from None

    @staticmethod
    def parse(text: str) -> ElementType:
        """IR `element_type` or legacy port precision (FP32, I64, BOOL...), any case."""
        key = text.strip()
        low = key.lower()
        if low in _BY_VALUE:
            return _BY_VALUE[low]
        if key.upper() in _FROM_PRECISION:
            return _FROM_PRECISION[key.upper()]
        raise ValueError(f"unknown element type {text!r}")


_NUMPY = {
    ElementType.f16: np.dtype(np.float16), ElementType.f32: np.dtype(np.float32),
    ElementType.f64: np.dtype(np.float64), ElementType.bf16: np.dtype(np.float32),  # bf16 held widened to f32
    ElementType.i4: np.dtype(np.int8), ElementType.i8: np.dtype(np.int8), ElementType.i16: np.dtype(np.int16),
    ElementType.i32: np.dtype(np.int32), ElementType.i64: np.dtype(np.int64),
    ElementType.u1: np.dtype(np.uint8), ElementType.u4: np.dtype(np.uint8), ElementType.u8: np.dtype(np.uint8),
    ElementType.u16: np.dtype(np.uint16), ElementType.u32: np.dtype(np.uint32), ElementType.u64: np.dtype(np.uint64),
    ElementType.boolean: np.dtype(np.bool_), ElementType.string: np.dtype(object),
    ElementType.dynamic: np.dtype(np.float32),
}
_BITS = {
    ElementType.f16: 16, ElementType.f32: 32, ElementType.f64: 64, ElementType.bf16: 16,
    ElementType.i4: 4, ElementType.i8: 8, ElementType.i16: 16, ElementType.i32: 32, ElementType.i64: 64,
    ElementType.u1: 1, ElementType.u4: 4, ElementType.u8: 8, ElementType.u16: 16, ElementType.u32: 32,
    ElementType.u64: 64, ElementType.boolean: 8, ElementType.string: 8, ElementType.dynamic: 0,
}
_PRECISION = {
    ElementType.f16: "FP16", ElementType.f32: "FP32", ElementType.f64: "FP64", ElementType.bf16: "BF16",
    ElementType.i4: "I4", ElementType.i8: "I8", ElementType.i16: "I16", ElementType.i32: "I32",
    ElementType.i64: "I64", ElementType.u1: "BIN", ElementType.u4: "U4", ElementType.u8: "U8",
    ElementType.u16: "U16", ElementType.u32: "U32", ElementType.u64: "U64", ElementType.boolean: "BOOL",
    ElementType.string: "STRING", ElementType.dynamic: "UNSPECIFIED",
}
_BY_VALUE = {t.value: t for t in ElementType} | {"undefined": ElementType.dynamic}
_FROM_PRECISION = {p: t for t, p in _PRECISION.items()}
_FROM_NUMPY = {
    np.dtype(np.float16): ElementType.f16, np.dtype(np.float32): ElementType.f32,
    np.dtype(np.float64): ElementType.f64, np.dtype(np.int8): ElementType.i8, np.dtype(np.int16): ElementType.i16,
    np.dtype(np.int32): ElementType.i32, np.dtype(np.int64): ElementType.i64, np.dtype(np.uint8): ElementType.u8,
    np.dtype(np.uint16): ElementType.u16, np.dtype(np.uint32): ElementType.u32,
    np.dtype(np.uint64): ElementType.u64, np.dtype(np.bool_): ElementType.boolean,
}

f16, f32, f64, bf16 = ElementType.f16, ElementType.f32, ElementType.f64, ElementType.bf16
i4, i8, i16, i32, i64 = ElementType.i4, ElementType.i8, ElementType.i16, ElementType.i32, ElementType.i64
u1, u4, u8, u16, u32, u64 = ElementType.u1, ElementType.u4, ElementType.u8, ElementType.u16, ElementType.u32, ElementType.u64
boolean, string, dynamic = ElementType.boolean, ElementType.string, ElementType.dynamic
