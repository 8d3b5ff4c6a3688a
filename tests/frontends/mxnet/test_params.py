"""The NDArray container reader (.params / .nd) against files MXNet itself wrote, the older layouts MXNet still
loads (V1, pre-0.9), corrupt files, and the writer (its files must load in MXNet)."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from irforge.core.element_type import ElementType
from irforge.errors import InputError
from irforge.frontends.mxnet.params import (LIST_MAGIC, V1_MAGIC, V2_MAGIC, read_ndarray_file, split_prefix,
                                            write_ndarray_file)
from mxnet_oracle import models_dir, run_in_oracle


def test_mxnet_written_types():
    """float32/float16/float64/uint8/int8/int32/int64 as nd.save wrote them: same values, types and shapes."""
    folder = models_dir()
    expected = np.load(folder / "ndarrays.npz")
    arrays = read_ndarray_file(str(folder / "ndarrays_v2.params"))
    assert sorted(a.name for a in arrays) == sorted(expected.files)
    for a in arrays:
        value = a.array()
        assert value.dtype == expected[a.name].dtype and value.shape == expected[a.name].shape, a.name
        np.testing.assert_array_equal(value, expected[a.name])


def test_np_shape_file_with_scalar():
    """V3 arrays (np-shape semantics): a 0-d array is a scalar, not an absent array."""
    arrays = {a.name: a for a in read_ndarray_file(str(models_dir() / "ndarrays_v3.nd"))}
    assert arrays["scalar"].shape == () and float(arrays["scalar"].array()) == 2.5
    np.testing.assert_array_equal(arrays["f32"].array(), np.load(models_dir() / "ndarrays.npz")["f32"])


def test_unnamed_list():
    arrays = read_ndarray_file(str(models_dir() / "ndarrays_list.nd"))
    assert [a.name for a in arrays] == ["0"] and arrays[0].shape == (2, 3)


def _list_file(arrays: list[bytes], names: list[str]) -> bytes:
    out = struct.pack("<QQQ", LIST_MAGIC, 0, len(arrays)) + b"".join(arrays) + struct.pack("<Q", len(names))
    for name in names:
        out += struct.pack("<Q", len(name)) + name.encode()
    return out


def _legacy_array(values: np.ndarray) -> bytes:
    """MXNet < 0.9: u32 ndim, u32 dims, context, type flag, data (NDArray::LegacyLoad)."""
    return (struct.pack("<I", values.ndim) + np.asarray(values.shape, "<u4").tobytes() + struct.pack("<iii", 1, 0, 0)
            + values.astype("<f4").tobytes())


def _v1_array(values: np.ndarray) -> bytes:
    """V1: magic, u32 ndim, i64 dims, context, type flag, data."""
    return (struct.pack("<II", V1_MAGIC, values.ndim) + np.asarray(values.shape, "<i8").tobytes()
            + struct.pack("<iii", 1, 0, 0) + values.astype("<f4").tobytes())


def test_old_layouts(tmp_path):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(4, dtype=np.float32)
    path = tmp_path / "old.params"
    path.write_bytes(_list_file([_legacy_array(a), _v1_array(b)], ["arg:a", "aux:b"]))
    arrays = read_ndarray_file(str(path))
    assert [split_prefix(x.name) for x in arrays] == [("arg", "a"), ("aux", "b")]
    np.testing.assert_array_equal(arrays[0].array(), a)
    np.testing.assert_array_equal(arrays[1].array(), b)


def test_none_arrays_are_skipped(tmp_path):
    none_v2 = struct.pack("<Iii", V2_MAGIC, 0, 0)  # ndim 0 in V2: an array with no data
    path = tmp_path / "none.params"
    path.write_bytes(_list_file([none_v2, _v1_array(np.ones(2, np.float32))], ["empty", "ones"]))
    assert [a.name for a in read_ndarray_file(str(path))] == ["ones"]


@pytest.mark.parametrize("cut, what", [(10, "header"), (30, "array 0"), (70, "data of array 0")])
def test_truncated_file_names_the_offset(tmp_path, cut, what):
    good = (models_dir() / "ndarrays_v2.params").read_bytes()
    path = tmp_path / "cut.params"
    path.write_bytes(good[:cut])
    with pytest.raises(InputError, match=rf"{what}.*byte offset \d+"):
        read_ndarray_file(str(path))


def test_wrong_magic(tmp_path):
    path = tmp_path / "bad.params"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    with pytest.raises(InputError, match="byte offset 0"):
        read_ndarray_file(str(path))


def test_sparse_arrays_are_reported(tmp_path):
    sparse = struct.pack("<Ii", V2_MAGIC, 1) + b"\0" * 32
    path = tmp_path / "sparse.params"
    path.write_bytes(_list_file([sparse], ["w"]))
    with pytest.raises(InputError, match="row_sparse.*byte offset 24"):
        read_ndarray_file(str(path))


def test_writer_output_loads_in_mxnet(tmp_path):
    values = {"arg:w": np.arange(6, dtype=np.float32).reshape(2, 3), "aux:m": np.array([1, 2], np.int32),
              "arg:h": np.array([0.5, 1.5], np.float16)}
    path = tmp_path / "written.params"
    write_ndarray_file(str(path), [(k, ElementType.from_numpy(v.dtype), v.shape, v.tobytes())
                                   for k, v in values.items()])
    printed = run_in_oracle("import sys, mxnet as mx\n"
                            "for k, v in sorted(mx.nd.load(sys.argv[1]).items()):\n"
                            "    print(k, v.dtype.__name__, v.asnumpy().tolist())", str(path))
    assert printed.splitlines() == ["arg:h float16 [0.5, 1.5]", "arg:w float32 [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]",
                                    "aux:m int32 [1, 2]"]
    again = {a.name: a.array() for a in read_ndarray_file(str(path))}
    for k, v in values.items():
        np.testing.assert_array_equal(again[k], v)
