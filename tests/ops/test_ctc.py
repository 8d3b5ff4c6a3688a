"""CTCGreedyDecoderSeqLen against the real OpenVINO runtime: repeats, blanks, lengths, index types."""
import numpy as np
import pytest

from irforge import ops
from irforge.core import ElementType
from oracles import check_op_against_openvino

rng = np.random.default_rng(7)


@pytest.mark.parametrize("merge", [True, False])
@pytest.mark.parametrize("blank", [None, 0, 2])
def test_greedy_decoder(tmp_path, merge, blank):
    # Few classes and repeated rows make repeats and blanks common.
    data = rng.standard_normal((3, 10, 4)).astype(np.float32)
    data[:, 3] = data[:, 2]
    lengths = np.array([10, 6, 1], np.int32)
    op = ops.CTCGreedyDecoderSeqLen(merge_repeated=merge)
    inputs = [data, lengths] + ([] if blank is None else [np.array(blank, np.int32)])
    check_op_against_openvino(op, inputs, tmp_path, constant=[False, False, True][:len(inputs)])


def test_index_types(tmp_path):
    data = rng.standard_normal((2, 5, 3)).astype(np.float32)
    op = ops.CTCGreedyDecoderSeqLen(True, ElementType.i64, ElementType.i64)
    check_op_against_openvino(op, [data, np.array([5, 3], np.int64)], tmp_path)
