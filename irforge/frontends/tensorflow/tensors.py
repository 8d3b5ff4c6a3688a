"""TensorFlow data types, shapes and TensorProto contents as irforge element types, partial shapes and numpy."""
from __future__ import annotations

import numpy as np

from irforge.core.element_type import ElementType
from irforge.core.shape import DYNAMIC, PartialShape
from irforge.errors import ConversionError

DT_RESOURCE = 20
DT_VARIANT = 21
DT_STRING = 7
DT_BFLOAT16 = 14
DT_HALF = 19

# TensorFlow DataType -> element type (quantized types hold plain integers at inference).
ELEMENT_TYPES: dict[int, ElementType] = {
    1: ElementType.f32, 2: ElementType.f64, 3: ElementType.i32, 4: ElementType.u8, 5: ElementType.i16,
    6: ElementType.i8, 7: ElementType.string, 9: ElementType.i64, 10: ElementType.boolean, 11: ElementType.i8,
    12: ElementType.u8, 13: ElementType.i32, 14: ElementType.bf16, 15: ElementType.i16, 16: ElementType.u16,
    17: ElementType.u16, 19: ElementType.f16, 22: ElementType.u32, 23: ElementType.u64, 29: ElementType.i4,
    30: ElementType.u4,
}
TYPE_NAMES = {1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8", 7: "string",
              8: "complex64", 9: "int64", 10: "bool", 14: "bfloat16", 18: "complex128", 19: "float16",
              20: "resource", 21: "variant"}


def element_type_of(dtype: int, where: str = "") -> ElementType:
    base = dtype - 100 if dtype > 100 else dtype  # *_REF types (TF1 variables) hold the same values
    try:
        return ELEMENT_TYPES[base]
    except KeyError:
        raise ConversionError(f"TensorFlow type {TYPE_NAMES.get(base, base)} has no OpenVINO equivalent",
                              node=where or None) from None


def shape_of(proto) -> tuple[int, ...]:
    """A fully known TensorShapeProto as a tuple (tensors and checkpoint entries)."""
    return tuple(int(d.size) for d in proto.dim)


def partial_shape(proto) -> PartialShape:
    """TensorShapeProto with unknown rank / -1 dims as a PartialShape."""
    if proto.unknown_rank:
        return PartialShape(None)
    return PartialShape(DYNAMIC if d.size < 0 else int(d.size) for d in proto.dim)


def _from_half_bits(bits: np.ndarray, dtype: int) -> np.ndarray:
    bits = bits.astype(np.uint16)
    if dtype == DT_BFLOAT16:
        return (bits.astype(np.uint32) << 16).view(np.float32)
    return bits.view(np.float16)


def tensor_to_numpy(proto, where: str = "") -> tuple[np.ndarray, ElementType]:
    """A TensorProto's value (tensor_content viewed without a copy, or the typed *_val fields, where fewer values
    than elements repeat the last one, as TensorFlow does) and its element type."""
    et = element_type_of(proto.dtype, where)
    shape = shape_of(proto.tensor_shape)
    count = int(np.prod(shape, dtype=np.int64))
    content = proto.tensor_content
    if et == ElementType.string:
        values = [bytes(v) for v in proto.string_val]
        decoded = np.empty(len(values), dtype=object)
        for i, v in enumerate(values):
            decoded[i] = v.decode("utf-8", "replace")
        return _fill(decoded, count, shape, where), et
    if content:
        if et == ElementType.bf16:
            return _from_half_bits(np.frombuffer(content, "<u2"), DT_BFLOAT16).reshape(shape), et
        if et in (ElementType.i4, ElementType.u4):
            raise ConversionError("4-bit TensorFlow constants are not supported", node=where or None)
        array = np.frombuffer(content, et.numpy.newbyteorder("<"))
        if array.size != count:
            raise ConversionError(f"constant holds {array.size} values for shape {list(shape)}", node=where or None)
        return array.reshape(shape), et
    if et in (ElementType.f32,):
        values = np.asarray(proto.float_val, np.float32)
    elif et == ElementType.f64:
        values = np.asarray(proto.double_val, np.float64)
    elif et in (ElementType.f16, ElementType.bf16):
        values = _from_half_bits(np.asarray(proto.half_val, np.int32), proto.dtype)
    elif et == ElementType.i64:
        values = np.asarray(proto.int64_val, np.int64)
    elif et == ElementType.boolean:
        values = np.asarray(proto.bool_val, np.bool_)
    elif et == ElementType.u32:
        values = np.asarray(proto.uint32_val, np.uint32)
    elif et == ElementType.u64:
        values = np.asarray(proto.uint64_val, np.uint64)
    else:
        values = np.asarray(proto.int_val, np.int64).astype(et.numpy)
    return _fill(values.astype(et.numpy, copy=False), count, shape, where), et


def _fill(values: np.ndarray, count: int, shape: tuple[int, ...], where: str) -> np.ndarray:
    if values.size == count:
        return values.reshape(shape)
    if values.size == 0:
        return np.zeros(shape, dtype=values.dtype) if values.dtype != object else np.full(shape, "", object)
    if values.size > count:
        raise ConversionError(f"constant holds {values.size} values for shape {list(shape)}", node=where or None)
    out = np.empty(count, dtype=values.dtype)
    out[:values.size] = values
    out[values.size:] = values[-1]
    return out.reshape(shape)
