"""Constant payloads: FileSlice (bytes left in a file) and ScaledWeights (weights times a factor, computed when
read): values, pieces, and the IR they make."""
from __future__ import annotations

import numpy as np
import pytest

import irforge
from irforge import ops
from irforge.core import ElementType
from irforge.core.graph import Graph
from irforge.core.shape import PartialShape
from irforge.core.tensor import FileSlice, ScaledWeights, scaled_weights

rng = np.random.default_rng(4)


def _slice(tmp_path, w: np.ndarray) -> FileSlice:
    path = tmp_path / "weights.bin"
    path.write_bytes(b"header!!" + w.astype("<f4").tobytes())
    return FileSlice(str(path), 8, w.nbytes)


@pytest.mark.parametrize("on_disk", [True, False])
@pytest.mark.parametrize("factor_shape", [(6, 1, 1, 1), (1, 4, 1, 1), (6, 4, 1, 1), ()])
def test_values_and_pieces(tmp_path, on_disk, factor_shape):
    w = rng.standard_normal((6, 4, 3, 3)).astype(np.float32)
    factor = rng.uniform(0.5, 2, factor_shape)
    base = _slice(tmp_path, w) if on_disk else w
    lazy = scaled_weights(base, ElementType.f32, w.shape, factor)
    expected = (w.astype(np.float64) * factor).astype(np.float32)
    np.testing.assert_array_equal(lazy.array(), expected)
    assert lazy.nbytes == expected.nbytes
    pieces = list(lazy.chunks(size=4 * 4 * 9 * 2))     # two rows a piece
    assert len(pieces) == 3 and b"".join(bytes(p) for p in pieces) == expected.tobytes()


def test_factors_compose_with_one_rounding():
    w = rng.standard_normal((3, 2)).astype(np.float32)
    a, b = rng.uniform(0.5, 2, (3, 1)), rng.uniform(0.5, 2, (1, 2))
    twice = scaled_weights(scaled_weights(w, ElementType.f32, w.shape, a), ElementType.f32, w.shape, b)
    assert isinstance(twice, ScaledWeights) and twice.base is w
    np.testing.assert_array_equal(twice.array(), (w.astype(np.float64) * a * b).astype(np.float32))


def test_ir_holds_the_scaled_values(tmp_path):
    """A Convolution over lazily scaled weights: the IR writer computes them into the .bin, and the IR runs."""
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    factor = rng.uniform(0.5, 2, (5, 1, 1, 1))
    g = Graph("scaled")
    x = g.parameter("x", ElementType.f32, PartialShape([1, 3, 6, 6]))
    weights = g.constant_from_file(scaled_weights(_slice(tmp_path, w), ElementType.f32, w.shape, factor),
                                   ElementType.f32, w.shape)
    g.result(g.out(ops.Convolution(strides=(1, 1), pads_begin=(0, 0), pads_end=(0, 0), dilations=(1, 1)),
                   x, weights), "y")
    xml, _ = irforge.save_model(g, tmp_path / "ir" / "model.xml")
    stored = irforge.read_model(xml)
    consts = [n.op.array() for n in stored.nodes if n.op.TYPE == "Const"]
    np.testing.assert_array_equal(consts[0], (w.astype(np.float64) * factor).astype(np.float32))


def test_deferred_value_is_computed_when_read(tmp_path):
    from irforge.core.tensor import DeferredValue, read_values
    w = rng.standard_normal((6, 4)).astype(np.float32)
    calls = []

    def compute():
        calls.append(1)
        return read_values(_slice(tmp_path, w), ElementType.f32, w.shape).T
    value = DeferredValue(compute, ElementType.f32, (4, 6))
    assert not calls and value.nbytes == w.nbytes
    assert b"".join(bytes(p) for p in value.chunks(size=6 * 4)) == np.ascontiguousarray(w.T).tobytes()
    assert len(calls) == 1                      # computed once for all the pieces
    scaled = scaled_weights(value, ElementType.f32, (4, 6), np.arange(1, 5, dtype=np.float64).reshape(4, 1))
    np.testing.assert_array_equal(scaled.array(), (w.T.astype(np.float64) * np.arange(1, 5)[:, None]
                                                   ).astype(np.float32))
