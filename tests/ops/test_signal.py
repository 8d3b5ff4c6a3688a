"""DFT, IDFT, RDFT, IRDFT and STFT against the real OpenVINO runtime."""
import numpy as np
import pytest

from irforge import ops
from oracles import check_op_against_openvino

rng = np.random.default_rng(23)
f32 = np.float32


@pytest.mark.parametrize("op", [ops.DFT(), ops.IDFT()])
@pytest.mark.parametrize("axes,sizes", [([1], None), ([0, 2], None), ([-1], [5]), ([1, 2], [3, 9])])
def test_complex_transforms(tmp_path, op, axes, sizes):
    x = rng.standard_normal((2, 6, 7, 2)).astype(f32)
    inputs = [x, np.array(axes, np.int64)] + ([np.array(sizes, np.int64)] if sizes else [])
    check_op_against_openvino(op, inputs, tmp_path, constant=[False] + [True] * (len(inputs) - 1), rtol=1e-4,
                              atol=1e-4)


@pytest.mark.parametrize("axes,sizes", [([1], None), ([0, 2], None), ([2], [5]), ([1, 2], [4, 6])])  # (the CPU plugin cannot pad: sizes only trim)
def test_rdft(tmp_path, axes, sizes):
    x = rng.standard_normal((2, 6, 7)).astype(f32)
    inputs = [x, np.array(axes, np.int64)] + ([np.array(sizes, np.int64)] if sizes else [])
    check_op_against_openvino(ops.RDFT(), inputs, tmp_path, constant=[False] + [True] * (len(inputs) - 1),
                              rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("axes,sizes", [([1], None), ([0, 2], None), ([2], [9]), ([1, 2], [4, 6])])
def test_irdft(tmp_path, axes, sizes):
    x = rng.standard_normal((2, 6, 5, 2)).astype(f32)
    inputs = [x, np.array(axes, np.int64)] + ([np.array(sizes, np.int64)] if sizes else [])
    check_op_against_openvino(ops.IRDFT(), inputs, tmp_path, constant=[False] + [True] * (len(inputs) - 1),
                              rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("window", [16, 11])
def test_stft(tmp_path, transpose, window):
    x = rng.standard_normal((2, 100)).astype(f32)
    w = np.hanning(window).astype(f32)
    check_op_against_openvino(ops.STFT(transpose_frames=transpose), [x, w, np.array(16), np.array(6)], tmp_path,
                              constant=[False, True, True, True], rtol=1e-4, atol=1e-4)


def test_rdft_padding_by_the_definition():
    """signal_size beyond the input pads with zeros (the CPU plugin refuses it and OpenVINO does not fold RDFT:
    docs/OPENVINO_QUIRKS.md), checked against the DFT's definition summed term by term."""
    x = rng.standard_normal((2, 3, 4)).astype(f32)
    got = ops.RDFT().evaluate(x, np.array([1, 2], np.int64), np.array([5, 6], np.int64))[0]
    padded = np.zeros((2, 5, 6))
    padded[:, :3, :4] = x
    n1, n2 = np.arange(5), np.arange(6)
    expected = np.zeros((2, 5, 4), complex)
    for k1 in range(5):
        for k2 in range(4):
            phase = np.exp(-2j * np.pi * (k1 * n1[:, None] / 5 + k2 * n2[None, :] / 6))
            expected[:, k1, k2] = (padded * phase).sum(axis=(1, 2))
    np.testing.assert_allclose(got[..., 0] + 1j * got[..., 1], expected, rtol=1e-4, atol=1e-4)
