"""Kaldi's serialisation, value by value: text and binary scalars, double and float matrices and vectors,
integer (pair) vectors, and where reading stops with an error that names the byte offset."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from irforge.errors import InputError
from irforge.frontends.kaldi.tokens import KaldiStream
from kaldi_models import Writer


def stream_of(w: Writer) -> KaldiStream:
    return KaldiStream(w.bytes(), "test")


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_values_round_trip(binary):
    m = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
    v = np.array([1.5, -2.25, 3e-7], np.float32)
    w = Writer(binary).token("<A>").int(-42).token("<B>").float(0.1).token("<C>").double(1 / 3).token("<D>")
    w.bool(True).token("<E>").matrix(m).token("<F>").vector(v).token("<G>").int_vector([-2, 0, 5])
    w.token("<H>").int_pair_vector([(-1, 0), (3, 2)]).token("<I>").matrix(np.zeros((0, 0))).token("<J>").vector([])
    s = stream_of(w)
    assert s.binary == binary
    s.expect("<A>")
    assert s.read_int() == -42
    s.expect("<B>")
    assert s.read_float() == pytest.approx(0.1, rel=1e-7)
    s.expect("<C>")
    assert s.read_float() == pytest.approx(1 / 3, rel=1e-15 if binary else 1e-12)
    s.expect("<D>")
    assert s.read_bool() is True
    s.expect("<E>")
    np.testing.assert_array_equal(s.read_matrix(), m)
    s.expect("<F>")
    np.testing.assert_array_equal(s.read_vector(), v)
    s.expect("<G>")
    np.testing.assert_array_equal(s.read_int_vector(), [-2, 0, 5])
    s.expect("<H>")
    np.testing.assert_array_equal(s.read_int_pair_vector(), [[-1, 0], [3, 2]])
    s.expect("<I>")
    assert s.read_matrix().size == 0
    s.expect("<J>")
    assert s.read_vector().size == 0
    assert s.at_end()


def test_double_matrices_become_float32():
    m = np.array([[1 / 3, 2.0]], np.float64)
    data = b"\0B<M> DM \x04" + struct.pack("<i", 1) + b"\x04" + struct.pack("<i", 2) + m.tobytes()
    data += b"<V> DV \x04" + struct.pack("<i", 2) + m[0].tobytes()
    s = KaldiStream(data, "test")
    s.expect("<M>")
    got = s.read_matrix()
    assert got.dtype == np.float32 and got.shape == (1, 2)
    np.testing.assert_allclose(got, m.astype(np.float32))
    s.expect("<V>")
    np.testing.assert_allclose(s.read_vector(), m[0].astype(np.float32))


def test_binary_matrices_are_views_of_the_file():
    w = Writer(True).token("<M>").matrix(np.ones((300, 40), np.float32))
    data = bytearray(w.bytes())
    s = KaldiStream(memoryview(data), "test")
    s.expect("<M>")
    m = s.read_matrix()
    assert not m.flags.owndata  # np.frombuffer over the file bytes, no copy


@pytest.mark.parametrize("cut", [3, 9, 14, 30])
def test_truncated_binary_matrix(cut):
    data = Writer(True).token("<M>").matrix(np.ones((2, 3), np.float32)).bytes()
    s = KaldiStream(data[:len(b"\0B<M> ") + cut], "m.bin")
    s.expect("<M>")
    with pytest.raises(InputError, match=r"(truncated|ends).*byte offset|byte offset") as e:
        s.read_matrix()
    assert "m.bin" in str(e.value)


def test_text_errors_name_the_offset():
    s = KaldiStream(b"<M> [\n 1 2 3\n 4 5 ]\n", "t.txt")
    s.expect("<M>")
    with pytest.raises(InputError, match="rows of different lengths.*byte offset 4"):
        s.read_matrix()
    s = KaldiStream(b"<N> twelve", "t.txt")
    s.expect("<N>")
    with pytest.raises(InputError, match="expected an integer, found 'twelve'.*byte offset 4"):
        s.read_int()
    s = KaldiStream(b"<V> [ 1 2 x ]", "t.txt")
    s.expect("<V>")
    with pytest.raises(InputError, match="not a number.*byte offset 4"):
        s.read_vector()


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_format_detection_without_framework(binary, tmp_path):
    """`mo --input_model X` (no --framework) recognises nnet1, nnet2 (final.mdl) and nnet3 files by content."""
    from irforge.frontends import registry
    from irforge.frontends.kaldi.reader import detect
    from irforge.options import ConversionOptions
    from kaldi_models import rng_matrix, write_nnet1, write_nnet2
    from nnet3_reference import Net3, relu
    rng = np.random.default_rng(0)
    files = {
        "nnet1": write_nnet1([("Sigmoid", 3)], binary),
        "nnet1 without <Nnet>": write_nnet1([("Splice", [-1, 0, 1], 3)], binary, header=False),
        "nnet2": write_nnet2([("Affine", rng_matrix(rng, 2, 3), np.zeros(2, np.float32))], binary),
        "nnet3": Net3({"input": 3}).component("r", "input", relu(3)).output("output", "r").write(binary),
    }
    for kind, data in files.items():
        path = tmp_path / "model.bin"   # a name that says nothing
        path.write_bytes(data)
        assert registry.detect_framework(ConversionOptions(input_model=str(path))) == "kaldi", kind
        assert detect(KaldiStream.open(str(path))) == kind.split()[0]
